"""Adaptive augmentation and LAFITE conditions."""

from __future__ import annotations

import math

import pytest
import torch

from engine.stylegan.train.augment import AdaController, AugmentPipe, colour_matrix, translate
from engine.stylegan.train.conditioning import perturb


def test_ada_p_rises_when_d_overfits_and_falls_otherwise() -> None:
    up = AdaController(p=0.2, target=0.6, interval=4, ada_kimg=1.0, batch=16)
    for step in range(8):
        up.accumulate(torch.full((16, 1), 3.0))  # D sure every real is real: overfitting
        up.update(step)
    assert up.p > 0.2 and up.rt == 1.0
    assert math.isclose(up.p, 0.2 + 2 * 16 * 4 / 1000)
    down = AdaController(p=0.2, target=0.6, interval=4, ada_kimg=1.0, batch=16)
    for step in range(8):
        down.accumulate(torch.tensor([[1.0], [-1.0], [-2.0], [0.5]]))  # r_t = 0 < 0.6
        down.update(step)
    assert down.p < 0.2
    fixed = AdaController(p=0.3, target=None)
    fixed.accumulate(torch.ones(4, 1))
    fixed.update(3)
    assert fixed.p == 0.3


def test_ada_state_round_trip() -> None:
    a = AdaController(p=0.1, interval=4)
    a.accumulate(torch.ones(8, 1))
    b = AdaController()
    b.load(a.state())
    assert b.p == 0.1 and float(b.sum) == 8 and float(b.count) == 8


def test_translation_wraps_like_roll_and_reflects_otherwise() -> None:
    x = torch.arange(2 * 3 * 8 * 8, dtype=torch.float32).reshape(2, 3, 8, 8)
    tx, ty = torch.tensor([3, -2]), torch.tensor([1, 5])
    out = translate(x, tx, ty, wrap=True)
    for i in range(2):
        assert torch.equal(out[i], torch.roll(x[i], (int(ty[i]), int(tx[i])), dims=(1, 2)))
    refl = translate(x, tx, ty, wrap=False)
    assert torch.equal(refl[0, :, 1:, 3:], x[0, :, :-1, :-3])
    assert torch.equal(refl[0, :, 0, 3], x[0, :, 1, 0])  # mirrored about the edge


def test_augment_identity_at_p0_differentiable_and_tile_preserving() -> None:
    torch.manual_seed(0)
    pipe = AugmentPipe(wrap=True, colour=False)
    x = torch.rand(8, 3, 16, 16) * 2 - 1
    assert pipe(x, 0.0) is x
    y = pipe(x, 1.0)
    # geometric ops only permute pixels of a periodic tile: same multiset of values
    for i in range(8):
        assert torch.allclose(y[i].flatten().sort().values, x[i].flatten().sort().values)
    xr = x.clone().requires_grad_(True)
    AugmentPipe(wrap=True, colour=True)(xr, 1.0).square().sum().backward()
    assert xr.grad is not None and torch.isfinite(xr.grad).all() and xr.grad.abs().sum() > 0


def test_colour_matrix_keeps_grey_under_hue_and_saturation() -> None:
    torch.manual_seed(1)
    m = colour_matrix(64, 1.0, torch.device("cpu"), brightness=0.0, contrast=0.0)
    grey = torch.tensor([0.3, 0.3, 0.3, 1.0])
    out = m @ grey
    assert torch.allclose(out, torch.full_like(out, 0.3), atol=1e-5)


def test_lafite_perturbation_is_unit_and_close() -> None:
    torch.manual_seed(2)
    c = torch.nn.functional.normalize(torch.randn(256, 64), dim=1)
    h = perturb(c, 0.1)
    assert torch.allclose(h.norm(dim=1), torch.ones(256), atol=1e-5)
    cos = (h * c).sum(1)
    # |c + 0.1 u| with u unit, nearly orthogonal in 64-d: cos ~ 1/sqrt(1.01)
    assert cos.min() > 0.97 and cos.max() < 1.0
    assert torch.equal(perturb(c, 0.0), c)


def test_without_translation_the_tile_edge_stays_at_the_edge() -> None:
    ring = torch.ones(1, 3, 16, 16)
    ring[..., 1:-1, 1:-1] = 0  # marks the tile's edge
    x = ring.repeat(64, 1, 1, 1)
    torch.manual_seed(0)
    still = AugmentPipe(wrap=True, colour=False, translate_frac=0.0)(x, 1.0)
    assert torch.equal(still, x)  # flips and quarter turns keep the edge where it is
    moved = AugmentPipe(wrap=True, colour=False, translate_frac=0.125)(x, 1.0)
    assert (moved != x).flatten(1).any(1).float().mean() > 0.5


def _orientation_shares(p: float, n: int = 8000) -> list[float]:
    """Share of each of the 8 flips/quarter turns in AugmentPipe's output (identity first)."""
    x = torch.arange(16.0).reshape(1, 1, 4, 4)  # every orientation of it is distinct
    group = []
    for k in range(4):
        r = torch.rot90(x, k, (2, 3))
        group += [r, r.flip(3)]
    torch.manual_seed(3)
    y = AugmentPipe(wrap=True, colour=False, translate_frac=0.0)(x.repeat(n, 1, 1, 1), p)
    hits = torch.stack([(y == g).flatten(1).all(1) for g in group], 1)
    assert torch.equal(hits.sum(1), torch.ones(n, dtype=torch.long))  # always one of the 8
    return (hits.float().mean(0)).tolist()


@pytest.mark.parametrize("p", [0.3, 0.6, 0.8])
def test_identity_stays_the_likeliest_orientation_below_p1(p: float) -> None:
    """ADA is non-leaking only if the augmentation is invertible in distribution: the
    untransformed tile must stay the most likely outcome for every p < 1."""
    shares = _orientation_shares(p)
    assert shares[0] > max(shares[1:]) + 0.02, shares


def test_at_p1_every_orientation_is_equally_likely() -> None:
    assert all(abs(s - 1 / 8) < 0.02 for s in _orientation_shares(1.0))
