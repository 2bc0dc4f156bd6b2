"""Cross-fitted uplift: an estimate not inflated by the optimiser's curse.

The policy is chosen to maximise the surrogate, so the surrogate that chose it over-rates it
(noise the policy exploited looks like uplift). Here the logged arms are split in two folds
per region; a policy tuned on one fold's surrogate is scored by the other fold's surrogate,
and the two directions are averaged. It is conservative (half the data, a third of the updates).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from engine.tuner.fidelity import Fidelity, fidelity_guard
from engine.tuner.policy import policy_means
from engine.tuner.ppo import Env, PPOConfig, train_ppo
from engine.tuner.surrogate import fit_surrogate


def crossfit_uplift(
    z_all: np.ndarray,
    region_all: np.ndarray,
    e_all: np.ndarray | None,
    state_all: np.ndarray,
    logged: np.ndarray,
    y: np.ndarray,
    y_sd: np.ndarray,
    trained: np.ndarray,
    fid: Fidelity,
    ppo: PPOConfig,
    members: int,
    max_drop: float,
    min_arms: int,
    lam: float,
    cancel: Callable[[], bool] | None = None,
) -> dict[int, dict[str, float]]:
    """region index -> {"uplift", "uplift_lo", "uplift_hi"} (index points, tuned − untuned)."""
    R = len(trained)
    rng = np.random.default_rng(ppo.seed + 101)
    fold = np.zeros(len(logged), np.int64)
    for j in np.flatnonzero(trained):
        m = np.flatnonzero(region_all[logged] == j)
        fold[m[rng.permutation(len(m))[: len(m) // 2]]] = 1
    short = replace(
        ppo, iterations=max(1, ppo.iterations // 3), batch=512, minibatch=min(ppo.minibatch, 256)
    )
    per_fold: list[dict[int, np.ndarray]] = []
    for f in (0, 1):
        tr, ev = fold == f, fold != f
        ok = trained.copy()
        for j in np.flatnonzero(trained):
            ok[j] = (
                min((region_all[logged[tr]] == j).sum(), (region_all[logged[ev]] == j).sum())
                >= min_arms
            )
        if not ok.any():
            return {}
        e_tr = None if e_all is None else e_all[logged[tr]]
        e_ev = None if e_all is None else e_all[logged[ev]]
        sur_t = fit_surrogate(
            z_all[logged[tr]],
            region_all[logged[tr]],
            e_tr,
            y[tr],
            y_sd[tr],
            R,
            members=8,
            holdout=0.0,
            seed=ppo.seed + f,
            lam=lam,
        )
        sur_e = fit_surrogate(
            z_all[logged[ev]],
            region_all[logged[ev]],
            e_ev,
            y[ev],
            y_sd[ev],
            R,
            members=members,
            holdout=0.0,
            seed=ppo.seed + 10 + f,
            lam=lam,
        )
        base = np.flatnonzero(ok[region_all])
        fixed_t = sur_t.fixed_part(region_all, e_all)
        env = Env(z_all[base], region_all[base], state_all[base], fixed_t[:, base], sur_t, fid)
        res = train_ppo(env, short, cancel=cancel)
        mu = policy_means(res.actor, state_all)
        mu[~ok[region_all]] = 0.0
        scale = fidelity_guard(fid, z_all, region_all, mu, ok, max_drop, seed=ppo.seed)
        mu *= scale[region_all][:, None]
        fixed_e = sur_e.fixed_part(region_all, e_all)
        out: dict[int, np.ndarray] = {}
        for j in np.flatnonzero(ok):
            idx = np.flatnonzero(region_all == j)
            r = region_all[idx]
            b = sur_e.predict(z_all[idx], r, fixed=fixed_e[:, idx]).mean(1)
            t = sur_e.predict(z_all[idx] + mu[idx], r, fixed=fixed_e[:, idx]).mean(1)
            out[int(j)] = t - b  # [members]
        per_fold.append(out)
    result: dict[int, dict[str, float]] = {}
    for key in sorted(set(per_fold[0]) & set(per_fold[1])):
        u = 0.5 * (per_fold[0][key] + per_fold[1][key])
        lo, hi = np.percentile(u, [2.5, 97.5])
        result[key] = {"uplift": float(u.mean()), "uplift_lo": float(lo), "uplift_hi": float(hi)}
    return result
