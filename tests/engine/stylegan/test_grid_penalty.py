"""`train gan --grid-penalty W`: the generator's jumps by pixel phase are held flat."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from engine.errors import UserInputError
from engine.seam import grid_ratio
from engine.stylegan.train.grid_penalty import GridPenalty, jump_profile
from tests.engine.stylegan.train_helpers import config, trainer


def _smooth(n: int, size: int, seed: int) -> torch.Tensor:
    """Varied content with no preferred pixel phase: blurred noise, wrapped."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, size, size, generator=g)
    k = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0]) / 16
    for dim in (2, 3):
        x = sum(w * torch.roll(x, s - 2, dims=dim) for s, w in enumerate(k))  # type: ignore[assignment]
    return x


def _blocks(size: int, period: int, seed: int) -> torch.Tensor:
    """Offsets constant over period x period blocks: jumps only across the block lines."""
    g = torch.Generator().manual_seed(seed)
    b = torch.randn(1, 3, size // period, size // period, generator=g)
    return b.repeat_interleave(period, 2).repeat_interleave(period, 3)


def test_the_profile_finds_block_lines_and_matches_the_eval_figure() -> None:
    flat = _smooth(8, 64, 0)
    prof = jump_profile(flat, 8)
    assert prof.shape == (8,)
    assert float(prof.mean()) == pytest.approx(1.0, abs=1e-6)
    assert float((prof - 1).abs().max()) < 0.05
    grid = flat + 0.5 * _blocks(64, 8, 1)
    prof = jump_profile(grid, 8)
    assert float(prof[0]) > 1.5  # phase 0: across the lines between blocks
    assert float(prof[1:].max()) < 1.0
    # the same figure as `eval gen`'s grid ratio on the tile with its wrap edge appended
    # (which also repeats one row and column in the means: hence not exact)
    img = np.pad(grid[0].permute(1, 2, 0).numpy(), ((0, 1), (0, 1), (0, 0)), mode="wrap")
    assert float(jump_profile(grid[:1], 8)[0]) == pytest.approx(grid_ratio(img, 8), rel=5e-3)
    with pytest.raises(ValueError, match="divide"):
        jump_profile(grid, 7)


def test_the_running_mean_is_bias_corrected() -> None:
    """The first batch's estimate is that batch's own profile, not a 1/decay share of it;
    later ones average; a mean saved without its count is taken as settled."""
    pen = GridPenalty(8, decay=0.01)
    assert torch.equal(pen.estimate(), torch.zeros(8))
    a = _smooth(2, 64, 3) + 0.5 * _blocks(64, 8, 1)
    b = _smooth(2, 64, 4)
    pen(a)
    assert torch.allclose(pen.estimate(), jump_profile(a, 8) - 1, atol=1e-5)
    pen(b)
    want = (0.99 * (jump_profile(a, 8) - 1) + (jump_profile(b, 8) - 1)) / 1.99
    assert torch.allclose(pen.estimate(), want, atol=1e-5)
    old = GridPenalty(8, decay=0.01)
    assert old.load({"grid_bias": pen.bias.clone()})
    assert torch.allclose(old.estimate(), pen.bias)
    assert not old.load({"grid_bias": torch.zeros(4)})  # another period


def _descend(start: torch.Tensor, steps: int = 300) -> tuple[torch.Tensor, list[float]]:
    """Learn an offset added to fresh varied content each step, under the penalty alone
    (plain SGD, so how far it moves shows how hard the penalty pushes)."""
    offset = start.clone().requires_grad_(True)
    pen = GridPenalty(8, decay=0.05)
    opt = torch.optim.SGD([offset], lr=1000.0)
    line = []
    for step in range(steps):
        fake = _smooth(4, 64, 100 + step) + offset
        opt.zero_grad()
        pen(fake).backward()
        opt.step()
        line.append(float(pen.bias[0]) + 1)
    return offset.detach(), line


def test_the_penalty_removes_a_grid_and_barely_moves_content_without_one() -> None:
    def ratio(offset: torch.Tensor) -> float:
        return grid_ratio((_smooth(1, 64, 7) + offset)[0].permute(1, 2, 0).numpy(), 8)

    grid = 0.5 * _blocks(64, 8, 1)
    learnt, line = _descend(grid)
    assert ratio(grid) > 1.5
    assert ratio(learnt) < 1.02
    assert max(line) > 1.1 and line[-1] < 1.02  # the running estimate follows the grid down
    moved = float((learnt - grid).norm())
    # without a grid the batches' own uneven profiles average out: the running estimate
    # stays near 1 and the offset moves a fraction of what removing the grid took
    still, line = _descend(torch.zeros_like(grid))
    assert max(abs(v - 1) for v in line) < 0.01
    assert float(still.norm()) < 0.25 * moved


def test_the_grid_weight_adds_a_generator_term_and_resumes(tmp_path: Path) -> None:
    """One step at weights 0, 1 and 3 from the same start: D's gradients are the same, G's
    differ by the weight times one gradient; the running mean is saved and restored."""
    grads = {}
    for w in (0.0, 1.0, 3.0):
        t = trainer(tmp_path / f"w{w}", grid_penalty=w, grid_period=4, grid_decay=0.5)
        if w:  # a running mean as after many steps, so the first step already pushes
            t.grid.bias.copy_(torch.tensor([0.3, -0.1, -0.1, -0.1]))
            t.grid.steps.fill_(1e9)
        t.step()
        g = torch.cat([p.grad.flatten() for p in t.G.parameters() if p.grad is not None])
        d = torch.cat([p.grad.flatten() for p in t.D.parameters() if p.grad is not None])
        grads[w] = (g, d)
        entry = t._tick_entry(4, 1.0)
        if w:
            assert "G/grid" in entry
            assert entry["G/grid_line"] == pytest.approx(float(t.grid.bias[0]) + 1, abs=1e-5)
        else:
            assert t.grid is None and "G/grid" not in entry
    (g0, d0), (g1, d1), (g3, d3) = grads[0.0], grads[1.0], grads[3.0]
    assert torch.allclose(d1, d0, atol=1e-7) and torch.allclose(d3, d0, atol=1e-7)
    assert (g1 - g0).abs().max() > 1e-5
    assert torch.allclose(g3 - g0, 3 * (g1 - g0), rtol=1e-3, atol=1e-6)

    t = trainer(tmp_path / "run", grid_penalty=1.0, grid_period=4, grid_decay=0.5)
    t.step()
    bias = t.grid.bias.clone()
    assert float(bias.abs().max()) > 0 and float(t.grid.steps) == 1
    snap = t.save()
    assert snap is not None
    resumed = trainer(tmp_path / "run", grid_penalty=2.0, grid_period=4, grid_decay=0.5)
    resumed.load(snap)
    assert torch.equal(resumed.grid.bias, bias) and float(resumed.grid.steps) == 1
    # turned off on resume: allowed, nothing to restore
    trainer(tmp_path / "run", grid_period=4).load(snap)
    # turned on for a run saved without it: starts afresh
    plain = trainer(tmp_path / "plain")
    plain.step()
    snap2 = plain.save()
    fresh = trainer(tmp_path / "plain", grid_penalty=1.0)
    fresh.load(snap2)
    assert torch.equal(fresh.grid.bias, torch.zeros(8))


def test_grid_options_are_checked(tmp_path: Path) -> None:
    with pytest.raises(UserInputError, match="--grid-penalty"):
        config(tmp_path / "r", grid_penalty=-1.0).validate()
    with pytest.raises(UserInputError, match="--grid-period"):
        config(tmp_path / "r", grid_period=3).validate()  # 16 px tiles
    with pytest.raises(UserInputError, match="--grid-decay"):
        config(tmp_path / "r", grid_decay=0.0).validate()
    config(tmp_path / "r", grid_penalty=2.0, grid_period=16).validate()  # the tile itself
