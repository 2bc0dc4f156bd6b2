"""Reading A/B batches: joins, optional embeddings and text embeddings, every problem listed."""

from __future__ import annotations

import json

import numpy as np
import pytest
from tuner_batches import write_batch

from engine.errors import UserInputError
from engine.tuner.batch import read_batches
from engine.tuner.pipeline import TuneConfig, tune
from engine.tuner.ppo import PPOConfig
from engine.tuner.synthetic import make_market


def test_two_batches_join(tmp_path):
    a = write_batch(tmp_path / "a", ["a1", "a2"], region="dunhuang", seed=1)
    b = write_batch(tmp_path / "b", ["b1"], region="miao", seed=2)
    batch = read_batches([a, b])
    assert batch.ids == ["a1", "a2", "b1"] and batch.regions == ["dunhuang", "dunhuang", "miao"]
    assert batch.region_idx.tolist() == [0, 0, 1]
    assert batch.w_mean.shape == (3, 8) and batch.num_ws == 3 and batch.w_dim == 8
    assert batch.emb is None and batch.c is None
    assert batch.created["a1"] > 700_000


def test_batch_problems_are_all_listed(tmp_path):
    a = write_batch(tmp_path / "a", ["a1", "a2"])
    b = write_batch(tmp_path / "b", ["a1"], w_dim=8)
    with pytest.raises(UserInputError, match="expected ids unique across batches"):
        read_batches([a, b])
    text = (
        (a / "manifest.csv")
        .read_text()
        .replace("a2,variants/a2.png,dunhuang", "a2,variants/a2.png,atlantis")
    )
    text += "a3,variants/a3.png,miao,,0,0.7,m,h,,yesterday\n"
    (a / "manifest.csv").write_text(text)
    with pytest.raises(UserInputError) as e:
        read_batches([a, tmp_path / "nowhere"])
    msg = str(e.value)
    assert "manifest.csv:3: region: 'atlantis': expected one of" in msg
    assert "manifest.csv:4: created: 'yesterday': expected an ISO 8601 time" in msg
    assert "latents.safetensors: a3: missing" in msg
    assert "nowhere: expected an A/B batch folder" in msg


def test_embeddings_and_text_condition_reach_surrogate_and_policy(tmp_path):
    from safetensors.numpy import save_file

    m = make_market(tmp_path, n=200, w_dim=10, num_ws=2, regions=("dunhuang", "miao"), seed=7)
    rng = np.random.default_rng(0)
    for k, d in enumerate(m.batch_dirs):
        ids = [i for i, r in zip(m.ids, m.regions, strict=True) if d.name.endswith(r)]
        save_file(
            {i: rng.normal(size=6).astype(np.float32) for i in ids},
            str(d / "embeddings.safetensors"),
        )
        meta = json.loads((d / "batch.json").read_text())
        meta["c"] = [float(k), 1.0, 0.0]
        (d / "batch.json").write_text(json.dumps(meta))
    cfg = TuneConfig(
        fidelity="proxy", crossfit=False, ppo=PPOConfig(iterations=3, batch=64, minibatch=64)
    )
    res = tune(m.batch_dirs, m.csvs, tmp_path / "p.safetensors", None, cfg)
    assert res.surrogate.beta_e is not None and res.surrogate.beta_e.shape[1] == 6
    pol = res.policy
    assert pol.c_dim == 3
    np.testing.assert_allclose(pol.c_mean[1], [1.0, 1.0, 0.0])  # miao's batch text
    a = pol.offset("miao", np.array([1.0, 1.0, 0.0]), 1.0)
    np.testing.assert_allclose(pol.offset("miao", None, 1.0), a, rtol=1e-6)
    with pytest.raises(UserInputError, match="expected 3"):
        pol.offset("miao", np.zeros(5), 1.0)


def test_batches_carry_the_noise_their_variants_were_shown_with(tmp_path):
    """A batch exported with seeded noise records it; the tuner re-renders each variant with
    its own seed's noise. Batches from before (no noise_mode) read as constant noise."""
    from engine.abtest.batch import BatchSpec, Variant
    from engine.abtest.batch import write_batch as export

    def exported(name: str, first: int, noise_mode: str):
        variants = [
            Variant(f"v{first + i}", first + i, np.zeros((4, 4, 3), np.uint8), np.ones((3, 8)))
            for i in range(2)
        ]
        spec = BatchSpec("miao", n=2, seed=first, noise_mode=noise_mode)
        return export(tmp_path / name, spec, variants, model_id="m", model_hash="h" * 16, c=None)

    new, old = exported("new", 40, "seeded"), exported("old", 7, "const")
    meta = json.loads((old / "batch.json").read_text(encoding="utf-8"))
    del meta["noise_mode"]  # as written before session 6
    (old / "batch.json").write_text(json.dumps(meta), encoding="utf-8")
    batch = read_batches([new, old])
    assert batch.noise == [("seeded", 40), ("seeded", 41), ("const", None), ("const", None)]
