"""`wenyang bench tune [--json]`: time the tuner on 10,000 synthetic variants with 5 CSVs.

The synthetic market (engine.tuner.synthetic) has a known preference, so the bench also
reports how well the tuned policy recovered it (cosine with the true direction, CTR change).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time


def register_bench(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tune", help="tuner time for 10k variants with 5 CSVs (target ≤ 60 s)")
    p.add_argument("--variants", type=int, default=10_000)
    p.add_argument("--csvs", type=int, default=5)
    p.add_argument("--w-dim", type=int, default=512)
    p.add_argument("--num-ws", type=int, default=14)
    p.add_argument("--regions", type=int, default=8)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def bench_tune(
    n: int = 10_000,
    n_csv: int = 5,
    w_dim: int = 512,
    num_ws: int = 14,
    n_regions: int = 8,
    seed: int = 0,
) -> dict:
    import numpy as np

    from engine.tuner.batch import region_ids
    from engine.tuner.pipeline import TuneConfig, tune
    from engine.tuner.policy import load_policy
    from engine.tuner.synthetic import make_market

    with tempfile.TemporaryDirectory(prefix="wenyang-bench-tune-") as d:
        t0 = time.perf_counter()
        m = make_market(
            d,
            n=n,
            regions=region_ids()[:n_regions],
            w_dim=w_dim,
            num_ws=num_ws,
            n_csv=n_csv,
            seed=seed,
        )
        t_make = time.perf_counter() - t0
        t0 = time.perf_counter()
        res = tune(
            m.batch_dirs,
            m.csvs,
            os.path.join(d, "policy.safetensors"),
            os.path.join(d, "report"),
            TuneConfig(fidelity="proxy"),
        )
        wall = time.perf_counter() - t0
        pol = load_policy(os.path.join(d, "policy.safetensors"))
        recovered = {}
        for reg, u in m.directions.items():
            off = pol.offset(reg, None, 1.0)
            mask = np.array(m.regions) == reg
            c0, s0 = m.true_rates(reg, m.w_mean[mask])
            c1, s1 = m.true_rates(reg, m.w_mean[mask] + off)
            metric = m.effects[reg][0]
            sign = 1.0 if m.effects[reg][1] > 0 else -1.0
            recovered[reg] = {
                "cosine_with_true_direction": float(sign * off @ u / (np.linalg.norm(off) + 1e-12)),
                f"true_{metric}_change_rel": float(
                    (c1.mean() / c0.mean() if metric == "ctr" else s1.mean() / s0.mean()) - 1.0
                ),
            }
    return {
        "figure": "tuner time for synthetic variants with results CSVs",
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores",
        "variants": n,
        "csvs": n_csv,
        "w_dim": w_dim,
        "num_ws": num_ws,
        "regions": n_regions,
        "seconds_total": wall,
        "target_seconds": 60.0,
        "within_target": wall <= 60.0,
        "stages_s": res.timings,
        "setup_s": t_make,
        "surrogate_spearman_holdout": res.surrogate.spearman,
        "surrogate_spearman_by_region": {r["region"]: r["surrogate_spearman"] for r in res.regions},
        "crossfit_uplift_by_region": {
            r["region"]: [
                r.get("crossfit_uplift"),
                r.get("crossfit_uplift_lo"),
                r.get("crossfit_uplift_hi"),
            ]
            for r in res.regions
        },
        "uplift_by_region": {
            r["region"]: [r["uplift"], r["uplift_lo"], r["uplift_hi"]] for r in res.regions
        },
        "recovered_preferences": recovered,
        "fidelity_before_after": {
            r["region"]: [r["fidelity_before"], r["fidelity_after"]] for r in res.regions
        },
    }


def run(args: argparse.Namespace) -> int:
    out = bench_tune(args.variants, args.csvs, args.w_dim, args.num_ws, args.regions, args.seed)
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    print(
        f"tune: {out['variants']} variants, {out['csvs']} CSVs: {out['seconds_total']:.1f} s "
        f"(target ≤ 60 s) on {out['machine']}"
    )
    print("  stages: " + ", ".join(f"{k} {v:.1f}s" for k, v in out["stages_s"].items()))
    by = ", ".join(f"{k} {v:.2f}" for k, v in out["surrogate_spearman_by_region"].items())
    print(f"  surrogate held-out Spearman {out['surrogate_spearman_holdout']:.2f} ({by})")
    for reg, v in out["recovered_preferences"].items():
        print(f"  {reg}: " + ", ".join(f"{k} {x:+.3f}" for k, x in v.items()))
    for reg, (u, lo, hi) in out["uplift_by_region"].items():
        fb, fa = out["fidelity_before_after"][reg]
        cf = out["crossfit_uplift_by_region"][reg][0]
        cf = float("nan") if cf is None else cf
        print(
            f"  {reg:<10} predicted uplift {u:+.2f} [{lo:+.2f}, {hi:+.2f}] index points "
            f"(cross-fitted {cf:+.2f}); "
            f"fidelity {fb:.1f} → {fa:.1f}"
        )
    return 0
