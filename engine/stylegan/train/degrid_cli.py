"""`wenyang train gan-degrid`: a generator that draws what MODEL draws, less the block grid
(engine/stylegan/train/degrid.py says how and why)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.errors import UserInputError
from engine.stylegan.train.session_cli import (
    add_session_arguments,
    carry_w_space,
    check_session_arguments,
    stop_on_sigterm,
    truncation_centres,
)

DESCRIPTION = (
    "Fine-tune a copy of MODEL's synthesis network to draw, for every w and noise, what MODEL "
    "draws, less the grid of stronger jumps between neighbouring pixels every --period px "
    "(the low layers' noise, upsampled; it shows at the tile's wrap edge). The mapping "
    "network is kept, so the sliders, region means and condition prior carry over. "
    "Resumable (the state lives in --run); when done, writes the generator to --out."
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "gan-degrid",
        help="take the block grid out of a generator (resumable)",
        description=DESCRIPTION,
    )
    p.add_argument("model", metavar="MODEL", help="generator folder")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the result")
    p.add_argument("--grid", type=float, default=20.0, help="weight of the grid penalty (20)")
    p.add_argument("--period", type=int, default=8, help="grid line spacing in px (8)")
    p.add_argument(
        "--clip",
        type=float,
        default=5.0,
        help="weight of keeping each picture's CLIP embedding where the original's is "
        "(5; 0 = off, or when no CLIP model loads)",
    )
    p.add_argument("--clip-model", metavar="DIR", help="CLIP encoder (default: the shipped one)")
    add_session_arguments(
        p, run_default="<user cache>/runs/degrid/<model id>", steps=600, batch=8, lr=2e-4
    )
    p.set_defaults(func=run_degrid)


def run_degrid(args: argparse.Namespace) -> int:
    import torch

    from engine.paths import user_cache_dir
    from engine.stylegan.checkpoint import load_generator, read_config, save_generator
    from engine.stylegan.condition_prior import load_prior
    from engine.stylegan.train import degrid as DG
    from engine.stylegan.train.distil import LatentSampler
    from engine.stylegan.train.trainer import pick_device

    check_session_arguments(args)
    if args.grid < 0:
        raise UserInputError("must be >= 0", field="--grid")
    model_dir = Path(args.model)
    cfg = read_config(model_dir)
    teacher = load_generator(model_dir)
    res = int(teacher.img_resolution)
    if args.period < 2 or res % args.period:
        raise UserInputError(
            f"expected a spacing >= 2 that divides the tile size {res}", field="--period"
        )
    device = pick_device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    student = load_generator(model_dir)
    teacher.to(device)
    student.to(device)
    run = Path(args.run) if args.run else user_cache_dir() / "runs" / "degrid" / cfg["model_id"]
    prior = load_prior(model_dir)
    gen = torch.Generator().manual_seed(args.seed + 1)
    sampler = LatentSampler(
        teacher, None if prior is None else prior.bank, truncation_centres(model_dir, teacher), gen
    )
    features = None
    if args.clip > 0:
        from engine.clip import load_encoder
        from engine.stylegan.train.clip_losses import ClipImageFeatures

        try:
            features = ClipImageFeatures(load_encoder(args.clip_model)).to(device)
        except UserInputError as exc:
            if args.clip_model is not None:
                raise
            print(f"notice: no CLIP model ({exc}); no CLIP term", file=sys.stderr)
    print(f"degrid {cfg['model_id']} on {device}; state in {run}", file=sys.stderr)

    def report(s: DG.DegridStatus) -> None:
        if s.step % 10 == 0:
            print(
                f"step {s.step}: loss {s.loss:.4f} (anchor {s.anchor:.4f}, CLIP {s.clip:.4f}, "
                f"grid line {s.grid_line:.3f}), {s.seconds:.0f} s",
                file=sys.stderr,
                flush=True,
            )

    try:
        with stop_on_sigterm() as should_stop:
            status = DG.degrid(
                teacher,
                student,
                sampler,
                run,
                args.minutes,
                grid_weight=args.grid,
                period=args.period,
                batch=args.batch,
                lr=args.lr,
                total_steps=args.steps,
                report=report,
                should_stop=should_stop,
                clip_features=features,
                clip_weight=args.clip if features is not None else 0.0,
            )
    except KeyboardInterrupt:
        print("stopped; the state is saved every few minutes", file=sys.stderr)
        return 1
    meta = {
        **dict(cfg.get("meta") or {}),
        "degridded_from": {"model_id": cfg["model_id"], "sha256": cfg["sha256"]},
        "degrid": {
            "grid": args.grid,
            "period": args.period,
            "steps": status.step,
            "batch": args.batch,
            "lr": args.lr,
            "clip": args.clip if features is not None else 0.0,
            "anchor_rel_err": round(status.anchor, 5),
        },
    }
    out = save_generator(student.eval().cpu(), args.out, extra_meta=meta, float16=args.float16)
    carried = carry_w_space(model_dir, cfg, out)
    print(
        f"wrote {out} after step {status.step}/{args.steps} (picture error {status.anchor:.4f} "
        f"of its variance)"
        + ("; sliders and region means carried over (same W space)" if carried else "")
    )
    return 0
