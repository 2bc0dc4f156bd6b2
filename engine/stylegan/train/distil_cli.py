"""`wenyang train gan-distil`: a narrower copy of a generator for faster live rendering
(engine/stylegan/train/distil.py says how and why)."""

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
    "Make a narrower generator that draws what TEACHER draws: the same mapping network and the "
    "same blocks from the first resolution both widths share, with the narrower low-resolution "
    "blocks trained to reproduce the teacher's activations there. Resumable (the state lives in "
    "--run); when done, writes the student with the teacher's condition prior to --out. Fit "
    "the sliders for it afterwards (`wenyang directions fit --model OUT`)."
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "gan-distil",
        help="distil a generator into a narrower, faster one (resumable)",
        description=DESCRIPTION,
    )
    p.add_argument("teacher", metavar="TEACHER", help="generator folder (default use: shipped)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the student")
    p.add_argument("--channel-max", type=int, default=128, help="the student's cap (128)")
    add_session_arguments(
        p, run_default="<user cache>/runs/distil/<teacher id>-cm<N>", steps=4000, batch=16, lr=2e-3
    )
    p.set_defaults(func=run_distil)


def run_distil(args: argparse.Namespace) -> int:
    import torch

    from engine.paths import user_cache_dir
    from engine.stylegan.checkpoint import load_generator, read_config, save_generator
    from engine.stylegan.condition_prior import load_prior
    from engine.stylegan.networks import Generator
    from engine.stylegan.train import distil as D

    check_session_arguments(args)
    teacher_dir = Path(args.teacher)
    cfg = read_config(teacher_dir)
    try:
        kwargs = D.narrow_kwargs(cfg["init_kwargs"], args.channel_max)
    except ValueError as exc:
        raise UserInputError(str(exc), field="--channel-max") from exc
    from engine.stylegan.train.trainer import pick_device

    device = pick_device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    teacher = load_generator(teacher_dir)
    torch.manual_seed(args.seed)
    student = Generator(**kwargs)
    try:
        bnd = D.boundary_of(teacher, student)
    except ValueError as exc:
        raise UserInputError(str(exc), field="--channel-max") from exc
    counts = D.init_student(teacher, student)
    teacher.to(device)
    student.to(device)
    run = (
        Path(args.run)
        if args.run
        else (user_cache_dir() / "runs" / "distil" / f"{cfg['model_id']}-cm{args.channel_max}")
    )
    prior = load_prior(teacher_dir)
    gen = torch.Generator().manual_seed(args.seed + 1)
    sampler = D.LatentSampler(
        teacher,
        None if prior is None else prior.bank,
        truncation_centres(teacher_dir, teacher),
        gen,
    )
    print(
        f"student: channel_max {args.channel_max}, rejoins the teacher at {bnd.resolution} px "
        f"({counts['copied']} tensors copied, {counts['sliced']} narrowed) on {device}; "
        f"state in {run}",
        file=sys.stderr,
    )

    def report(s: D.DistilStatus) -> None:
        if s.step % 25 == 0:
            print(
                f"step {s.step}: loss {s.loss:.4f} (x {s.x_err:.4f}, img {s.img_err:.4f}), "
                f"{s.seconds:.0f} s",
                file=sys.stderr,
                flush=True,
            )

    try:
        with stop_on_sigterm() as should_stop:
            status = D.distil(
                teacher,
                student,
                sampler,
                run,
                args.minutes,
                batch=args.batch,
                lr=args.lr,
                total_steps=args.steps,
                report=report,
                should_stop=should_stop,
            )
    except KeyboardInterrupt:
        print("stopped; the state is saved every few minutes", file=sys.stderr)
        return 1
    meta = {
        **dict(cfg.get("meta") or {}),
        "distilled_from": {"model_id": cfg["model_id"], "sha256": cfg["sha256"]},
        "distil": {
            "channel_max": args.channel_max,
            "boundary_px": bnd.resolution,
            "steps": status.step,
            "batch": args.batch,
            "x_rel_err": round(status.x_err, 5),
            "img_rel_err": round(status.img_err, 5),
        },
    }
    out = save_generator(student.eval().cpu(), args.out, extra_meta=meta, float16=args.float16)
    carried = carry_w_space(teacher_dir, cfg, out)
    print(
        f"wrote {out} after step {status.step}/{args.steps} (boundary error: x "
        f"{status.x_err:.4f}, img {status.img_err:.4f})"
        + (
            "; the teacher's sliders and region means carried over (same W space)"
            if carried
            else f"; next: wenyang directions fit --model {out}"
        )
    )
    return 0
