"""The tune() API the GUI uses: progress, cancel, a pluggable fidelity term."""

from __future__ import annotations

import numpy as np
import pytest

from engine.cli import main
from engine.errors import UserInputError
from engine.tuner.pipeline import TuneConfig, tune
from engine.tuner.ppo import PPOConfig
from engine.tuner.synthetic import make_market


@pytest.fixture(scope="module")
def market(tmp_path_factory):
    return make_market(
        tmp_path_factory.mktemp("m"),
        n=300,
        w_dim=12,
        num_ws=2,
        regions=("dunhuang",),
        n_csv=2,
        seed=5,
    )


class CountingFidelity:
    """A stand-in region classifier: fidelity 1 inside the unit ball, falling off outside."""

    name = "fake-classifier"
    description = "test double"

    def __init__(self) -> None:
        self.calls = 0

    def score(self, z, region, base_idx):
        self.calls += 1
        return np.exp(-np.maximum((z**2).sum(1) - z.shape[1], 0) / z.shape[1])

    def accuracy(self, z, region, base_idx):
        return 100.0 * float(np.mean((z**2).sum(1) < 2 * z.shape[1]))


def test_pluggable_fidelity_progress_and_no_output(market, tmp_path):
    fid = CountingFidelity()
    seen: list[float] = []
    cfg = TuneConfig(ppo=PPOConfig(iterations=5, batch=128, minibatch=64))
    res = tune(
        market.batch_dirs,
        market.csvs,
        None,
        None,
        cfg,
        progress=lambda m, f: seen.append(f),
        fidelity=fid,
    )
    assert fid.calls >= 10  # sampled actions and the policy mean, every update
    assert res.fidelity_name == "fake-classifier"
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)
    assert len(res.ppo.history) == 5
    assert list(tmp_path.iterdir()) == []


def test_cancel_stops_training(market):
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 2

    cfg = TuneConfig(ppo=PPOConfig(iterations=50, batch=64, minibatch=64))
    with pytest.raises(InterruptedError):
        tune(market.batch_dirs, market.csvs, None, None, cfg, cancel=cancel)


def test_cli_argument_errors(market, tmp_path, capsys):
    assert (
        main(
            [
                "tune",
                "--variants",
                str(tmp_path),
                "--results",
                "x.csv",
                "--out",
                str(tmp_path / "p.safetensors"),
            ]
        )
        == 2
    )
    assert "expected an A/B batch folder" in capsys.readouterr().err
    assert (
        main(["tune", "--variants", str(market.batch_dirs[0]), "--results", str(market.csvs[0])])
        == 2
    )
    assert "--out" in capsys.readouterr().err
    with pytest.raises(UserInputError, match="baseline"):
        tune(market.batch_dirs, market.csvs, None, config=TuneConfig(baseline="nope"))
    assert not any(tmp_path.iterdir())
