import math

import numpy as np
import pytest

from engine.errors import UserInputError
from engine.tuner.csvimport import Arm, ImportedResults
from engine.tuner.reward import (
    RewardWeights,
    arm_figures,
    mde_two_proportions,
    n_per_arm_for,
    power_guidance,
)


def results(arms: dict[str, Arm], shares=True, dwell=True) -> ImportedResults:
    return ImportedResults(arms, [], None, shares, dwell)


ARMS = {
    "a": Arm(10_000, 320, 80, 200_000.0, 10_000),
    "b": Arm(10_000, 450, 80, 200_000.0, 10_000),
    "c": Arm(10_000, 320, 160, 260_000.0, 10_000),
}


def test_baseline_arm_is_100_and_intervals_bracket_the_estimate():
    f = arm_figures(results(ARMS), RewardWeights(), baseline="a", seed=1)
    row = {v: i for i, v in enumerate(f.ids)}
    assert f.index[row["a"], 0] == pytest.approx(100.0)
    for i in range(3):
        lo, hi = f.index[i, 1], f.index[i, 2]
        assert lo < f.index[i, 0] < hi
        assert f.ctr[i, 1] < f.ctr[i, 0] < f.ctr[i, 2]
    # b: CTR × 450/320 with weight 1/3 → index ≈ 100 + 40.6/3
    assert f.index[row["b"], 0] == pytest.approx(100 + 100 * (451 / 321 - 1) / 3, rel=1e-3)
    assert f.index[row["c"], 0] > f.index[row["b"], 0]  # shares doubled + longer dwell


def test_weights_are_configurable_and_missing_metrics_dropped():
    f = arm_figures(results(ARMS), RewardWeights(ctr=1, share=0, dwell=0), baseline="a")
    row = {v: i for i, v in enumerate(f.ids)}
    assert f.index[row["c"], 0] == pytest.approx(100.0)
    assert f.weights == {"ctr": 1.0, "share": 0.0, "dwell": 0.0}
    f2 = arm_figures(results(ARMS, shares=False, dwell=False), RewardWeights())
    assert f2.weights["share"] == 0 and f2.weights["dwell"] == 0 and f2.share is None
    assert RewardWeights.parse("ctr=2, shares=0.5") == RewardWeights(2.0, 0.5, 1.0)
    with pytest.raises(UserInputError):
        RewardWeights.parse("likes=1")
    with pytest.raises(UserInputError, match="baseline"):
        arm_figures(results(ARMS), baseline="zz")


def test_pooled_baseline_averages_to_about_100():
    f = arm_figures(results(ARMS), RewardWeights(ctr=1, share=0, dwell=0))
    assert f.baseline == "pooled"
    assert np.mean(f.index[:, 0]) == pytest.approx(100.0, rel=5e-3)  # Beta(1,1) prior shift


def test_power_guidance_matches_textbook_formula():
    p, n = 0.032, 10_000
    approx = (1.959964 + 0.841621) * math.sqrt(2 * p * (1 - p) / n)
    assert mde_two_proportions(p, n, n) == pytest.approx(approx, rel=0.08)
    d = mde_two_proportions(p, n, n)
    assert n_per_arm_for(p, d) == pytest.approx(n, rel=0.05)
    g = power_guidance(arm_figures(results(ARMS), RewardWeights()), predicted_rel_uplift=0.1)
    assert g["mde_ctr_half_vs_half_abs"] < g["mde_ctr_between_two_arms_abs"]
    assert g["impressions_per_arm_to_confirm_uplift"] > 10_000
