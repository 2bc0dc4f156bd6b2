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
    p.add_argument(
        "--card",
        action="store_true",
        help="also rewrite the model folder's README.md with these figures "
        "(needs its train_summary.json)",
    )
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
    if args.card:
        from engine.clip.card import write_card

        if not (enc.model_dir / "train_summary.json").is_file():
            raise UserInputError(
                "no train_summary.json in the model folder, so no card can be written",
                path=str(enc.model_dir),
            )
        write_card(enc.model_dir, fig)
    return 0
