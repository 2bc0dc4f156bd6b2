"""`train gan --colour W`: each fake is held to the palette of the tile its condition came from."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from engine.errors import UserInputError
from engine.stylegan.train.data import to_float
from tests.engine.stylegan.train_helpers import (
    check_paired_g_term,
    clip_trainer,
    config,
    picked_tiles,
)


def test_each_fake_is_scored_against_its_own_conditions_tile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    t = clip_trainer(tmp_path, monkeypatch, colour=1.0, cond_noise=0.0)
    src, tiles = picked_tiles(t)
    assert float(t._colour_loss(tiles, src)) == pytest.approx(0.0, abs=1e-6)
    # the same colours anywhere in the tile: a palette, not a layout
    n, _, h, w = tiles.shape
    perm = torch.randperm(h * w, generator=torch.Generator().manual_seed(0))
    shuffled = tiles.flatten(2)[:, :, perm].reshape(n, 3, h, w)
    assert float(t._colour_loss(shuffled, src)) == pytest.approx(0.0, abs=1e-5)
    # another region's tile (the database cycles regions) is far off
    other = torch.roll(src, 1)
    far = float(t._colour_loss(to_float(t.data.images[other]), src))
    assert far > 0.05
    # a plain grey field is further from every tile than the tiles are from each other
    grey = torch.zeros_like(tiles)
    assert float(t._colour_loss(grey, src)) > 0.05


def test_the_colour_weight_adds_a_generator_term_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One step from the same start at weights 0, 1 and 3: the discriminator's gradients are
    the same; the generator's differ by the weight times one fixed gradient (a term added to
    the G loss, and it really moves G)."""
    check_paired_g_term(
        lambda w: clip_trainer(tmp_path / f"w{w}", monkeypatch, colour=w, seed=5),
        monkeypatch,
        "_colour_loss",
        "G/colour",
    )


def test_colour_options_are_checked(tmp_path: Path) -> None:
    with pytest.raises(UserInputError, match="--colour"):
        config(tmp_path / "r", colour=-1.0).validate()
    with pytest.raises(UserInputError, match="--colour-space"):
        config(tmp_path / "r", colour=1.0, cond="clip", colour_space="hsv").validate()
    with pytest.raises(UserInputError, match="needs --cond clip"):
        config(tmp_path / "r", colour=1.0, cond="region").validate()


def _line_share(g: torch.Tensor, period: int = 8) -> float:
    """Share of the gradient's jumps between neighbouring pixels that fall on the lines
    every `period` px (1.0: a block-wise push; 1/period: no preferred phase)."""
    d = (g - torch.roll(g, -1, dims=-1)).abs().sum(dim=(0, 1, 2))  # [W]: column k -> k+1
    return float(d[period - 1 :: period].sum() / d.sum())


def test_the_colour_push_lands_on_no_fixed_pixel_grid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pooling a 256 px fake to 32 px sends the term's gradient to the same 8x8 blocks every
    step; the random phase must spread it (session 17: the fixed blocks grew a grid)."""
    from engine.stylegan.train.align import random_phase

    t = clip_trainer(tmp_path, monkeypatch, colour=1.0, cond_noise=0.0)
    _, src = t._gen_pick(2)
    assert src is not None
    base = torch.nn.functional.interpolate(to_float(t.data.images[src]), size=256)
    base = base + 0.2 * torch.randn(base.shape, generator=torch.Generator().manual_seed(1))
    total = torch.zeros_like(base)
    for step in range(16):
        t.step_idx = step
        fake = base.clone().requires_grad_(True)
        t._colour_loss(fake, src).backward()
        assert fake.grad is not None
        total += fake.grad.abs()
        if step == 0:  # one step pushes whole blocks: jumps only on its shifted lines
            assert max(_line_share(torch.roll(fake.grad, -s, dims=-1)) for s in range(8)) > 0.99
    assert _line_share(total) < 0.3  # over steps, no preferred phase
    # rolling keeps the palette and a 32 px tile is left alone
    rng = torch.Generator().manual_seed(0)
    rolled = random_phase(base, rng)
    assert not torch.equal(rolled, base) or not torch.equal(random_phase(base, rng), base)
    assert torch.equal(rolled.flatten(2).sort(-1).values, base.flatten(2).sort(-1).values)
    small = torch.rand(1, 3, 32, 32)
    assert random_phase(small, rng) is small
