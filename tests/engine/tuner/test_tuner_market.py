"""Key test: a synthetic market with known preferences, tuned end to end through the CLI.

Dunhuang: a "gold" direction of w raises CTR; Miao: a "complexity" direction lowers shares.
The tuned policy must move w along the preferred directions, raise the simulated CTR, keep
the fidelity within 3 points, and write a policy + report; bad input must write nothing.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine.cli import main
from engine.tuner.policy import load_policy
from engine.tuner.synthetic import make_market


@pytest.fixture(scope="module")
def tuned(tmp_path_factory):
    d = tmp_path_factory.mktemp("market")
    m = make_market(d, n=600, w_dim=24, num_ws=3, impressions=3000, n_csv=5, seed=3)
    args = [
        "tune",
        "--quiet",
        "--out",
        str(d / "policy.safetensors"),
        "--report",
        str(d / "report"),
        "--iterations",
        "40",
    ]
    for b in m.batch_dirs:
        args += ["--variants", str(b)]
    for c in m.csvs:
        args += ["--results", str(c)]
    assert main(args) == 0
    return m, d


def test_policy_moves_along_the_true_preferences_and_raises_ctr(tuned):
    m, d = tuned
    pol = load_policy(d / "policy.safetensors")
    for region, sign in (("dunhuang", 1.0), ("miao", -1.0)):  # miao: shares fall along u
        off = pol.offset(region, None, 1.0)
        u = m.directions[region]
        cos = sign * float(off @ u / np.linalg.norm(off))
        assert cos > 0.5, (region, cos)
    mask = np.array(m.regions) == "dunhuang"
    w = m.w_mean[mask]
    ctr0, _ = m.true_rates("dunhuang", w)
    ctr1, _ = m.true_rates("dunhuang", w + pol.offset("dunhuang", None, 1.0))
    ctr_half, _ = m.true_rates("dunhuang", w + pol.offset("dunhuang", None, 0.5))
    assert ctr1.mean() > ctr_half.mean() > ctr0.mean() * 1.02
    mask = np.array(m.regions) == "miao"
    _, sh0 = m.true_rates("miao", m.w_mean[mask])
    _, sh1 = m.true_rates("miao", m.w_mean[mask] + pol.offset("miao", None, 1.0))
    assert sh1.mean() > sh0.mean()
    assert not pol.offset("tibetan", None, 1.0).any()


def test_report_figures(tuned):
    _, d = tuned
    rep = json.loads((d / "report" / "report.json").read_text())
    assert rep["fidelity"]["name"] == "mahalanobis"
    assert rep["surrogate"]["spearman_holdout"] > 0.2
    regions = {r["region"]: r for r in rep["regions"]}
    assert set(regions) == {"dunhuang", "miao"}
    for r in regions.values():
        assert r["uplift_lo"] > 0 and r["uplift_lo"] <= r["uplift"] <= r["uplift_hi"]
        assert abs(r["fidelity_before"] - r["fidelity_after"]) <= 3.0
        # honest estimate: positive, and below the optimiser's own (optimistic) figure
        assert 0 < r["crossfit_uplift"] < r["uplift"]
        ope = r["off_policy"]
        assert ope["ess"] > 0.3 * ope["n"] and ope["reliable"]
        assert ope["uplift"] > 0
    assert 0 < rep["power"]["mde_ctr_between_two_arms_rel"] < 1
    for name in ("index.html", "reward.png", "uplift.png", "arms.csv"):
        assert (d / "report" / name).stat().st_size > 200
    meta = json.loads((d / "policy.json").read_text())
    assert meta["data_hash"] == rep["data_hash"] and meta["hyperparameters"]["ppo"]["kl_coef"]
    assert "figures" in meta and meta["figures"]["regions"]["dunhuang"]["uplift"] > 0


def test_bad_rows_write_nothing(tuned, tmp_path, capsys):
    m, _ = tuned
    bad = tmp_path / "bad.csv"
    bad.write_text("variant_id,impressions,clicks\nv00000,100,200\nnope,1,0\n", encoding="utf-8")
    out = tmp_path / "p.safetensors"
    args = ["tune", "--quiet", "--out", str(out), "--report", str(tmp_path / "rep")]
    for b in m.batch_dirs:
        args += ["--variants", str(b)]
    args += ["--results", str(m.csvs[0]), str(bad)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"{bad}:2: clicks: '200': expected at most the impressions (100)" in err
    assert f"{bad}:3: variant_id: 'nope': expected a variant id" in err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == [bad]


def test_check_mode_prints_arms(tuned, capsys):
    m, _ = tuned
    args = [
        "tune",
        "--check",
        "--json",
        "--variants",
        str(m.batch_dirs[0]),
        "--variants",
        str(m.batch_dirs[1]),
        "--results",
        *map(str, m.csvs),
    ]
    assert main(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["arms"]) == 600
    assert all(a["ctr_lo"] <= a["ctr"] <= a["ctr_hi"] for a in data["arms"])
