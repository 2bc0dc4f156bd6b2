"""Band-limited synthesis noise (engine/stylegan/noise_lowpass.py) and the generator switch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from engine.errors import UserInputError
from engine.stylegan import numpy_render
from engine.stylegan.checkpoint import load_generator, save_generator
from engine.stylegan.networks import Generator
from engine.stylegan.noise_lowpass import lowpass, lowpass_np, taps
from engine.stylegan.render import Renderer, RenderRequest
from tests.engine.stylegan.conftest import TINY
from tests.engine.stylegan.train_helpers import config, trainer


def _lag1(x: np.ndarray) -> float:
    """Correlation of neighbouring pixels along the last axis (0 for white noise)."""
    return float((x * np.roll(x, 1, axis=-1)).mean() / x.var())


def test_taps_keep_unit_variance_and_remove_the_grid_band() -> None:
    assert np.array_equal(taps(0.0), [1.0])
    for s in (0.5, 0.7, 1.5):
        assert np.isclose(np.square(taps(s)).sum(), 1.0)
    white = np.random.default_rng(0).standard_normal((64, 64, 64)).astype(np.float32)
    smooth = lowpass_np(white, 0.7)
    assert smooth.dtype == np.float32 and smooth.shape == white.shape
    assert abs(smooth.var() - 1.0) < 0.03  # noise_strength keeps its meaning
    assert abs(_lag1(white)) < 0.02 and _lag1(smooth) > 0.5
    # energy at the layer's Nyquist frequency (the band that aliases into the 8 px grid)
    nyq = (
        np.abs(np.fft.fft2(smooth)[:, 32, 32]).mean() / np.abs(np.fft.fft2(white)[:, 32, 32]).mean()
    )
    assert nyq < 0.15  # exactly (Σ k·(−1)^t)² ≈ 0.08 for σ = 0.7; white noise: 1
    assert lowpass_np(white, 0.0) is white


def test_numpy_and_torch_filters_agree_and_wrap() -> None:
    rng = np.random.default_rng(1)
    for shape, s in (((2, 1, 32, 32), 0.7), ((4, 4), 1.5)):  # a 4x4 map narrower than the taps
        x = rng.standard_normal(shape).astype(np.float32)
        a = lowpass_np(x, s)
        b = lowpass(torch.from_numpy(x), s).numpy()
        assert np.allclose(a, b, atol=1e-6)
        # periodic: shifting the noise shifts the result the same way (no edge)
        shifted = lowpass_np(np.roll(x, (1, 3), axis=(-2, -1)), s)
        assert np.allclose(shifted, np.roll(a, (1, 3), axis=(-2, -1)), atol=1e-6)


def test_bad_sigma_is_refused() -> None:
    for bad in (-0.1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="noise_lowpass"):
            taps(bad)
        with pytest.raises(ValueError, match="noise_lowpass"):
            Generator(
                **{**TINY, "synthesis_kwargs": {**TINY["synthesis_kwargs"], "noise_lowpass": bad}}
            )


def _gen(sigma: float) -> Generator:
    torch.manual_seed(0)
    kw = {**TINY, "synthesis_kwargs": {**TINY["synthesis_kwargs"], "noise_lowpass": sigma}}
    G = Generator(**kw, tileable=True).eval()
    with torch.no_grad():
        G.mapping.w_avg.normal_()
        for name, p in G.named_parameters():
            if name.endswith("noise_strength"):
                p.fill_(0.5)
    return G


def test_the_switch_blurs_layers_below_the_output_only_and_adds_no_weights() -> None:
    plain, smooth = _gen(0.0), _gen(0.8)
    assert plain.state_dict().keys() == smooth.state_dict().keys()  # weights move both ways
    sig = {
        n: m.noise_lowpass
        for n, m in smooth.synthesis.named_modules()
        if hasattr(m, "noise_lowpass") and hasattr(m, "use_noise")
    }
    assert (
        sig["b16.conv1"] == sig["b8.conv0"] == 0.8 and sig["b32.conv0"] == sig["b32.conv1"] == 0.0
    )
    smooth.load_state_dict(plain.state_dict())
    ws = plain.mapping(torch.randn(2, 16), torch.randn(2, 8))
    with torch.no_grad():
        a = plain.synthesis(ws, noise_mode="const")
        b = smooth.synthesis(ws, noise_mode="const")
        c = smooth.synthesis(ws, noise_mode="none")
        d = plain.synthesis(ws, noise_mode="none")
    assert (a - b).abs().mean() > 1e-3  # the noise below 32 px did change
    assert torch.equal(c, d)  # and nothing else did


def test_every_render_path_shapes_the_noise_the_same_way(tmp_path: Path) -> None:
    G = _gen(0.8)
    d = save_generator(G, tmp_path / "gen")
    assert load_generator(d).synthesis.b16.conv1.noise_lowpass == 0.8  # kept in config.json
    r = Renderer(d, device="cpu")
    g = numpy_render.load(d)
    c = np.random.default_rng(2).standard_normal(8).astype(np.float32)
    for mode in ("const", "seeded"):
        ref = r.render(RenderRequest(c=c, seed=7, truncation=0.8, noise_mode=mode))
        got = g.render(7, c, 0.8, noise_mode=mode)
        assert np.abs(got.astype(int) - ref.image.astype(int)).max() <= 1, mode
        # the reference (autograd) path against the fast CPU inference path
        ws = torch.from_numpy(ref.ws)[None]
        with r.noise(mode, 7):
            slow = r.G.synthesis(ws.requires_grad_(True), noise_mode=mode).detach()
        with torch.no_grad(), r.noise(mode, 7):
            fast = r.G.synthesis(ws.detach(), noise_mode=mode)
        assert torch.allclose(slow, fast, atol=1e-4), mode
    # random noise: the same draws give the same picture on both paths
    ws = torch.from_numpy(ref.ws)[None]
    torch.manual_seed(3)
    slow = r.G.synthesis(ws.clone().requires_grad_(True), noise_mode="random").detach()
    torch.manual_seed(3)
    with torch.no_grad():
        fast = r.G.synthesis(ws, noise_mode="random")
    assert torch.allclose(slow, fast, atol=1e-4)
    layer = r.G.synthesis.b16.conv1
    noise = layer.make_noise(torch.zeros(64, 16, 16, 16), "random") / layer.noise_strength
    assert _lag1(noise.numpy()) > 0.5  # training's fresh noise is shaped too


def test_training_option_reaches_the_network_and_may_change_on_resume(tmp_path: Path) -> None:
    t = trainer(tmp_path / "a")
    assert "noise_lowpass" not in t.G_kwargs["synthesis_kwargs"]  # off: official kwargs
    t.step()
    snap = t.save()
    smooth = trainer(tmp_path / "a", noise_lowpass=0.7)
    smooth.load(snap)  # not refused: a resumable change
    assert smooth.G_kwargs["synthesis_kwargs"]["noise_lowpass"] == 0.7
    assert smooth.G.synthesis.b8.conv1.noise_lowpass == 0.7
    assert smooth.G.synthesis.b16.conv1.noise_lowpass == 0.0  # the output block stays white
    smooth.step()
    smooth.export(tmp_path / "export")
    assert load_generator(tmp_path / "export").synthesis.b8.conv0.noise_lowpass == 0.7
    with pytest.raises(UserInputError, match="--noise-lowpass"):
        config(tmp_path / "r", noise_lowpass=-1.0).validate()


def test_a_run_started_from_a_generator_keeps_its_noise_lowpass(tmp_path: Path) -> None:
    from engine.stylegan.train.cli import _inherit_from_init
    from engine.stylegan.train.options import TrainConfig

    src = save_generator(_gen(0.7), tmp_path / "gen")
    cfg = TrainConfig()
    _inherit_from_init(cfg, {"init": str(src)})
    assert cfg.noise_lowpass == 0.7
    given = TrainConfig()
    _inherit_from_init(given, {"init": str(src), "noise_lowpass": 0.0})
    assert given.noise_lowpass == 0.0  # the command line wins
