import numpy as np
import pytest

from engine.errors import UserInputError
from engine.tuner.policy import Policy, load_policy, save_policy

REGIONS = ("dunhuang", "miao", "tibetan", "mongolian", "jiangnan", "lingnan", "hakka", "xinjiang")


def make_policy(c_dim: int = 0) -> Policy:
    rng = np.random.default_rng(0)
    k, w_dim, h = 4, 10, 6
    s = 8 + c_dim
    weights = {
        "l0.weight": rng.normal(size=(h, s)),
        "l0.bias": rng.normal(size=h),
        "l1.weight": rng.normal(size=(h, h)),
        "l1.bias": rng.normal(size=h),
        "l2.weight": rng.normal(size=(k, h)),
        "l2.bias": rng.normal(size=k),
        "log_std": np.zeros(k),
    }
    weights = {n: v.astype(np.float32) for n, v in weights.items()}
    trained = np.zeros(8, bool)
    trained[:2] = True
    return Policy(
        weights,
        rng.normal(size=(k, w_dim)).astype(np.float32),
        REGIONS,
        trained,
        rng.normal(size=(8, c_dim)).astype(np.float32),
        num_ws=5,
        meta={"data_hash": "abc", "model_hashes": ["h1"]},
    )


@pytest.mark.parametrize("c_dim", [0, 3])
def test_round_trip_and_strength(tmp_path, c_dim):
    p = make_policy(c_dim)
    path, side = save_policy(tmp_path / "policy.safetensors", p)
    assert side.name == "policy.json" and side.is_file()
    q = load_policy(path)
    assert load_policy(side).meta["data_hash"] == "abc"
    assert q.meta["format"] == "wenyang-policy" and q.meta["version"] == 1
    assert q.w_dim == 10 and q.num_ws == 5 and q.c_dim == c_dim and q.model_hash == "h1"
    assert q.policy_id == ""
    c = np.ones(c_dim, np.float32) if c_dim else None
    full = q.offset("dunhuang", c, 1.0)
    assert full.shape == (10,) and full.dtype == np.float32
    np.testing.assert_allclose(full, p.offset("dunhuang", c, 1.0), rtol=1e-6)
    np.testing.assert_allclose(q.offset("dunhuang", c, 0.5), 0.5 * full, rtol=1e-5)
    assert not q.offset("dunhuang", c, 0.0).any()
    assert not q.offset("xinjiang", c, 1.0).any()  # no results for that region: no offset
    d, s, layers = q.render_offset("miao", c, 0.3)
    assert s == 0.3 and layers == (0, 5) and d.shape == (10,)
    with pytest.raises(UserInputError, match="strength"):
        q.offset("miao", c, 1.5)
    with pytest.raises(UserInputError, match="region"):
        q.offset("atlantis", c, 1.0)


def test_bad_policy_files(tmp_path):
    bad = tmp_path / "x.safetensors"
    bad.write_bytes(b"not a policy")
    with pytest.raises(UserInputError, match="expected a safetensors policy"):
        load_policy(bad)
    with pytest.raises(UserInputError, match="expected a policy file"):
        load_policy(tmp_path / "missing.safetensors")


def test_region_scale_round_trips_and_scales_the_offset(tmp_path):
    p = make_policy()
    full = p.offset("miao", None, 1.0)
    p.region_scale = np.ones(8, np.float32)
    p.region_scale[1] = 0.25
    path, _ = save_policy(tmp_path / "p.safetensors", p)
    q = load_policy(path)
    np.testing.assert_allclose(q.offset("miao", None, 1.0), 0.25 * full, rtol=1e-5)
    np.testing.assert_allclose(
        q.offset("dunhuang", None, 1.0), p.offset("dunhuang", None, 1.0), rtol=1e-5
    )
