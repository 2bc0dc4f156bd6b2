"""The inference fast path (engine.stylegan.infer) against the reference ops."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from cuda_ops import conv2d_resample as cr
from cuda_ops import upfirdn2d as ufd
from engine.stylegan import infer
from engine.stylegan.networks import Generator


@pytest.mark.parametrize("tileable", [False, True])
def test_phase_kernels_equal_upsampling_conv(tileable: bool) -> None:
    torch.manual_seed(0)
    f = ufd.setup_filter([1, 3, 3, 1])
    x, w = torch.randn(2, 5, 6, 6), torch.randn(7, 5, 3, 3)
    want = cr.conv2d_resample(
        x, w, f, up=2, padding=1, flip_weight=False, impl="ref", tileable=tileable
    )
    xin, pad = infer._wrap1(x, tileable)
    il = infer._Interleave(F.conv2d(xin, infer.phase_kernels(w, f), padding=pad), 7)
    il.out.copy_(il.src)
    torch.testing.assert_close(il.image, want, atol=1e-4, rtol=0)
    img = torch.randn(2, 3, 8, 8)
    want_img = ufd.upsample2d(img, f, tileable=tileable, impl="ref")
    torch.testing.assert_close(infer.upsample_img(img, f, tileable), want_img, atol=1e-5, rtol=0)


def test_wrap_keeps_channels_last() -> None:
    x = torch.randn(1, 4, 5, 5).contiguous(memory_format=torch.channels_last)
    y, pad = infer._wrap1(x, True)
    assert pad == 0 and y.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(y, F.pad(x, (1, 1, 1, 1), mode="circular"))


def _generator(tileable: bool) -> Generator:
    torch.manual_seed(1)
    G = Generator(
        z_dim=16,
        c_dim=8,
        w_dim=16,
        img_resolution=64,  # channels-last blocks (>= 32 px) and NCHW ones
        img_channels=3,
        mapping_kwargs={"num_layers": 2},
        synthesis_kwargs={"channel_base": 1024, "channel_max": 64, "conv_clamp": 256},
        tileable=tileable,
    ).eval()
    with torch.no_grad():
        for n, p in G.named_parameters():
            if n.endswith("noise_strength"):
                p.fill_(0.3)
    return G


@pytest.mark.parametrize("tileable", [False, True])
@pytest.mark.parametrize("noise_mode", ["const", "none"])
def test_fast_synthesis_matches_reference(tileable: bool, noise_mode: str) -> None:
    G = _generator(tileable)
    ws = G.mapping(torch.randn(3, 16), torch.randn(3, 8), truncation_psi=0.7)
    with torch.inference_mode():
        want = G.synthesis(ws, noise_mode=noise_mode, impl="ref")
        got = G.synthesis(ws, noise_mode=noise_mode)  # batch: grouped-weight and shared paths
        single = G.synthesis(ws[:1], noise_mode=noise_mode)
    assert want.abs().max() > 0.1
    torch.testing.assert_close(got, want, atol=1e-4, rtol=0)
    torch.testing.assert_close(single, want[:1], atol=1e-4, rtol=0)


def test_constants_follow_weight_updates() -> None:
    G = _generator(True)
    ws = G.mapping(torch.randn(1, 16), torch.randn(1, 8))
    with torch.inference_mode():
        G.synthesis(ws, noise_mode="const")  # fills the per-layer caches
    with torch.no_grad():
        G.synthesis.b64.conv0.weight.mul_(1.5)
        G.synthesis.b8.conv1.weight.mul_(0.5)  # a layer with packed constant weights
        G.synthesis.b64.conv1.noise_strength.fill_(0.7)
    with torch.inference_mode():
        got = G.synthesis(ws, noise_mode="const")
        want = G.synthesis(ws, noise_mode="const", impl="ref")
    torch.testing.assert_close(got, want, atol=1e-4, rtol=0)


def test_random_noise_mode_runs_and_differs() -> None:
    G = _generator(True)
    ws = G.mapping(torch.randn(1, 16), torch.randn(1, 8))
    with torch.inference_mode():
        a = G.synthesis(ws, noise_mode="random")
        b = G.synthesis(ws, noise_mode="random")
    assert a.shape == (1, 3, 64, 64) and not torch.equal(a, b)
