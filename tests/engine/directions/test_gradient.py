"""Attribute-gradient sliders: the smooth measures follow the pixel measures, the gradient
points the way the attribute rises, and the fit keeps the better of boundary and gradient."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from engine.database.measure import (
    edge_density,
    estimate_density,
    estimate_symmetry,
    gold_share,
)
from engine.directions.base import spearman
from engine.directions.conditions import region_conditions
from engine.directions.gradient import (
    attribute_gradients,
    soft_attribute,
    soft_density,
    soft_edge_density,
    soft_gold_share,
    soft_symmetry,
)


def _to_tensor(tiles: list[np.ndarray]) -> torch.Tensor:
    return torch.from_numpy(np.stack(tiles)).permute(0, 3, 1, 2).float() / 127.5 - 1


def _stripes(period: int, size: int = 256) -> np.ndarray:
    """Vertical black/white stripes (more stripes: more edges); period 0 = flat grey."""
    if period == 0:
        return np.full((size, size, 3), 128, np.uint8)
    row = ((np.arange(size) // period) % 2 * 255).astype(np.uint8)
    return np.repeat(np.repeat(row[None, :, None], size, 0), 3, 2)


def test_soft_edge_density_ranks_tiles_as_the_measure_does() -> None:
    tiles = [_stripes(p) for p in (0, 64, 32, 16, 8, 4)]
    hard = np.array([edge_density(t) for t in tiles])
    soft = soft_edge_density(_to_tensor(tiles)).numpy()
    assert soft.shape == (6,)
    assert soft[0] < 0.01 and hard[0] == 0.0  # a flat tile has no edges either way
    assert np.all(np.diff(hard) > 0)  # the fixture really does rise
    assert spearman(hard, soft) == pytest.approx(1.0)
    assert np.abs(soft - hard).max() < 0.1  # same scale, not only the same order


def test_soft_gold_share_rises_toward_the_regions_gold() -> None:
    from engine.database.palette import region_palette

    gold = np.array(region_palette("dunhuang").metallic[0].rgb, np.uint8)
    blue = np.array([30, 60, 160], np.uint8)
    tiles = []
    for t in (0.0, 0.5, 0.9, 1.0):  # blue blended ever closer to gold over half the tile
        tile = np.tile(blue, (128, 128, 1))
        tile[:, :64] = np.round(blue * (1 - t) + gold * t).astype(np.uint8)
        tiles.append(tile)
    soft = soft_gold_share(_to_tensor(tiles), "dunhuang").numpy()
    assert np.all(np.diff(soft) > 0)
    assert soft[-1] == pytest.approx(0.5, abs=0.02)  # half the pixels are exactly gold
    assert soft[-1] > 0.5 * gold_share(tiles[-1], "dunhuang")
    assert soft[0] < 0.01


def test_soft_density_ranks_finer_stripes_higher_as_the_measure_does() -> None:
    tiles = [_stripes(p) for p in (64, 32, 16, 8, 4)]
    hard = np.array([estimate_density(t) for t in tiles])
    soft = soft_density(_to_tensor(tiles)).numpy()
    assert np.all(np.diff(soft) > 0)
    assert spearman(hard, soft) > 0.8
    assert np.abs(np.clip(soft, 0, 1) - hard).max() < 0.15


def test_soft_symmetry_follows_the_mirror_measure() -> None:
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)
    half = noise[:, :128]
    mirrored = np.concatenate([half, half[:, ::-1]], axis=1)
    blend = ((noise.astype(int) + mirrored) // 2).astype(np.uint8)  # half-way symmetric
    tiles = [noise, blend, mirrored, mirrored.transpose(1, 0, 2).copy()]
    hard = np.array([estimate_symmetry(t) for t in tiles])
    soft = soft_symmetry(_to_tensor(tiles)).numpy()
    assert hard[0] < hard[1] < hard[2] and hard[2] == pytest.approx(1.0, abs=0.02)
    assert soft[0] < soft[1] < soft[2]
    assert soft[3] == pytest.approx(soft[2], abs=0.01)  # top-bottom mirrors count the same
    # the soft maximum sits a little above the hard one, never far
    assert np.all(soft >= hard - 0.02) and np.all(soft - hard < 0.15)


def test_soft_attribute_refuses_what_it_cannot_differentiate() -> None:
    with pytest.raises(ValueError, match="warmth"):
        soft_attribute(torch.zeros(1, 3, 8, 8), "warmth", "miao")


def test_gradient_direction_raises_the_smooth_attribute(tiny_renderer) -> None:
    """A small step along the mean gradient raises the smooth measure for the samples."""
    info = tiny_renderer.info
    conds = {r: c for r, c in region_conditions(None, 0).items() if r in ("miao", "dunhuang")}
    ranges = {"all": (0, info.num_ws), "fine": info.layer_ranges["fine"]}
    grads, ws, regs = attribute_gradients(tiny_renderer, conds, "complexity", ranges, n=6)
    assert set(grads) == {"all", "fine"} and ws.shape == (6, info.w_dim)
    assert regs == list(conds) * 3  # one region per sample in turn
    assert 0.2 < np.linalg.norm(grads["all"]) <= 1.0 + 1e-6  # mean of unit vectors
    G = tiny_renderer.G
    vec = torch.from_numpy(grads["all"] / np.linalg.norm(grads["all"])).float()
    base = torch.from_numpy(ws).float()[:, None].repeat(1, info.num_ws, 1)
    with torch.no_grad():
        before = soft_edge_density(G.synthesis(base, noise_mode="const"))
        after = soft_edge_density(G.synthesis(base + 0.05 * vec, noise_mode="const"))
    assert float((after - before).mean()) > 0


def test_keeping_the_attribute_itself_leaves_no_gradient(tiny_renderer) -> None:
    """Each sample's gradient loses its component along the kept score's own gradient: keep
    the attribute itself and nothing is left; keep something else and most of it stays."""
    info = tiny_renderer.info
    conds = {r: c for r, c in region_conditions(None, 0).items() if r in ("miao", "hakka")}
    ranges = {"all": (0, info.num_ws)}
    free, _, _ = attribute_gradients(tiny_renderer, conds, "complexity", ranges, n=4)
    same, _, _ = attribute_gradients(
        tiny_renderer, conds, "complexity", ranges, n=4, keep=lambda img, r: soft_edge_density(img)
    )
    other, _, _ = attribute_gradients(
        tiny_renderer, conds, "complexity", ranges, n=4, keep=lambda img, r: img[:, 0].mean((1, 2))
    )
    assert np.linalg.norm(free["all"]) > 0.2
    assert np.linalg.norm(same["all"]) < 1e-6
    assert 1e-3 < np.linalg.norm(other["all"]) <= np.linalg.norm(free["all"]) + 1e-9


def test_region_log_probability_uses_the_probe(tiny_encoder) -> None:
    from engine.culture import REGION_IDS
    from engine.directions.gradient import region_log_probability

    assert region_log_probability(None) is None
    saved = tiny_encoder.probe
    try:
        tiny_encoder.probe = None
        assert region_log_probability(tiny_encoder) is None  # no zero-shot fallback
        g = torch.Generator().manual_seed(0)
        tiny_encoder.probe = (torch.randn(8, 32, generator=g), torch.zeros(8))
        score = region_log_probability(tiny_encoder)
        assert score is not None
        img = (torch.rand(2, 3, 32, 32, generator=g) * 2 - 1).requires_grad_(True)
        logp = torch.stack([score(img, r) for r in REGION_IDS], dim=1)  # [2, 8]
        assert torch.allclose(logp.exp().sum(1), torch.ones(2), atol=1e-5)
        (grad,) = torch.autograd.grad(score(img, "miao").sum(), img)
        assert torch.isfinite(grad).all() and grad.abs().sum() > 0
    finally:
        tiny_encoder.probe = saved


@pytest.mark.slow
def test_fit_keeps_the_better_of_boundary_and_gradient(tiny_renderer) -> None:
    from engine.directions.named import SPEARMAN_TIE, fit_named_directions

    conds = {r: c for r, c in region_conditions(None, 0).items() if r in ("miao", "hakka")}
    (d,) = fit_named_directions(
        tiny_renderer, conds, 24, 2, attributes=("complexity",), gradient_samples=4
    )
    ranges = set(tiny_renderer.info.layer_ranges) | {"all"}
    assert set(d.meta["range_spearman"]) == ranges == set(d.meta["gradient_spearman"])
    scores = {("boundary", k): v for k, v in d.meta["range_spearman"].items()}
    scores |= {("gradient", k): v for k, v in d.meta["gradient_spearman"].items()}
    # the chosen one is as monotone as the best, within the tie margin
    assert scores[(d.meta["method"], d.layer_range)] >= max(scores.values()) - SPEARMAN_TIE
    assert d.meta["gradient_samples"] == 4
    (g,) = fit_named_directions(tiny_renderer, conds, 24, 2, attributes=("gold",))
    (w,) = fit_named_directions(
        tiny_renderer, conds, 24, 2, attributes=("warmth",), gradient_samples=4
    )
    assert "gradient_spearman" in g.meta and "gradient_spearman" not in w.meta
    assert w.meta["method"] == "boundary" and "change" in w.meta


def test_pick_candidate_prefers_the_larger_change_among_equally_monotone() -> None:
    from engine.directions.named import pick_candidate

    rho = {"a": 1.0, "b": 0.99, "c": 0.9}
    change = {"a": 0.01, "b": 0.2, "c": 0.5}
    assert pick_candidate(rho, change) == "b"  # c moves more but is less monotone
    assert pick_candidate(rho, change, tie=0.0) == "a"
    assert pick_candidate({"a": 0.5, "b": 0.5}, {"a": 0.1, "b": 0.1}) == "a"


@pytest.mark.slow
def test_refit_replaces_only_the_sliders_named(tiny_G, tmp_path: Path) -> None:
    """`directions refit` changes the sliders it names and nothing else in the file."""
    import json

    from engine.cli import main
    from engine.directions.store import load_directions
    from engine.stylegan.checkpoint import save_generator

    src = save_generator(tiny_G, tmp_path / "src")
    fit = ["directions", "fit", "--model", str(src), "--samples", "16", "--select-seeds", "1"]
    assert main([*fit, "--gradient-samples", "0"]) == 0
    old = load_directions(src)
    assert all("gradient_spearman" not in d.meta for d in old.directions)
    refit = ["directions", "refit", "--model", str(src), "--samples", "16", "--select-seeds", "1"]
    assert main([*refit, "--sliders", "complexity,gold", "--gradient-samples", "2"]) == 0
    new = load_directions(src)
    assert [(d.kind, d.name) for d in new.directions] == [(d.kind, d.name) for d in old.directions]
    for a, b in zip(old.directions, new.directions, strict=True):
        if a.kind == "named" and a.name in ("complexity", "gold"):
            assert b.meta["gradient_samples"] == 2
        else:
            np.testing.assert_array_equal(a.vector, b.vector)
            assert (a.scale, a.layers, a.meta) == (b.scale, b.layers, b.meta)
    assert sorted(new.arrays) == sorted(old.arrays)
    for k, v in old.arrays.items():
        np.testing.assert_array_equal(new.arrays[k], v)
    doc = json.loads((src / "directions.json").read_text())
    assert doc["meta"]["refit"]["replaced"] == ["complexity", "gold"]


def test_refit_refuses_unknown_sliders_and_models_without_directions(
    tiny_G, tmp_path: Path
) -> None:
    from engine.cli import main
    from engine.stylegan.checkpoint import save_generator

    src = save_generator(tiny_G, tmp_path / "src")
    refit = ["directions", "refit", "--model", str(src), "--samples", "16"]
    assert main([*refit, "--sliders", "gold"]) == 2  # no directions fitted yet
    assert not (src / "directions.json").exists()  # nothing written
    assert main([*refit, "--sliders", "sparkle"]) == 2
    assert main([*refit, "--sliders", "gold", "--gradient-samples", "-1"]) == 2
    assert main(["directions", "fit", "--model", str(src), "--select-seeds", "0"]) == 2
