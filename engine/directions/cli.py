"""`wenyang directions fit|refit|eval`: compute and check the slider directions of a generator."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import UserInputError

if TYPE_CHECKING:
    from engine.directions.base import Direction


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("directions", help="slider directions of a generator (fit, eval)")
    inner = p.add_subparsers(dest="action", metavar="fit|refit|eval", parser_class=type(p))
    inner.required = True
    f = inner.add_parser(
        "fit",
        help="compute SeFa, named, text and region-mean directions; write them beside the model",
        description="Writes MODEL/directions.safetensors + directions.json.",
    )
    _common(f)
    f.add_argument("--samples", type=int, default=400, help="rendered samples to fit on (400)")
    f.add_argument("--select-seeds", type=int, default=6, help="latents to scope ranges (6)")
    f.add_argument("--db", type=Path, help="database whose tiles locate region means (optional)")
    f.add_argument("--eval-seeds", type=int, default=0, help="also evaluate on N seeds (0: no)")
    f.add_argument(
        "--named-from",
        type=Path,
        metavar="DIR",
        help="keep the named sliders of the generator in DIR instead of fitting new ones "
        "(only when its synthesis network is identical, e.g. after train gan-align)",
    )
    f.add_argument(
        "--gradient-samples",
        type=int,
        default=128,
        help="samples for the attribute-gradient candidates of complexity and gold "
        "(128; 0: linear boundaries only)",
    )
    _region_keep_arg(f)
    # fitting holds the noise fixed, so what changes between samples is w alone: on the 256 px
    # generator const-fitted sliders score better under the studio's seeded noise (symmetry
    # 0.92 over 50 seeds) than seeded-fitted ones (0.57), whose attribute values also vary
    # with each sample's noise
    _noise_arg(f, "const", "noise of the samples the sliders are fitted on")
    f.set_defaults(func=run_fit)
    r = inner.add_parser(
        "refit",
        help="fit some named sliders anew, in place, keeping everything else",
        description="Fits the named sliders given (e.g. complexity,gold) anew for MODEL and "
        "replaces them in its directions files; SeFa, text and region-mean directions and the "
        "other sliders stay as they are, so only those sliders change.",
    )
    _common(r)
    r.add_argument("--sliders", required=True, metavar="NAMES", help="e.g. complexity,gold")
    r.add_argument("--samples", type=int, default=400, help="rendered samples to fit on (400)")
    r.add_argument("--select-seeds", type=int, default=6, help="latents to scope ranges (6)")
    r.add_argument(
        "--gradient-samples", type=int, default=128, help="as for fit (128; 0: boundaries only)"
    )
    _region_keep_arg(r)
    _noise_arg(r, "const", "noise of the samples the sliders are fitted on")
    r.set_defaults(func=run_refit)
    e = inner.add_parser("eval", help="monotonicity and cultural accuracy of the named sliders")
    _common(e)
    e.add_argument("--seeds", type=int, default=50, help="seeds per slider (50)")
    e.add_argument("--json", action="store_true", help="print JSON only")
    e.add_argument(
        "--independent",
        action="store_true",
        help="also measure accuracy with the independent colour/texture classifier",
    )
    e.add_argument("--heldout", type=Path, help="its training database (default: eval gen's)")
    _noise_arg(e, "seeded", "noise of the evaluated tiles: seeded, as the studio renders")
    e.set_defaults(func=run_eval)

    pi = sub.add_parser(
        "project-image",
        help="find the latent whose tile looks most like a reference image",
        description="Optimise w (or W+) so the generator's tile matches IMG (centre-cropped); "
        "writes OUT/projected.png, OUT/latent.safetensors (ws) and OUT/projection.json.",
    )
    _common(pi)
    pi.add_argument("--image", type=Path, required=True, help="reference image (any size)")
    pi.add_argument("--out", type=Path, required=True, help="output folder")
    pi.add_argument("--region", help="region id: condition on it and start from its mean w")
    pi.add_argument("--steps", type=int, default=100, help="optimisation steps (100)")
    pi.add_argument("--time-limit", type=float, default=25.0, help="seconds (25; 0 = none)")
    pi.add_argument("--w-plus", action="store_true", help="one w per layer (closer, less editable)")
    pi.set_defaults(func=run_project)


def _region_keep_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--no-region-keep",
        dest="keep_region",
        action="store_false",
        help="let gradient sliders change the CLIP probe's region score (by default each "
        "sample's region gradient is removed from its attribute gradient)",
    )


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", type=Path, help="generator folder (default: shipped model)")
    p.add_argument("--clip", type=Path, help="CLIP folder (default: shipped model, if any)")
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto")


def _noise_arg(p: argparse.ArgumentParser, default: str, why: str) -> None:
    p.add_argument(
        "--noise-mode", choices=("seeded", "const"), default=default, help=f"{why} ({default})"
    )


def _model_dir(args: argparse.Namespace) -> Path:
    from engine.stylegan.render import DEFAULT_MODEL_DIR

    return Path(args.model) if args.model else DEFAULT_MODEL_DIR


def load_optional_encoder(clip_dir: Path | None, device: str = "cpu") -> Any | None:
    """The CLIP encoder, or None when no --clip was given and none is shipped."""
    from engine.clip import load_encoder

    try:
        return load_encoder(clip_dir, device=device)
    except UserInputError:
        if clip_dir is not None:
            raise
        print(
            "note: no CLIP model; conditions are neutral and text directions are skipped",
            file=sys.stderr,
        )
        return None


def _progress(stage: str, i: int, n: int) -> None:
    print(f"\r{stage}: {i}/{n}", end="\n" if i == n else "", file=sys.stderr, flush=True)


def run_fit(args: argparse.Namespace) -> int:
    from engine.directions.fit import fit_model_dir

    _check_fit_counts(args)
    mdir = _model_dir(args)
    enc = load_optional_encoder(args.clip, args.device)
    data = fit_model_dir(
        mdir,
        enc,
        args.samples,
        args.select_seeds,
        args.device,
        _progress,
        db_dir=args.db,
        noise_mode=args.noise_mode,
        named_from=args.named_from,
        gradient_samples=args.gradient_samples,
        keep_region=args.keep_region,
    )
    _print_named(data.directions)
    print(f"wrote {mdir / 'directions.safetensors'} and directions.json ({data.meta['seconds']} s)")
    if args.eval_seeds > 0:
        args.seeds, args.json, args.independent, args.heldout = args.eval_seeds, False, False, None
        args.noise_mode = "seeded"  # evaluated as the studio renders
        return run_eval(args)
    return 0


def _check_fit_counts(args: argparse.Namespace) -> None:
    if args.samples < 16:
        raise UserInputError("must be at least 16", field="--samples")
    if args.select_seeds < 1:
        raise UserInputError("must be at least 1", field="--select-seeds")
    if args.gradient_samples < 0:
        raise UserInputError("must not be negative", field="--gradient-samples")


def run_refit(args: argparse.Namespace) -> int:
    from engine.directions.fit import refit_named

    _check_fit_counts(args)
    names = tuple(n.strip() for n in args.sliders.split(",") if n.strip())
    mdir = _model_dir(args)
    enc = load_optional_encoder(args.clip, args.device)
    data = refit_named(
        mdir,
        enc,
        names,
        args.samples,
        args.select_seeds,
        args.device,
        _progress,
        noise_mode=args.noise_mode,
        gradient_samples=args.gradient_samples,
        keep_region=args.keep_region,
    )
    _print_named([d for d in data.directions if d.name in names])
    print(f"rewrote {mdir / 'directions.safetensors'} and directions.json ({', '.join(names)})")
    return 0


def _print_named(directions: list[Direction]) -> None:
    for d in directions:
        if d.kind == "named":
            kept = f" (kept from {d.meta['kept_from']})" if d.meta.get("kept_from") else ""
            grad = d.meta.get("gradient_spearman")
            own = d.meta.get("region_gradient_spearman")
            print(
                f"{d.name:<11} range={d.layer_range:<7} method={d.meta.get('method', 'boundary')} "
                f"spearman by range={d.meta.get('range_spearman')}"
                + (f", gradient={grad}" if grad else "")
                + (f", gradient per region={own}" if own else "")
                + kept
            )


def run_eval(args: argparse.Namespace) -> int:
    from engine.directions.conditions import region_conditions
    from engine.directions.evaluate import evaluate_sliders, region_spearman_line
    from engine.directions.store import load_directions
    from engine.stylegan.render import Renderer

    mdir = _model_dir(args)
    r = Renderer(mdir, device=args.device)
    data = load_directions(mdir, r.info.model_hash or None)
    named = [d for d in (data.directions if data else []) if d.kind == "named"]
    if not named:
        raise UserInputError(
            "no named directions for these weights; run `wenyang directions fit`", path=str(mdir)
        )
    enc = load_optional_encoder(args.clip, args.device)
    classify = None
    if enc is not None:

        def classify(imgs: list) -> Any:
            import numpy as np

            return enc.classify(np.stack(imgs)).cpu().numpy()

    independent = None
    if getattr(args, "independent", False) or getattr(args, "heldout", None):
        from engine.evaluation.gen_eval import heldout_database
        from engine.evaluation.independent_classifier import classifier_for_database

        clf = classifier_for_database(heldout_database(args.heldout, r.info.resolution))
        independent = clf.predict_proba
    rep = evaluate_sliders(
        r,
        named,
        region_conditions(enc, r.info.c_dim),
        classify,
        args.seeds,
        independent=independent,
        noise_mode=getattr(args, "noise_mode", "const"),
    )
    if args.json:
        print(json.dumps(rep, indent=2))
        return 0
    print(
        f"named sliders over steps -3..+3, {rep['n_seeds']} seeds (target Spearman >= 0.8, "
        f"accuracy >= 0.85)"
    )
    for name, e in rep["sliders"].items():
        acc, ind = e.get("accuracy_min"), e.get("indep_accuracy_min")
        print(
            f"  {name:<11} {e['layer_range']:<7} spearman {e['spearman_mean']:+.3f}  "
            f"min accuracy CLIP {'n/a' if acc is None else f'{acc:.3f}'}, "
            f"independent {'n/a' if ind is None else f'{ind:.3f}'}"
        )
        by_region = region_spearman_line(e)
        if by_region:
            print(by_region)
    return 0


def run_project(args: argparse.Namespace) -> int:
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    from engine.atomic import atomic_dir
    from engine.stylegan.projection import project_image
    from engine.stylegan.render import Renderer

    if args.steps < 1:
        raise UserInputError("must be at least 1", field="--steps")
    try:
        with Image.open(args.image) as im:
            ref = np.asarray(im.convert("RGB"))
    except (FileNotFoundError, UnidentifiedImageError, OSError) as exc:
        raise UserInputError(f"cannot read the image ({exc})", path=str(args.image)) from exc
    r = Renderer(_model_dir(args), device=args.device)
    enc = load_optional_encoder(args.clip, args.device)
    c = w_avg = None
    if args.region:
        from engine.culture import REGION_IDS
        from engine.directions.conditions import region_conditions
        from engine.directions.region_mean import region_means, renderer_prior

        if args.region not in REGION_IDS:
            raise UserInputError(f"expected one of {', '.join(REGION_IDS)}", field="--region")
        c = region_conditions(enc, r.info.c_dim)[args.region]
        w_avg = region_means(r.G, enc, n=1024, prior=renderer_prior(r))[args.region]

    def progress(step: int, total: int, loss: float) -> None:
        print(f"\rstep {step}/{total} loss {loss:.4f}", end="", file=sys.stderr, flush=True)

    res = project_image(
        r.G,
        ref,
        encoder=enc,
        c=c,
        w_avg=w_avg,
        steps=args.steps,
        time_limit_s=args.time_limit or None,
        w_plus=args.w_plus,
        progress=progress,
    )
    print(file=sys.stderr)
    from safetensors.numpy import save_file

    with atomic_dir(args.out) as tmp:
        Image.fromarray(res.image).save(tmp / "projected.png")
        save_file({"ws": np.ascontiguousarray(res.ws)}, str(tmp / "latent.safetensors"))
        doc = {
            "image": str(args.image),
            "model_id": r.info.model_id,
            "model_hash": r.info.model_hash,
            "region": args.region,
            "w_plus": args.w_plus,
            "noise_mode": "const",  # what the match was optimised against: render ws with it
            "steps": res.steps,
            "seconds": round(res.seconds, 2),
            "timed_out": res.timed_out,
            "loss_first": res.losses[0] if res.losses else None,
            # the returned latent's loss (not the minimum over both phases: the 64 px
            # phase's losses are on another scale than the full-size refinement's)
            "loss_best": res.best_loss,
            "loss_best_at": "full size" if res.best_at_full else "optimisation resolution",
        }
        (tmp / "projection.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({res.steps} steps, {res.seconds:.1f} s)")
    return 0
