"""The dissemination index and the per-arm figures with 95% intervals.

index = 100 · Σ_m weight_m · metric_m / baseline_m / Σ weight_m over CTR, share rate and mean
dwell; a chosen baseline arm (or all traffic pooled) is 100, as in the paper's table. Rates get
Beta(1 + k, 1 + n − k) posteriors; the index interval comes from posterior samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.errors import UserInputError
from engine.tuner.csvimport import Arm, ImportedResults

POOLED = "pooled"


@dataclass(frozen=True)
class RewardWeights:
    """Relative weights of the index's parts (configurable: `--weights ctr=2,share=1,dwell=0`)."""

    ctr: float = 1.0
    share: float = 1.0
    dwell: float = 1.0

    @staticmethod
    def parse(text: str) -> RewardWeights:
        vals = {"ctr": 1.0, "share": 1.0, "dwell": 1.0}
        for part in filter(None, (p.strip() for p in text.split(","))):
            key, _, v = part.partition("=")
            key = {"shares": "share", "share_rate": "share", "click": "ctr"}.get(key.strip(), key)
            if key.strip() not in vals:
                raise UserInputError(f"--weights: {part!r}: expected ctr=…, share=… or dwell=…")
            try:
                vals[key.strip()] = float(v)
            except ValueError:
                raise UserInputError(f"--weights: {part!r}: expected a number after '='") from None
            if not math.isfinite(vals[key.strip()]) or vals[key.strip()] < 0:
                raise UserInputError(f"--weights: {part!r}: expected a non-negative weight")
        return RewardWeights(**vals)


@dataclass
class ArmFigures:
    """Per-arm figures (arrays aligned with `ids`), each with a 95% interval."""

    ids: list[str]
    impressions: np.ndarray
    clicks: np.ndarray
    ctr: np.ndarray  # [A, 3] mean, lo, hi
    share: np.ndarray | None
    dwell: np.ndarray | None
    index: np.ndarray  # [A, 3]
    index_sd: np.ndarray  # [A] posterior sd (surrogate sample weights)
    baseline: str
    weights: dict[str, float]
    notes: list[str] = field(default_factory=list)

    def rows(self) -> list[dict[str, Any]]:
        out = []
        for i, vid in enumerate(self.ids):
            r: dict[str, Any] = {
                "variant_id": vid,
                "impressions": int(self.impressions[i]),
                "clicks": int(self.clicks[i]),
            }
            for name, arr in (
                ("ctr", self.ctr),
                ("share_rate", self.share),
                ("dwell_s", self.dwell),
                ("index", self.index),
            ):
                if arr is not None:
                    r[name], r[f"{name}_lo"], r[f"{name}_hi"] = (float(x) for x in arr[i])
            out.append(r)
        return out


def _beta_figs(k: np.ndarray, n: np.ndarray) -> np.ndarray:
    from scipy.stats import beta

    a, b = 1.0 + k, 1.0 + n - k
    return np.stack([a / (a + b), beta.ppf(0.025, a, b), beta.ppf(0.975, a, b)], axis=1)


def _beta_draws(rng: np.random.Generator, a: np.ndarray, b: np.ndarray, size: int) -> np.ndarray:
    """[len(a), size] posterior draws; Beta where counts are small, its moment-matched normal
    where both parameters exceed 50 (indistinguishable there, and ten times faster)."""
    out = np.empty((len(a), size))
    big = np.minimum(a, b) > 50
    if big.any():
        aa, bb = a[big, None], b[big, None]
        mean = aa / (aa + bb)
        sd = np.sqrt(aa * bb / ((aa + bb) ** 2 * (aa + bb + 1)))
        out[big] = np.clip(mean + sd * rng.standard_normal((int(big.sum()), size)), 1e-12, 1.0)
    if (~big).any():
        out[~big] = rng.beta(a[~big, None], b[~big, None], (int((~big).sum()), size))
    return out


