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
    cfg = TuneConfig(crossfit=False, ppo=PPOConfig(iterations=5, batch=128, minibatch=64))
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

    cfg = TuneConfig(crossfit=False, ppo=PPOConfig(iterations=50, batch=64, minibatch=64))
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


def test_classifier_fidelity_renders_logged_ws_plus_offset(market):
    from engine.tuner.batch import read_batches
    from engine.tuner.classifier import LatentStore
    from engine.tuner.features import LatentSpace
    from engine.tuner.fidelity import ClassifierFidelity

    batch = read_batches(market.batch_dirs)
    space = LatentSpace.fit(batch.w_mean)
    z = space.to_z(batch.w_mean)
    store = LatentStore(batch)
    seen = []

    def render(ws, base_idx):  # a "generator": image brightness = first w coordinate of layer 0
        assert len(base_idx) == len(ws)  # each w comes with the logged variant it moves from
        seen.append(ws)
        return np.repeat(ws[:, :1, :1, None], 3, axis=3)

    def classify(images):  # "dunhuang" (index 0) when bright enough
        p0 = 1 / (1 + np.exp(-(images[:, 0, 0, 0] - batch.w_mean[:, 0].mean()) * 4))
        out = np.zeros((len(images), 8))
        out[:, 0], out[:, 1] = p0, 1 - p0
        return out

    fid = ClassifierFidelity(render, classify, store, z, space.offset_to_w)
    idx = np.arange(10)
    r = np.zeros(10, np.int64)
    np.testing.assert_allclose(store(idx).mean(1), batch.w_mean[:10], atol=1e-5)
    base = fid.score(z[idx], r, idx)
    np.testing.assert_allclose(seen[-1], store(idx), atol=1e-5)  # no offset: logged ws
    a = np.zeros((10, space.k), np.float32)
    a[:, :] = (
        space.to_z(batch.w_mean[:1] + np.eye(batch.w_dim)[0] * 5)[0]
        - space.to_z(batch.w_mean[:1])[0]
    )
    brighter = fid.score(z[idx] + a, r, idx)
    assert (brighter > base).all()
    assert fid.accuracy(z[idx] + a, r, idx) >= fid.accuracy(z[idx], r, idx)


def test_fidelity_guard_shrinks_only_regions_that_drift():
    from engine.tuner.fidelity import MahalanobisFidelity
    from engine.tuner.pipeline import fidelity_guard

    rng = np.random.default_rng(0)
    z = rng.normal(size=(4000, 6))
    region = np.repeat([0, 1], 2000)
    fid = MahalanobisFidelity.fit(z, region, 8)
    mu = np.zeros_like(z)
    mu[region == 0, 0] = 3.0  # far outside the support
    mu[region == 1, 0] = 0.1  # harmless
    trained = np.zeros(8, bool)
    trained[:2] = True
    scale = fidelity_guard(fid, z, region, mu, trained, max_drop=3.0)
    assert 0.0 < scale[0] < 0.9 and scale[1] == 1.0
    m = region == 0
    drop = fid.accuracy(z[m], region[m], m) - fid.accuracy(z[m] + scale[0] * mu[m], region[m], m)
    assert drop <= 3.0


def _brightness_teacher(market):
    """A ClassifierFidelity whose "image" is w[0] of layer 0 and whose classifier says
    dunhuang (index 0) when bright, miao (1) when dark: a known softmax-linear truth."""
    from engine.tuner.batch import read_batches
    from engine.tuner.classifier import LatentStore
    from engine.tuner.features import LatentSpace
    from engine.tuner.fidelity import ClassifierFidelity

    batch = read_batches(market.batch_dirs)
    space = LatentSpace.fit(batch.w_mean)
    z = space.to_z(batch.w_mean)
    centre = float(batch.w_mean[:, 0].mean())
    spread = float(batch.w_mean[:, 0].std())
    renders = []

    def render(ws, base_idx):
        renders.append(len(ws))
        return np.repeat(ws[:, :1, :1, None], 3, axis=3)

    def classify(images):
        p0 = 1 / (1 + np.exp(-(images[:, 0, 0, 0] - centre) / spread * 3))
        out = np.zeros((len(images), 8))
        out[:, 0], out[:, 1] = p0, 1 - p0
        return out

    teacher = ClassifierFidelity(render, classify, LatentStore(batch), z, space.offset_to_w)
    return teacher, z, space, batch, renders


def test_distilled_fidelity_learns_the_classifier(market):
    from engine.tuner.fidelity import DistilledFidelity, is_fast

    teacher, z, space, _batch, renders = _brightness_teacher(market)
    dist = DistilledFidelity.fit(teacher, z, samples=200, seed=3)
    assert sum(renders) == 200 and dist.samples == 200  # rendered once, in chunks
    assert dist.agreement >= 90.0
    assert is_fast(dist) and not is_fast(teacher)
    # on fresh latents it agrees with the classifier it was distilled from
    rng = np.random.default_rng(11)
    idx = rng.integers(0, len(z), 64)
    zq = (z[idx] + rng.standard_normal((64, space.k)) * 0.5).astype(np.float32)
    want = teacher._probs(zq, idx)[:, 0]
    got = dist.score(zq, np.zeros(64, np.int64), idx)
    assert ((got > 0.5) == (want > 0.5)).mean() >= 0.85
    assert np.all((got >= 0) & (got <= 1))
    assert np.corrcoef(got, want)[0, 1] > 0.8
    with pytest.raises(InterruptedError):
        DistilledFidelity.fit(teacher, z, samples=64, cancel=lambda: True)


def test_auto_fidelity_distils_when_the_models_are_there(market, monkeypatch):
    import engine.tuner.classifier as clf

    teacher, *_rest, renders = _brightness_teacher(market)
    monkeypatch.setattr(clf, "classifier_fidelity", lambda *a, **k: (teacher, "fake models"))
    cfg = TuneConfig(ppo=PPOConfig(iterations=4), crossfit=False, distill_samples=96)
    res = tune(market.batch_dirs, market.csvs, None, config=cfg)
    assert res.fidelity_name == "classifier-distilled"
    assert any("distilled on 96 renders" in n for n in res.notes)
    # PPO never rendered: only the distillation and the report's small culture sample did
    assert sum(renders) <= 96 + 2 * 32
    reg = res.regions[0]
    assert 0.0 <= reg["cultural_accuracy_before"] <= 100.0
    proxy = tune(
        market.batch_dirs,
        market.csvs,
        None,
        config=TuneConfig(**{**cfg.__dict__, "fidelity": "proxy"}),
    )
    assert proxy.fidelity_name == "mahalanobis"
