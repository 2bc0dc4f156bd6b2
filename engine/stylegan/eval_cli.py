"""`wenyang eval gen`: cultural accuracy (CLIP and independent classifiers), CLIP score,
Fréchet CLIP distance, diversity and seams of a generator, with a random-generator floor."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from engine.errors import UserInputError
from engine.stylegan.region_truncation import add_truncate_to_argument


def register_eval(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "gen",
        help="quality figures of the generator (held-out prompts and database)",
        description="Render a fixed prompt set (region names and held-out captions, English "
        "and Chinese) and report per region and overall: cultural accuracy by the CLIP "
        "classifier and by an independent colour/texture classifier, CLIP score, Fréchet "
        "distance in CLIP space, diversity and seam error.",
    )
    p.add_argument("--model", type=Path, help="generator folder (default: shipped model)")
    p.add_argument("--clip", type=Path, help="CLIP folder (default: shipped model)")
    p.add_argument("--heldout", type=Path, help="held-out database (default: built in the cache)")
    p.add_argument("--heldout-per-region", type=int, default=40, help="tiles per region (40)")
    p.add_argument("--per-prompt", type=int, default=8, help="tiles per prompt (8)")
    p.add_argument("--descriptors", type=int, default=2, help="captions per region (2)")
    p.add_argument("--truncation", type=float, default=0.7, help="truncation psi (0.7)")
    add_truncate_to_argument(p)
    p.add_argument("--floor", action="store_true", help="also score a random generator")
    p.add_argument(
        "--region-truncation",
        action="store_true",
        help="also score truncation toward each region's mean w",
    )
    p.add_argument(
        "--sliders",
        type=int,
        default=0,
        metavar="SEEDS",
        help="also evaluate the shipped named sliders on SEEDS seeds (50 for the model card)",
    )
    p.add_argument("--gallery", type=Path, help="also write a gallery PNG here")
    p.add_argument(
        "--noise-mode",
        choices=("seeded", "const"),
        default="seeded",
        help="synthesis noise: seeded (default, as the studio renders new designs) or const "
        "(one shared noise, as before session 6)",
    )
    p.add_argument("--out", type=Path, help="also write the JSON report here")
    p.add_argument("--json", action="store_true", help="print JSON instead of the table")
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    p.add_argument(
        "--no-prior",
        action="store_true",
        help="condition on the raw text embeddings, ignoring the model's condition prior",
    )
    p.add_argument(
        "--prior-mode",
        choices=("sample", "mean"),
        help="override the shipped prior's mode (ablations): one nearest tile per seed, or "
        "their mean",
    )
    p.add_argument(
        "--whole-bank-prior",
        action="store_true",
        help="the prior draws from every region's tiles, not only the prompt's region's (as "
        "before session 7; ablations)",
    )
    p.add_argument(
        "--region-k",
        type=int,
        metavar="K",
        help="override the shipped prior's neighbours within a region (ablations)",
    )
    p.add_argument(
        "--prompt-db",
        type=Path,
        metavar="DB",
        help="take the descriptor prompts from this database's captions instead of the "
        "held-out one's (a validation set for choosing settings; figures for the model card "
        "use the default)",
    )
    p.add_argument(
        "--prompt-seed", type=int, default=0, help="which captions are sampled (0: the card's)"
    )
    p.add_argument(
        "--cross-region",
        action="store_true",
        help="also score each caption with another region picked: does the design show the "
        "region the designer chose, whatever the words?",
    )
    p.add_argument(
        "--feature-split",
        action="store_true",
        help="also score with independent classifiers on colour features alone and on "
        "texture features alone, and report how well each tells the held-out database's own "
        "tiles apart (cross-validated): which kind of evidence the generator gets wrong",
    )
    p.add_argument(
        "--compare",
        type=Path,
        metavar="REPORT",
        help="also compare both accuracies with an earlier report (--out JSON) made on the "
        "same prompts and seeds: the difference, with a 95%% interval over the prompts "
        "resampled in pairs (is a new snapshot or setting really better?)",
    )
    p.set_defaults(func=run_eval_gen)


def run_eval_gen(args: argparse.Namespace) -> int:
    from engine.database import read_manifest
    from engine.directions.cli import load_optional_encoder
    from engine.evaluation.gen_eval import (
        evaluate_generator,
        format_table,
        heldout_database,
        load_reference,
    )
    from engine.stylegan.render import Renderer

    if args.per_prompt < 2:
        raise UserInputError("must be at least 2 (diversity needs pairs)", field="--per-prompt")
    if args.heldout is not None and not (args.heldout / "manifest.jsonl").is_file():
        raise UserInputError("not a database folder (no manifest.jsonl)", path=str(args.heldout))
    if args.region_k is not None and args.region_k < 1:
        raise UserInputError("must be at least 1", field="--region-k")
    if args.prompt_db is not None and not (args.prompt_db / "manifest.jsonl").is_file():
        raise UserInputError("not a database folder (no manifest.jsonl)", path=str(args.prompt_db))
    other = _read_other_report(args) if args.compare is not None else None
    renderer = Renderer(args.model, device=args.device)
    renderer.use_prior = not args.no_prior
    if args.prior_mode and renderer.prior is not None:
        renderer.prior.mode = args.prior_mode
    if args.region_k is not None and renderer.prior is not None:
        renderer.prior.region_k = args.region_k
    encoder = load_optional_encoder(args.clip, args.device)
    db = heldout_database(args.heldout, renderer.info.resolution, args.heldout_per_region)
    ref = load_reference(db, encoder, feature_split=args.feature_split)

    def progress(stage: str, i: int, n: int) -> None:
        if not args.json:
            print(f"\r{stage}: {i}/{n}", end="\n" if i == n else "", file=sys.stderr, flush=True)

    report = evaluate_generator(
        renderer,
        encoder,
        ref,
        per_prompt=args.per_prompt,
        descriptors_per_region=args.descriptors,
        truncation=args.truncation,
        floor=args.floor,
        progress=progress,
        region_truncation=args.region_truncation,
        slider_seeds=args.sliders,
        model_dir=args.model,
        truncate_to=args.truncate_to,
        noise_mode=args.noise_mode,
        prior_by_region=not args.whole_bank_prior,
        prompt_records=None if args.prompt_db is None else read_manifest(args.prompt_db),
        prompt_seed=args.prompt_seed,
        cross_region=args.cross_region,
    )
    if other is not None:
        from engine.evaluation.gen_eval import compare_reports

        try:
            report["compare"] = {"against": str(args.compare), **compare_reports(report, other)}
        except ValueError as e:
            raise UserInputError(str(e), path=str(args.compare), field="--compare") from e
    report["heldout"] = str(db)
    if args.prompt_db is not None:
        report["prompt_db"] = str(args.prompt_db)
    text = json.dumps(report, indent=2, ensure_ascii=False)
    if args.out is not None:
        from engine.atomic import atomic_open

        with atomic_open(args.out, encoding="utf-8") as fh:
            fh.write(text + "\n")
    if args.gallery is not None:
        from engine.evaluation.gallery import write_gallery

        write_gallery(
            renderer, encoder, args.gallery, args.truncation, args.noise_mode, args.truncate_to
        )
    print(text if args.json else format_table(report))
    return 0


def _read_other_report(args: argparse.Namespace) -> dict:
    """The `--compare` report, checked before any rendering against this run's settings."""
    try:
        other = json.loads(args.compare.read_text(encoding="utf-8"))
        settings = other["settings"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise UserInputError(
            f"not an `eval gen --out` report ({e})", path=str(args.compare), field="--compare"
        ) from e
    mine = {
        "per_prompt": args.per_prompt,
        "descriptors_per_region": args.descriptors,
        "prompt_seed": args.prompt_seed,
    }
    for key, value in mine.items():
        if settings.get(key, 0 if key == "prompt_seed" else None) != value:
            raise UserInputError(
                f"was made with {key} {settings.get(key)}, this run uses {value}: a paired "
                "comparison needs the same prompts and seeds",
                path=str(args.compare),
                field="--compare",
            )
    return other
