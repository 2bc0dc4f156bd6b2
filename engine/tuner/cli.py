"""`wenyang tune --variants DIR --results CSV [--results CSV …] --out POLICY [--report DIR]`."""

from __future__ import annotations

import argparse
import json
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "tune",
        help="tune the generation policy from imported A/B results (offline PPO)",
        description="Import A/B results CSVs for an exported batch, fit a reward model and "
        "train a policy that shifts w toward what the audience clicked, shared and dwelt on, "
        "without leaving the region's cultural support. Nothing is written if any row is bad.",
    )
    p.add_argument(
        "--variants",
        action="append",
        required=True,
        metavar="DIR",
        help="A/B batch folder from `wenyang abtest export` (repeatable)",
    )
    p.add_argument(
        "--results",
        action="extend",
        nargs="+",
        required=True,
        metavar="CSV",
        help="results CSV(s): per-variant totals or one row per impression",
    )
    p.add_argument(
        "--out",
        metavar="POLICY",
        help="policy file to write (.safetensors; a .json sidecar is written beside it)",
    )
    p.add_argument("--report", metavar="DIR", help="write report (HTML, PNG, JSON, CSV) here")
    p.add_argument(
        "--check",
        action="store_true",
        help="only import and validate the CSVs and print the arms; write nothing",
    )
    p.add_argument(
        "--baseline",
        default="pooled",
        metavar="ARM",
        help="arm whose dissemination index is 100 (default: all traffic pooled)",
    )
    p.add_argument(
        "--weights",
        default="ctr=1,share=1,dwell=1",
        help="index weights, e.g. ctr=2,share=1,dwell=0.5",
    )
    p.add_argument(
        "--duplicates",
        choices=("error", "sum"),
        default="error",
        help="rows for one variant in several files: error, or sum (channels)",
    )
    p.add_argument("--max-window-days", type=int, default=90)
    p.add_argument("--iterations", type=int, default=None, help="PPO updates (default 60)")
    p.add_argument("--pessimism", type=float, default=None, help="k in mean − k·std")
    p.add_argument("--kl-coef", type=float, default=None, help="KL penalty to the untuned policy")
    p.add_argument(
        "--fidelity-weight", type=float, default=None, help="index points per fidelity point"
    )
    p.add_argument(
        "--fidelity",
        choices=("auto", "proxy", "classifier"),
        default="auto",
        help="cultural-fidelity term: auto = the CLIP region classifier distilled on a "
        "few hundred renders (when the generator and CLIP model are there, else proxy), "
        "with the classifier's own accuracy on renders in the report; classifier = the "
        "classifier on a render of every rollout (slow); proxy = Mahalanobis distance "
        "to the region's logged w (never renders)",
    )
    p.add_argument(
        "--clip-embed",
        action="store_true",
        help="embed variants/*.png with the CLIP encoder when the batch has no "
        "embeddings.safetensors",
    )
    p.add_argument("--model", metavar="DIR", help="generator folder (default: shipped)")
    p.add_argument("--clip", metavar="DIR", help="CLIP model folder (default: shipped)")
    p.add_argument(
        "--no-crossfit",
        action="store_true",
        help="skip the cross-fitted uplift estimate (two extra short PPO runs)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(func=run)


def _progress(quiet: bool):
    last = [""]

    def say(msg: str, frac: float) -> None:
        if quiet or msg == last[0]:
            return
        last[0] = msg
        print(f"[{100 * frac:3.0f}%] {msg}", file=sys.stderr, flush=True)

    return say


def run(args: argparse.Namespace) -> int:
    from engine.errors import UserInputError
    from engine.tuner.pipeline import TuneConfig
    from engine.tuner.ppo import PPOConfig
    from engine.tuner.reward import RewardWeights

    if not args.check and not args.out:
        raise UserInputError("--out: expected a policy file to write (or --check to validate)")
    ppo = PPOConfig(seed=args.seed)
    for name in ("iterations", "pessimism", "kl_coef", "fidelity_weight"):
        v = getattr(args, name)
        if v is not None:
            if v < 0 or (name == "iterations" and v < 1):
                raise UserInputError(f"--{name.replace('_', '-')}: {v}: expected a positive value")
            setattr(ppo, name, v)
    cfg = TuneConfig(
        weights=RewardWeights.parse(args.weights),
        baseline=args.baseline,
        duplicates=args.duplicates,
        max_window_days=args.max_window_days,
        fidelity=args.fidelity,
        crossfit=not args.no_crossfit,
        clip_embed=args.clip_embed,
        model_dir=args.model,
        clip_dir=args.clip,
        ppo=ppo,
    )
    if args.check:
        return _check(args, cfg)
    from engine.tuner.pipeline import tune

    res = tune(
        args.variants, args.results, args.out, args.report, cfg, progress=_progress(args.quiet)
    )
    summary = {
        "policy": args.out,
        "report": args.report,
        "policy_id": res.policy.meta["policy_id"],
        "arms": len(res.figures.ids),
        "surrogate_spearman": res.surrogate.spearman,
        "fidelity": res.fidelity_name,
        "regions": {
            r["region"]: {
                k: r[k]
                for k in (
                    "uplift",
                    "uplift_lo",
                    "uplift_hi",
                    "crossfit_uplift",
                    "fidelity_before",
                    "fidelity_after",
                )
                if k in r
            }
            for r in res.regions
        },
        "mde_ctr_between_two_arms_rel": res.power["mde_ctr_between_two_arms_rel"],
        "seconds": res.timings["total"],
        "notes": res.notes,
    }
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
        return 0
    print(
        f"policy {args.out} ({summary['policy_id']}), {summary['arms']} arms, surrogate "
        f"held-out Spearman {res.surrogate.spearman:.2f}, fidelity: {res.fidelity_name}"
    )
    for r in res.regions:
        print(
            f"  {r['region']:<10} uplift {r['uplift']:+.2f} [{r['uplift_lo']:+.2f}, "
            f"{r['uplift_hi']:+.2f}] index points"
            + (f" (cross-fitted {r['crossfit_uplift']:+.2f})" if "crossfit_uplift" in r else "")
            + f"; fidelity {r['fidelity_before']:.1f} → {r['fidelity_after']:.1f}"
        )
    print(
        f"  smallest CTR change two arms can show: "
        f"{100 * res.power['mde_ctr_between_two_arms_rel']:.1f}% relative"
    )
    for n in res.notes:
        print(f"  note: {n}")
    return 0


def _check(args: argparse.Namespace, cfg) -> int:
    from engine.tuner.batch import read_batches
    from engine.tuner.csvimport import import_results
    from engine.tuner.reward import POOLED, arm_figures, power_guidance

    batch = read_batches(args.variants)
    extra = [cfg.baseline] if cfg.baseline not in (POOLED, *batch.ids) else []
    res = import_results(
        args.results,
        batch.ids,
        extra_arms=extra,
        created=batch.created,
        duplicates=cfg.duplicates,
        max_window_days=cfg.max_window_days,
    )
    figs = arm_figures(res, cfg.weights, cfg.baseline)
    rows = figs.rows()
    if args.json:
        print(
            json.dumps(
                {"arms": rows, "power": power_guidance(figs), "notes": res.notes + figs.notes},
                indent=2,
            )
        )
        return 0
    print(
        f"{len(rows)} arms with traffic; files: "
        + ", ".join(f"{f.path} ({f.mode}, {f.rows} rows)" for f in res.files)
    )
    for r in rows[:50]:
        print(
            f"  {r['variant_id']:<16} n={r['impressions']:<8} CTR {100 * r['ctr']:.2f}% "
            f"[{100 * r['ctr_lo']:.2f}, {100 * r['ctr_hi']:.2f}]  index {r['index']:.1f} "
            f"[{r['index_lo']:.1f}, {r['index_hi']:.1f}]"
        )
    if len(rows) > 50:
        print(f"  … {len(rows) - 50} more (use --json)")
    for n in res.notes + figs.notes:
        print(f"  note: {n}")
    return 0
