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
def test_upsample_img_equals_reference(tileable: bool) -> None:
    f = ufd.setup_filter([1, 3, 3, 1])
    img = torch.randn(2, 3, 8, 8)
    want = ufd.upsample2d(img, f, tileable=tileable, impl="ref")
    torch.testing.assert_close(infer.upsample_img(img, f, tileable), want, atol=1e-5, rtol=0)


@pytest.mark.parametrize("tileable", [False, True])
def test_transposed_phases_equal_reference_upsampling_conv(tileable: bool) -> None:
    """Stride-2 transposed conv as 2x2 phase kernels, interleaved, then the 4x4 FIR."""
    torch.manual_seed(0)
    f = ufd.setup_filter([1, 3, 3, 1])
    x, w = torch.randn(2, 5, 6, 6), torch.randn(7, 5, 3, 3)
    want = cr.conv2d_resample(
        x, w, f, up=2, padding=1, flip_weight=False, impl="ref", tileable=tileable
    )
    y = F.conv2d(infer._pad(x, 2, 1, tileable), infer.transposed_phase_kernels(w))
    il = infer._Interleave(y, 7)
    il.out.copy_(il.src)
    blur = (f * 4).flip([0, 1])[None, None].expand(7, 1, 4, 4)
    got = F.conv2d(il.image, blur, groups=7)[:, :, 1:, 1:]
    torch.testing.assert_close(got, want, atol=1e-4, rtol=0)


def test_wrap_keeps_channels_last() -> None:
    x = torch.randn(1, 4, 5, 5).contiguous(memory_format=torch.channels_last)
    y, pad = infer._wrap1(x, True)
    assert pad == 0 and y.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(y, F.pad(x, (1, 1, 1, 1), mode="circular"))
    for tileable, mode in ((True, "circular"), (False, "constant")):
        z = infer._pad(x, 2, 1, tileable)
        assert z.is_contiguous(memory_format=torch.channels_last)
        torch.testing.assert_close(z, F.pad(x.contiguous(), (2, 1, 2, 1), mode=mode))


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


def test_generator_copies_and_saves_after_fast_inference() -> None:
    """Derived tensors (packed oneDNN weights) live outside the modules."""
    import copy
    import io

    G = _generator(True)
    ws = G.mapping(torch.randn(1, 16), torch.randn(1, 8))
    with torch.inference_mode():
        a = G.synthesis(ws, noise_mode="const")
    G2 = copy.deepcopy(G)
    torch.save(G, io.BytesIO())
    with torch.inference_mode():
        torch.testing.assert_close(G2.synthesis(ws, noise_mode="const"), a)
