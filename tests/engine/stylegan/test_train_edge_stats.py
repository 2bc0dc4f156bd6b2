"""`train gan --edge-stats W`: each fake is held to how its condition's tile is drawn."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from engine.errors import UserInputError
from engine.stylegan.train.edge_stats import EDGE_FLOOR, edge_distance, log_gradients
from tests.engine.stylegan.train_helpers import (
    check_paired_g_term,
    clip_trainer,
    config,
    picked_tiles,
)


def _flat_tile(n: int = 2, size: int = 128, seed: int = 0) -> torch.Tensor:
    """Flat-colour tiles: a few hard-edged rectangles of constant colour on a ground."""
    g = torch.Generator().manual_seed(seed)
    img = torch.rand(n, 3, 1, 1, generator=g).expand(n, 3, size, size).clone() * 2 - 1
    for i in range(n):
        for _ in range(6):
            y, x = (int(v) for v in torch.randint(0, size - 24, (2,), generator=g))
            img[i, :, y : y + 20, x : x + 12] = torch.rand(3, 1, 1, generator=g) * 2 - 1
    return img


def test_flat_grounds_and_crisp_edges_differ_from_soft_camouflage() -> None:
    tiles = _flat_tile()
    # a rolled tile (the motifs elsewhere) has exactly the same gradients
    rolled = torch.roll(tiles, (32, 64), dims=(-2, -1))
    assert float(edge_distance(rolled, tiles)) == pytest.approx(0.0, abs=1e-6)
    # the same layout with faint shading everywhere (invisible: 1-2 levels) is far off,
    # further than the same tile blurred (soft edges, grounds still flat)
    g = torch.Generator().manual_seed(3)
    shaded = tiles + 0.012 * torch.randn(tiles.shape, generator=g)
    blurred = torch.nn.functional.avg_pool2d(
        torch.nn.functional.pad(tiles, (1, 1, 1, 1), mode="circular"), 3, stride=1
    )
    d_shaded = float(edge_distance(shaded, tiles))
    d_blurred = float(edge_distance(blurred, tiles))
    assert d_shaded > 0.5 and d_shaded > 2 * d_blurred > 0
    # a flat field has every gradient at the floor
    flat = torch.zeros(1, 3, 64, 64)
    assert torch.allclose(log_gradients(flat, 64), torch.log(torch.tensor(EDGE_FLOOR)), atol=2e-3)
    with pytest.raises(ValueError, match="differ"):
        edge_distance(tiles, tiles[:1])


def test_the_push_flattens_a_shaded_ground_and_lands_on_no_fixed_grid() -> None:
    """Gradient descent on the term alone takes faint shading out of a ground (the tile's
    own statistics are reached again), and over steps the random phase spreads the push over
    every pixel position (a fixed 4 px pooling grid would have pushed whole blocks)."""
    tiles = _flat_tile(1, 256, seed=1)
    g = torch.Generator().manual_seed(4)
    fake = (tiles + 0.02 * torch.randn(tiles.shape, generator=g)).requires_grad_(True)
    start = float(edge_distance(fake.detach(), tiles))
    opt = torch.optim.Adam([fake], lr=2e-3)
    total = torch.zeros_like(tiles)
    for step in range(60):
        opt.zero_grad()
        loss = edge_distance(fake, tiles, torch.Generator().manual_seed(step))
        loss.backward()
        assert fake.grad is not None
        total += fake.grad.abs()
        opt.step()
    assert float(edge_distance(fake.detach(), tiles)) < 0.5 * start
    cols = total.sum(dim=(0, 1, 2))
    jumps = (cols - torch.roll(cols, -1)).abs()
    assert float(jumps[3::4].sum() / jumps.sum()) < 0.5  # 4 px lines: no favoured phase


def test_each_fake_is_scored_against_its_own_conditions_tile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    t = clip_trainer(tmp_path, monkeypatch, edge_stats=1.0, cond_noise=0.0)
    src, tiles = picked_tiles(t)
    assert float(t._edge_loss(tiles, src)) < 0.05  # only the random phase differs
    grey = torch.zeros_like(tiles)
    assert float(t._edge_loss(grey, src)) > 0.1


def test_the_edge_weight_adds_a_generator_term_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One step from the same start at weights 0, 1 and 3: D's gradients are the same, G's
    differ by the weight times one fixed gradient, scored against the picked tiles."""
    check_paired_g_term(
        lambda w: clip_trainer(tmp_path / f"w{w}", monkeypatch, edge_stats=w, seed=5),
        monkeypatch,
        "_edge_loss",
        "G/edges",
    )


def test_edge_options_are_checked(tmp_path: Path) -> None:
    for bad in (-1.0, float("nan")):
        with pytest.raises(UserInputError, match="--edge-stats"):
            config(tmp_path / "r", edge_stats=bad).validate()
    with pytest.raises(UserInputError, match="needs --cond clip"):
        config(tmp_path / "r", edge_stats=1.0, cond="region").validate()
