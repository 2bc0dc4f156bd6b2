"""`wenyang eval clip`: region accuracy, retrieval and speed of a CLIP model."""

from __future__ import annotations

import argparse
import json


def register_eval(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "clip",
        help="CLIP figures on a held-out database",
        description="Zero-shot and probe region accuracy, retrieval R@1/5/10, text→image "
        "precision@10 for (region, primary motif) with English and Chinese "
        "captions, with and without local alignment, and encoder speed. Use a "
        "database built with seeds never used in training.",
    )
    p.add_argument("--data", required=True, metavar="HELDOUT", help="held-out database folder")
    p.add_argument(
        "--model",
        metavar="DIR",
        default=None,
        help="CLIP model folder (default: the shipped assets/models/clip)",
    )
    p.add_argument(
        "--local-weight",
        type=float,
        default=0.5,
        help="weight of local alignment in the '_local' figures (default 0.5)",
    )
    p.add_argument("--no-timings", action="store_true", help="skip the speed measurements")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.set_defaults(func=run_eval)


def run_eval(args: argparse.Namespace) -> int:
    from engine.clip.encoder import load_encoder
    from engine.clip.evaluate import evaluate, format_report
    from engine.errors import UserInputError

    if not 0.0 <= args.local_weight <= 1.0:
        raise UserInputError("expected a weight in [0, 1]", field="--local-weight")
    enc = load_encoder(args.model)
    fig = evaluate(enc, args.data, local_weight=args.local_weight, with_timings=not args.no_timings)
    print(json.dumps(fig, indent=2, ensure_ascii=False) if args.json else format_report(fig))
    return 0
