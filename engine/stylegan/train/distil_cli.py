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
    "Make a narrower generator that draws what TEACHER draws, with the same mapping network. "
    "A lower --channel-max narrows the low-resolution blocks, trained to reproduce the "
    "teacher's activations where the widths meet again; a lower --channel-base narrows the "
    "high-resolution blocks, trained on the teacher's images for the same latents and noise. "
    "Resumable (the state lives in --run); when done, writes the student with the teacher's "
    "condition prior, sliders and region means to --out."
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "gan-distil",
        help="distil a generator into a narrower, faster one (resumable)",
        description=DESCRIPTION,
    )
    p.add_argument("teacher", metavar="TEACHER", help="generator folder (default use: shipped)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the student")
    p.add_argument(
        "--channel-max",
        type=int,
        help="the student's cap (128 unless --channel-base is given): narrows low resolutions",
    )
    p.add_argument(
        "--channel-base",
        type=int,
        help="the student's channel base (e.g. 4096 for the shipped cpu256n shape from a "
        "cpu256w teacher): narrows high resolutions",
    )
    p.add_argument(
        "--resolution",
        type=int,
        metavar="PX",
        help="distil the teacher stopped at PX pixels (one of its lower block resolutions): "
        "a narrow network for the studio's drag previews, written with `preview_of` set to the "
        "teacher's weights; ship it as TEACHER/preview",
    )
    add_session_arguments(
        p,
        run_default="<user cache>/runs/distil/<teacher id>-cm<N> (or -cb<N>)",
        steps=4000,
        batch=16,
        lr=2e-3,
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
    if args.channel_max is None and args.channel_base is None:
        args.channel_max = 128
    field = "--channel-max" if args.channel_base is None else "--channel-base"
    teacher = load_generator(teacher_dir)
    preview_of = None
    if args.resolution is not None:
        from engine.stylegan.twin import truncated_generator

        cut = truncated_generator(teacher, args.resolution)
        if cut is None:
            lower = [int(r) for r in teacher.synthesis.block_resolutions[:-1]]
            raise UserInputError(
                f"expected one of the teacher's lower block resolutions {lower}",
                field="--resolution",
            )
        preview_of = {"model_id": cfg["model_id"], "sha256": cfg["sha256"]}
        cfg = {
            **cfg,
            "init_kwargs": cut.init_kwargs,
            "model_id": f"{cfg['model_id']}-{args.resolution}px",
        }
        teacher = cut
    try:
        kwargs = D.narrow_kwargs(cfg["init_kwargs"], args.channel_max, args.channel_base)
    except ValueError as exc:
        raise UserInputError(str(exc), field=field) from exc
    from engine.stylegan.train.trainer import pick_device

    device = pick_device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    student = Generator(**kwargs)
    try:
        bnd = D.boundary_of(teacher, student)
    except ValueError as exc:
        raise UserInputError(str(exc), field=field) from exc
    counts = D.init_student(teacher, student)
    teacher.to(device)
    student.to(device)
    tag = "".join(f"-{k}{v}" for k, v in (("cm", args.channel_max), ("cb", args.channel_base)) if v)
    run = (
        Path(args.run)
        if args.run
        else user_cache_dir() / "runs" / "distil" / (cfg["model_id"] + tag)
    )
    prior = load_prior(teacher_dir)
    gen = torch.Generator().manual_seed(args.seed + 1)
    sampler = D.LatentSampler(
        teacher,
        None if prior is None else prior.bank,
        truncation_centres(teacher_dir, teacher),
        gen,
    )
    where = (
        f"rejoins the teacher at {bnd.resolution} px"
        if bnd.mode == D.BELOW
        else f"learns the blocks from {bnd.resolution} px up from the teacher's images"
    )
    print(
        f"student: {kwargs['synthesis_kwargs']}, {where} ({counts['copied']} tensors copied, "
        f"{counts['sliced']} narrowed) on {device}; state in {run}",
        file=sys.stderr,
    )

    def report(s: D.DistilStatus) -> None:
        if s.step % 25 == 0:
            detail = f", detail {s.detail_err:.4f}" if bnd.mode == D.ABOVE else ""
            print(
                f"step {s.step}: loss {s.loss:.4f} (x {s.x_err:.4f}, img {s.img_err:.4f}"
                f"{detail}), {s.seconds:.0f} s",
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
    # a preview network is no generator of its own: of the teacher's record it keeps only
    # which CLIP model its conditions come from
    kept = dict(cfg.get("meta") or {})
    if preview_of is not None:
        kept = {k: v for k, v in kept.items() if k in ("clip_hash", "cond")}
        kept["preview_of"], kept["preview_resolution"] = preview_of, args.resolution
    meta = {
        **kept,
        "distilled_from": {"model_id": cfg["model_id"], "sha256": cfg["sha256"]},
        "distil": {
            "channel_max": kwargs["synthesis_kwargs"].get("channel_max"),
            "channel_base": kwargs["synthesis_kwargs"].get("channel_base"),
            "boundary_px": bnd.resolution,
            "mode": bnd.mode,
            "steps": status.step,
            "batch": args.batch,
            "x_rel_err": round(status.x_err, 5),
            "img_rel_err": round(status.img_err, 5),
            **({"detail_rel_err": round(status.detail_err, 5)} if bnd.mode == D.ABOVE else {}),
        },
    }
    out = save_generator(student.eval().cpu(), args.out, extra_meta=meta, float16=args.float16)
    if preview_of is not None:  # a drag-preview network: its rows are the teacher's W space
        print(
            f"wrote {out} after step {status.step}/{args.steps}: the drag-preview network of "
            f"{preview_of['model_id']} (img relative error {status.img_err:.4f})"
        )
        return 0
    carried = carry_w_space(teacher_dir, cfg, out)
    print(
        f"wrote {out} after step {status.step}/{args.steps} (relative error: x "
        f"{status.x_err:.4f}, img {status.img_err:.4f})"
        + (
            "; the teacher's sliders and region means carried over (same W space)"
            if carried
            else f"; next: wenyang directions fit --model {out}"
        )
    )
    return 0
