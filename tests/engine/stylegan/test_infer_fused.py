"""The synthesis fast path with the fused CPU kernels on, off (PyTorch passes) and after a
failed kernel build: the same images as the reference ops."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from cuda_ops import _plugin, cpu_kernels
from engine.stylegan.networks import Generator
from engine.stylegan.render import Renderer, RenderRequest

needs_kernels = pytest.mark.skipif(
    not cpu_kernels.available(wait=True), reason="CPU kernels not built"
)


def _generator(tileable: bool, res: int = 64) -> Generator:
    torch.manual_seed(3)
    G = Generator(
        z_dim=16,
        c_dim=8,
        w_dim=16,
        img_resolution=res,  # channels-last blocks (>= 32 px) and NCHW ones
        img_channels=3,
        mapping_kwargs={"num_layers": 2},
        synthesis_kwargs={"channel_base": 1024, "channel_max": 40, "conv_clamp": 256},
        tileable=tileable,
    ).eval()
    with torch.no_grad():
        for n, p in G.named_parameters():
            if n.endswith("noise_strength"):
                p.fill_(0.3)
            if n.endswith("bias"):
                p.normal_()  # non-zero biases: the shift really is added
    return G


def _synth(
    G: Generator, ws: torch.Tensor, noise_mode: str, kernels: bool, **kw: str
) -> torch.Tensor:
    saved = dict(cpu_kernels._state)
    cpu_kernels._state["ok"] = kernels
    try:
        with torch.inference_mode():
            return G.synthesis(ws, noise_mode=noise_mode, **kw)
    finally:
        cpu_kernels._state.clear()
        cpu_kernels._state.update(saved)


@needs_kernels
@pytest.mark.parametrize("tileable", [False, True])
@pytest.mark.parametrize("noise_mode", ["const", "none"])
@pytest.mark.parametrize("batch", [1, 3])  # shared-weight and grouped-weight paths
def test_fused_path_matches_torch_path_and_reference(
    tileable: bool, noise_mode: str, batch: int
) -> None:
    G = _generator(tileable)
    with torch.inference_mode():
        ws = G.mapping(torch.randn(batch, 16), torch.randn(batch, 8), truncation_psi=0.7)
    want = _synth(G, ws, noise_mode, True, impl="ref")
    fused = _synth(G, ws, noise_mode, True)
    plain = _synth(G, ws, noise_mode, False)
    assert want.abs().max() > 0.1
    torch.testing.assert_close(fused, want, atol=1e-4, rtol=0)
    torch.testing.assert_close(fused, plain, atol=2e-5, rtol=1e-5)  # values up to ~10: a few ulps


@needs_kernels
def test_fused_random_noise_runs() -> None:
    G = _generator(True, res=32)
    with torch.inference_mode():
        ws = G.mapping(torch.randn(2, 16), torch.randn(2, 8))
    a = _synth(G, ws, "random", True)
    b = _synth(G, ws, "random", True)
    assert a.shape == (2, 3, 32, 32) and torch.isfinite(a).all() and not torch.equal(a, b)


@needs_kernels
@pytest.mark.parametrize("tileable", [False, True])
@pytest.mark.parametrize("kernels", [True, False])
def test_renderer_matches_synthesis_with_and_without_kernels(
    tileable: bool, kernels: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    G = _generator(tileable)
    r = Renderer.from_generator(G, device="cpu")
    c = np.random.RandomState(0).randn(8).astype(np.float32)
    ws = r.mapping(5, c, 0.7)
    monkeypatch.setitem(cpu_kernels._state, "ok", kernels)
    got = r.render(RenderRequest(ws=ws)).image.astype(np.int16)
    monkeypatch.setitem(cpu_kernels._state, "ok", True)
    want = _synth(G, torch.from_numpy(ws)[None], "const", True, impl="ref")
    want_u8 = (want.permute(0, 2, 3, 1) * 127.5 + 128).clamp(0, 255).to(torch.uint8)[0]
    assert np.abs(got - want_u8.numpy().astype(np.int16)).max() <= 1


def test_failed_build_keeps_the_torch_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise RuntimeError("simulated compiler failure")

    monkeypatch.setattr(cpu_kernels, "_build", broken)
    monkeypatch.setattr(cpu_kernels, "is_built", lambda: False)
    monkeypatch.setattr(cpu_kernels, "_state", {})
    monkeypatch.setattr(_plugin, "_warned", set())
    G = _generator(True, res=32)
    with torch.inference_mode():
        ws = G.mapping(torch.randn(1, 16), torch.randn(1, 8))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert cpu_kernels.available(wait=True) is False  # the (background) build failed
        with torch.inference_mode():
            got = G.synthesis(ws, noise_mode="const")
            again = G.synthesis(ws, noise_mode="const")
            want = G.synthesis(ws, noise_mode="const", impl="ref")
    assert sum("simulated compiler failure" in str(w.message) for w in caught) == 1
    torch.testing.assert_close(got, want, atol=1e-4, rtol=0)
    torch.testing.assert_close(again, got)
