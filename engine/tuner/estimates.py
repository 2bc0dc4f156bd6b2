"""Per-region estimates of what the tuned policy buys: surrogate uplift with an interval from
the ensemble, an off-policy check on the logged variants, and fidelity before/after.

Off-policy: the logged variants of a region are draws from the untuned generator, modelled as
a Gaussian in z; the tuned policy shifts it by its mean offset μ. Self-normalised importance
weights ρ_i = N(z_i; m + μ, Σ) / N(z_i; m, Σ) re-weight the observed index; the effective
sample size (Σρ)²/Σρ² says whether the logged data still covers the tuned policy.
"""

from __future__ import annotations

import numpy as np

from engine.tuner.fidelity import Fidelity
from engine.tuner.surrogate import Surrogate

MIN_ESS = 10.0


def gaussian_support(z: np.ndarray, region: np.ndarray, R: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-region means [R, k] and the pooled within-region precision [k, k] of z."""
    k = z.shape[1]
    means = np.zeros((R, k))
    resid = np.zeros_like(z, dtype=np.float64)
    for j in range(R):
        m = region == j
        if m.any():
            means[j] = z[m].mean(0)
            resid[m] = z[m] - means[j]
    cov = resid.T @ resid / max(len(z) - len(np.unique(region)), 1) + 1e-6 * np.eye(k)
    return means, np.linalg.inv(cov)


def snis(
    z: np.ndarray,
    y: np.ndarray,
    mu: np.ndarray,
    mean: np.ndarray,
    prec: np.ndarray,
    n_boot: int = 200,
    seed: int = 0,
) -> dict[str, float]:
    """Self-normalised IS estimate of the tuned policy's index from logged (z, y)."""
    pm = mu @ prec  # [n, k] (μ may differ per variant through the text embedding)
    logr = (pm * (z - mean)).sum(1) - 0.5 * (pm * mu).sum(1)
    logr -= logr.max()
    rho = np.exp(logr)
    ess = float(rho.sum() ** 2 / max((rho**2).sum(), 1e-300))
    est = float((rho * y).sum() / rho.sum())
    rng = np.random.default_rng(seed)
    boots = []
    for _ in range(n_boot):
        i = rng.integers(0, len(y), len(y))
        boots.append(float((rho[i] * y[i]).sum() / rho[i].sum() - y[i].mean()))
    lo, hi = np.percentile(boots, [2.5, 97.5]) if boots else (np.nan, np.nan)
    return {
        "value": est,
        "uplift": est - float(y.mean()),
        "uplift_lo": float(lo),
        "uplift_hi": float(hi),
        "ess": ess,
        "n": len(y),
        "reliable": bool(ess >= max(MIN_ESS, 0.05 * len(y))),
    }


def region_estimates(
    region_names: tuple[str, ...],
    trained: np.ndarray,
    z_all: np.ndarray,
    region_all: np.ndarray,
    mu_all: np.ndarray,
    fixed_all: np.ndarray,
    surrogate: Surrogate,
    fidelity: Fidelity,
    logged: np.ndarray,
    y_logged: np.ndarray,
    fidelity_sample: int = 256,
    seed: int = 0,
    culture: Fidelity | None = None,
    culture_sample: int = 32,
) -> list[dict]:
    """One dict per trained region. `logged`: indices into z_all of arms with traffic."""
    means, prec = gaussian_support(z_all, region_all, len(region_names))
    rng = np.random.default_rng(seed)
    out = []
    for j, name in enumerate(region_names):
        if not trained[j]:
            continue
        idx = np.flatnonzero(region_all == j)
        r = region_all[idx]
        base = surrogate.predict(z_all[idx], r, fixed=fixed_all[:, idx]).mean(1)  # [M]
        tuned = surrogate.predict(z_all[idx] + mu_all[idx], r, fixed=fixed_all[:, idx]).mean(1)
        up = tuned - base
        lo, hi = np.percentile(up, [2.5, 97.5])
        sub = idx if len(idx) <= fidelity_sample else rng.choice(idx, fidelity_sample, False)
        before = fidelity.accuracy(z_all[sub], region_all[sub], sub)
        after = fidelity.accuracy(z_all[sub] + mu_all[sub], region_all[sub], sub)
        cult: dict[str, float] = {}
        if culture is not None:  # the region classifier on rendered images (a small sample)
            cs = sub[:culture_sample]
            cult = {
                "cultural_accuracy_before": culture.accuracy(z_all[cs], region_all[cs], cs),
                "cultural_accuracy_after": culture.accuracy(
                    z_all[cs] + mu_all[cs], region_all[cs], cs
                ),
            }
        lg = logged[region_all[logged] == j]
        ope = None
        if len(lg) >= 3:
            ys = y_logged[np.searchsorted(logged, lg)]
            ope = snis(z_all[lg], ys, mu_all[lg], means[j], prec, seed=seed)
        out.append(
            {
                "region": name,
                "surrogate_spearman": surrogate.spearman_by_region.get(j, float("nan")),
                "variants": len(idx),
                "arms_with_traffic": len(lg),
                "predicted_index_base": float(base.mean()),
                "predicted_index_tuned": float(tuned.mean()),
                "uplift": float(up.mean()),
                "uplift_lo": float(lo),
                "uplift_hi": float(hi),
                "uplift_rel": float(up.mean() / max(abs(base.mean()), 1e-9)),
                "offset_norm_sd": float(np.linalg.norm(mu_all[idx].mean(0))),
                "fidelity_before": before,
                "fidelity_after": after,
                "off_policy": ope,
                **cult,
            }
        )
    return out
