"""engine.stylegan.numpy_render: the torch-free forward gives the Renderer's pixels."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.stylegan import numpy_render
from engine.stylegan.checkpoint import save_generator
from engine.stylegan.networks import Generator
from engine.stylegan.render import Renderer, RenderRequest

ROOT = Path(__file__).resolve().parents[3]
TINY = dict(
    z_dim=16,
    c_dim=8,
    w_dim=16,
    img_resolution=32,
    img_channels=3,
    mapping_kwargs=dict(num_layers=2),
    synthesis_kwargs=dict(channel_base=256, channel_max=16, conv_clamp=256),
)


def _random_generator(tileable: bool, c_dim: int, conv_clamp: float | None) -> Generator:
    torch.manual_seed(1)
    kw = {
        **TINY,
        "c_dim": c_dim,
        "synthesis_kwargs": {**TINY["synthesis_kwargs"], "conv_clamp": conv_clamp},
    }
    G = Generator(**kw, tileable=tileable).eval()
    with torch.no_grad():
        G.mapping.w_avg.normal_()
        for name, p in G.named_parameters():
            if name.endswith("noise_strength"):
                p.fill_(0.3)
            elif name.endswith(".bias"):
                p.normal_(0, 0.2)  # non-zero biases: a wrong bias path shows
    return G


@pytest.mark.parametrize(
    ("tileable", "c_dim", "clamp"), [(True, 8, 256.0), (False, 0, None), (True, 0, 0.5)]
)
def test_numpy_forward_matches_the_renderer(
    tmp_path: Path, tileable: bool, c_dim: int, clamp: float | None
) -> None:
    G = _random_generator(tileable, c_dim, clamp)
    d = save_generator(G, tmp_path / "gen")
    r = Renderer(d, device="cpu")
    g = numpy_render.load(d)
    assert (g.num_ws, g.w_dim, g.c_dim) == (r.info.num_ws, r.info.w_dim, r.info.c_dim)
    rng = np.random.default_rng(2)
    c = rng.standard_normal(c_dim).astype(np.float32) if c_dim else None
    for seed, psi in ((0, 1.0), (17, 0.6)):
        assert np.allclose(g.mapping(seed, c, psi), r.mapping(seed, c, psi), atol=1e-5)
        ref = r.render(RenderRequest(c=c, seed=seed, truncation=psi)).image
        got = g.render(seed, c, psi)
        assert got.shape == ref.shape == (32, 32, 3) and got.dtype == np.uint8
        diff = np.abs(got.astype(int) - ref.astype(int))
        assert diff.max() <= 1 and diff.mean() < 0.02
    # edits: a slider offset on a row range, a style mix and a policy offset
    vec = rng.standard_normal(g.w_dim).astype(np.float32)
    pol = rng.standard_normal(g.w_dim).astype(np.float32) * 0.3
    req = RenderRequest(
        c=c,
        seed=5,
        truncation=0.8,
        offsets=[(vec, 2.0, (2, 5))],
        policy_offset=pol,
        mix_ws=r.mapping(9, c, 0.8),
        mix_from_layer=4,
    )
    ref = r.render(req).image
    got = g.render(5, c, 0.8, offsets=req.offsets, policy_offset=pol, mix_seed=9, mix_from_layer=4)
    assert np.abs(got.astype(int) - ref.astype(int)).max() <= 1
    plain = g.render(5, c, 0.8)
    assert np.abs(plain.astype(int) - got.astype(int)).mean() > 1  # the edits did something


def test_numpy_forward_of_the_shipped_generator() -> None:
    d = ROOT / "assets" / "models" / "generator"
    r = Renderer(d, device="cpu")
    g = numpy_render.load(d)
    c = np.random.default_rng(4).standard_normal(g.c_dim).astype(np.float32)
    c /= np.linalg.norm(c)
    ref = r.render(RenderRequest(c=c, seed=3, truncation=0.7)).image
    got = g.render(3, c, 0.7)
    assert np.abs(got.astype(int) - ref.astype(int)).max() <= 1


def test_unsupported_architecture_is_refused(tmp_path: Path) -> None:
    kw = {**TINY, "synthesis_kwargs": {**TINY["synthesis_kwargs"], "architecture": "resnet"}}
    d = save_generator(Generator(**kw).eval(), tmp_path / "gen")
    with pytest.raises(numpy_render.UnsupportedModel):
        numpy_render.load(d)


def test_numpy_render_imports_no_torch() -> None:
    code = "import sys, engine.stylegan.numpy_render; print('torch' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("tileable", [True, False])
def test_numpy_forward_draws_the_renderers_seeded_noise(tmp_path: Path, tileable: bool) -> None:
    """Per-design noise: the first-frame helper's numpy forward adds the very noise the torch
    Renderer draws for the seed (engine/stylegan/seeded_noise.py)."""
    G = _random_generator(tileable, 8, 256.0)
    d = save_generator(G, tmp_path / "gen")
    r, g = Renderer(d, device="cpu"), numpy_render.load(d)
    c = np.random.default_rng(4).standard_normal(8).astype(np.float32)
    for seed, noise_seed in ((3, None), (3, 40)):
        req = RenderRequest(
            c=c, seed=seed, truncation=0.7, noise_mode="seeded", noise_seed=noise_seed
        )
        ref = r.render(req).image
        got = g.render(seed, c, 0.7, noise_mode="seeded", noise_seed=noise_seed)
        diff = np.abs(got.astype(int) - ref.astype(int))
        assert diff.max() <= 1 and diff.mean() < 0.02
    const = g.render(3, c, 0.7)
    assert np.abs(const.astype(int) - g.render(3, c, 0.7, noise_mode="seeded")).mean() > 1
    with pytest.raises(numpy_render.UnsupportedModel):
        g.render(3, c, 0.7, noise_mode="random")
