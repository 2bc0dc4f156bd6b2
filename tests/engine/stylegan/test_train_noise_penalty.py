"""`train gan --noise-penalty`: reins in the noise inputs of the low-resolution layers."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from engine.errors import UserInputError
from tests.engine.stylegan.train_helpers import build_db, config

START = 0.5  # every noise strength before the step


def _noise_grads(G: torch.nn.Module) -> dict[str, tuple[int, float]]:
    """(resolution, gradient of the last G update) per noisy layer."""
    out = {}
    for n, m in G.synthesis.named_modules():
        if getattr(m, "use_noise", False):
            g = m.noise_strength.grad
            out[n] = (int(m.resolution), float(g) if g is not None else 0.0)
    return out


def test_noise_penalty_pulls_only_the_low_resolution_noise(tmp_path: Path) -> None:
    """One step from the same start with and without the penalty: the G gradient of every
    noise strength at <= 8 px differs by exactly d(W s^2)/ds = 2 W s; the others not at all."""
    from engine.stylegan.train.trainer import Trainer

    db = build_db(tmp_path / "db")
    runs = {}
    for weight in (0.0, 3.0):
        cfg = config(
            tmp_path / f"run{weight}",
            data=str(db),
            noise_penalty=weight,
            noise_penalty_res=8,
            r1_interval=0,
            pl_weight=0.0,
        )
        t = Trainer(cfg, verbose=False)
        with torch.no_grad():
            for m in t.G.synthesis.modules():
                if getattr(m, "use_noise", False):
                    m.noise_strength.fill_(START)
        t.step()
        runs[weight] = _noise_grads(t.G)
        if weight:
            assert "G/noise" in t._tick_entry(4, 1.0)
    free, reined = runs[0.0], runs[3.0]
    low = [n for n, (res, _) in free.items() if res <= 8]
    high = [n for n, (res, _) in free.items() if res > 8]
    assert low and high
    for n in low:
        assert reined[n][1] - free[n][1] == pytest.approx(2 * 3.0 * START, rel=1e-3), n
    for n in high:
        assert reined[n][1] == pytest.approx(free[n][1], abs=1e-6), n


def test_noise_penalty_options_are_checked(tmp_path: Path) -> None:
    with pytest.raises(UserInputError, match="noise-penalty"):
        config(tmp_path / "r", noise_penalty=-1.0).validate()
    with pytest.raises(UserInputError, match="noise-penalty-res"):
        config(tmp_path / "r", noise_penalty_res=24).validate()