def _dwell_params(arms: list[Arm]) -> tuple[np.ndarray, np.ndarray]:
    mean = np.array(
        [
            a.dwell_total / a.dwell_n if a.dwell_n and a.dwell_total is not None else 0.0
            for a in arms
        ]
    )
    n = np.array([max(a.dwell_n, 1) for a in arms], float)
    sd = mean.copy()  # no spread given: dwell times are roughly exponential (sd ≈ mean)
    for i, a in enumerate(arms):
        if a.dwell_sumsq is not None and a.dwell_n > 1:
            var = (a.dwell_sumsq - a.dwell_n * mean[i] ** 2) / (a.dwell_n - 1)
            sd[i] = math.sqrt(max(var, 0.0))
    return mean, np.maximum(sd / np.sqrt(n), 1e-9)


def arm_figures(
    res: ImportedResults,
    weights: RewardWeights = RewardWeights(),
    baseline: str = POOLED,
    n_samples: int = 500,
    seed: int = 0,
) -> ArmFigures:
    """Figures for every arm with traffic, in sorted id order."""
    ids = sorted(v for v, a in res.arms.items() if a.impressions > 0)
    if not ids:
        raise UserInputError("no arm in the results has any impressions")
    arms = [res.arms[i] for i in ids]
    if baseline != POOLED and baseline not in res.arms:
        raise UserInputError(
            f"--baseline: {baseline!r}: expected an arm id in the results (or 'pooled')"
        )
    if baseline != POOLED and res.arms[baseline].impressions == 0:
        raise UserInputError(f"--baseline: {baseline!r}: expected an arm with impressions")
    notes: list[str] = []
    n = np.array([a.impressions for a in arms], float)
    k = np.array([a.clicks for a in arms], float)
    w = {
        "ctr": weights.ctr,
        "share": weights.share if res.has_shares else 0.0,
        "dwell": weights.dwell if res.has_dwell else 0.0,
    }
    s = np.array([a.shares or 0 for a in arms], float)
    dmean, dse = _dwell_params(arms)
    pool = Arm(
        int(n.sum()),
        int(k.sum()),
        int(s.sum()),
        float(sum(a.dwell_total or 0.0 for a in arms)),
        int(sum(a.dwell_n for a in arms)),
    )
    base = pool if baseline == POOLED else res.arms[baseline]
    bd_mean, bd_se = _dwell_params([base])
    if w["dwell"] > 0 and bd_mean[0] <= 0:
        notes.append("the baseline has no dwell time: dwell is left out of the index")
        w["dwell"] = 0.0
    if sum(w.values()) <= 0:
        raise UserInputError("--weights: expected a positive weight on a metric the results have")
    tot = sum(w.values())
    wn = {m: v / tot for m, v in w.items()}

    rng = np.random.default_rng(seed)
    bn, bk, bs = float(base.impressions), float(base.clicks), float(base.shares or 0)
    idx_samples = np.empty((len(ids), 3))
    idx_sd = np.empty(len(ids))
    chunk = max(1, 2_000_000 // n_samples)
    for lo in range(0, len(ids), chunk):
        sl = slice(lo, lo + chunk)
        m = len(range(*sl.indices(len(ids))))
        b_ctr = rng.beta(1 + bk, 1 + bn - bk, n_samples)
        val = wn["ctr"] * _beta_draws(rng, 1 + k[sl], 1 + n[sl] - k[sl], n_samples) / b_ctr
        if wn["share"] > 0:
            b_sh = rng.beta(1 + bs, 1 + bn - bs, n_samples)
            val += wn["share"] * _beta_draws(rng, 1 + s[sl], 1 + n[sl] - s[sl], n_samples) / b_sh
        if wn["dwell"] > 0:
            b_dw = np.maximum(rng.normal(bd_mean[0], bd_se[0], n_samples), 1e-9)
            val += (
                wn["dwell"]
                * np.maximum(rng.normal(dmean[sl, None], dse[sl, None], (m, n_samples)), 0.0)
                / b_dw
            )
        val *= 100.0
        idx_samples[sl, 1:] = np.percentile(val, [2.5, 97.5], axis=1).T
        idx_sd[sl] = val.std(axis=1)
    ctr = _beta_figs(k, n)
    b_ctr_mean = (1 + bk) / (2 + bn)
    point = wn["ctr"] * ctr[:, 0] / b_ctr_mean
    share = None
    if res.has_shares:
        share = _beta_figs(s, n)
        if wn["share"] > 0:
            point += wn["share"] * share[:, 0] / ((1 + bs) / (2 + bn))
    dwell = None
    if res.has_dwell:
        dwell = np.stack([dmean, np.maximum(dmean - 1.96 * dse, 0), dmean + 1.96 * dse], 1)
        if wn["dwell"] > 0:
            point += wn["dwell"] * dmean / bd_mean[0]
    idx_samples[:, 0] = 100.0 * point
    return ArmFigures(
        ids,
        n.astype(np.int64),
        k.astype(np.int64),
        ctr,
        share,
        dwell,
        idx_samples,
        idx_sd,
        baseline,
        wn,
        notes,
    )


# ------------------------------------------------------------------------ power guidance
def mde_two_proportions(
    p: float, n1: float, n2: float, alpha: float = 0.05, power: float = 0.8
) -> float:
    """Smallest absolute CTR increase over `p` a two-sided two-proportion z-test detects."""
    from scipy.stats import norm

    if n1 <= 0 or n2 <= 0:
        return float("inf")
    za, zb = norm.ppf(1 - alpha / 2), norm.ppf(power)
    p = min(max(p, 1e-6), 1 - 1e-6)
    d = (za + zb) * math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    for _ in range(50):  # fixed point with the alternative's own variance
        p2 = min(p + d, 1 - 1e-9)
        pbar = (p * n1 + p2 * n2) / (n1 + n2)
        d_new = za * math.sqrt(pbar * (1 - pbar) * (1 / n1 + 1 / n2)) + zb * math.sqrt(
            p * (1 - p) / n1 + p2 * (1 - p2) / n2
        )
        if abs(d_new - d) < 1e-12:
            break
        d = d_new
    return d


def n_per_arm_for(p: float, delta: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """Impressions per arm needed to detect an absolute CTR change `delta` from `p`."""
    from scipy.stats import norm

    if delta <= 0:
        return float("inf")
    za, zb = norm.ppf(1 - alpha / 2), norm.ppf(power)
    p2 = min(p + delta, 1 - 1e-9)
    pbar = (p + p2) / 2
    root = za * math.sqrt(2 * pbar * (1 - pbar)) + zb * math.sqrt(p * (1 - p) + p2 * (1 - p2))
    return (root / delta) ** 2


def power_guidance(fig: ArmFigures, predicted_rel_uplift: float | None = None) -> dict:
    """What the imported traffic can detect (α = 0.05 two-sided, power 0.8)."""
    n = fig.impressions.astype(float)
    p = float(fig.clicks.sum() / max(n.sum(), 1))
    med = float(np.median(n))
    out = {
        "pooled_ctr": p,
        "arms": len(n),
        "median_impressions_per_arm": med,
        "total_impressions": float(n.sum()),
        "mde_ctr_between_two_arms_abs": mde_two_proportions(p, med, med),
        "mde_ctr_half_vs_half_abs": mde_two_proportions(p, n.sum() / 2, n.sum() / 2),
    }
    out["mde_ctr_between_two_arms_rel"] = out["mde_ctr_between_two_arms_abs"] / max(p, 1e-12)
    out["mde_ctr_half_vs_half_rel"] = out["mde_ctr_half_vs_half_abs"] / max(p, 1e-12)
    if predicted_rel_uplift is not None and predicted_rel_uplift > 0:
        out["impressions_per_arm_to_confirm_uplift"] = n_per_arm_for(p, p * predicted_rel_uplift)
    return out
