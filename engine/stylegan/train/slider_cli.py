"""`wenyang train gan-slider`: teach MODEL's toRGB layers what a named slider means
(engine/stylegan/train/slider_tune.py says how and why)."""

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
)

DESCRIPTION = (
    "Fine-tune only the toRGB layers of MODEL so that its named slider (its vector in each "
    "region, as shipped) draws what it names: for gold, the share of the region's metallic "
    "tones must rise at every step from 0 to +3 and fall toward −3, while every design at "
    "step 0 renders as before. Motifs and layout cannot change (the features are frozen). "
    "The mapping network is kept, so the prior, sliders and region means carry over. "
    "Resumable (the state lives in --run); when done, writes the generator to --out."
)
POOL_SEED = 5_000_011  # the designs taught on; `eval gen --sliders` uses 20,000,003 + i


def register(sub: argparse._SubParsersAction) -> None:
    from engine.stylegan.train.slider_tune import TUNABLE, SliderTuneConfig

    d = SliderTuneConfig()
    p = sub.add_parser(
        "gan-slider",
        help="teach the toRGB layers a named slider (resumable)",
        description=DESCRIPTION,
    )
    p.add_argument("model", metavar="MODEL", help="generator folder with its directions")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the result")
    p.add_argument("--slider", choices=TUNABLE, default=d.attribute, help="named slider (gold)")
    p.add_argument(
        "--keep", type=float, default=d.keep, help=f"weight of the step-0 pixel term ({d.keep:g})"
    )
    p.add_argument(
        "--margin",
        type=float,
        default=d.margin,
        help=f"least rise of the attribute per slider step from 0 to +3 ({d.margin:g})",
    )
    p.add_argument(
        "--softness",
        type=float,
        default=d.softness,
        help=f"ΔE width of the gold measure's cut while teaching ({d.softness:g}; wider "
        "reaches designs with no pixel near gold yet)",
    )
    p.add_argument(
        "--pool", type=int, default=16, help="designs per region taught on, at ψ 0.7 (16)"
    )
    p.add_argument("--clip-model", metavar="DIR", help="CLIP encoder (default: the shipped one)")
    add_session_arguments(
        p,
        run_default="<user cache>/runs/slider/<model id>-<slider>",
        steps=d.steps,
        batch=d.regions_per_step,
        lr=d.lr,
    )
    p.set_defaults(func=run_slider)


def run_slider(args: argparse.Namespace) -> int:
    import numpy as np
    import torch

    from engine.directions.cli import load_optional_encoder
    from engine.directions.conditions import region_conditions
    from engine.directions.store import load_directions
    from engine.paths import user_cache_dir
    from engine.stylegan.checkpoint import load_generator, read_config, save_generator
    from engine.stylegan.render import Renderer
    from engine.stylegan.train import slider_tune as ST
    from engine.stylegan.train.trainer import pick_device

    check_session_arguments(args)
    if args.keep < 0:
        raise UserInputError("must not be negative", field="--keep")
    for name in ("margin", "softness"):
        if getattr(args, name) <= 0:
            raise UserInputError("must be positive", field=f"--{name}")
    if args.pool < 1:
        raise UserInputError("must be at least 1", field="--pool")
    model_dir = Path(args.model)
    cfg_file = read_config(model_dir)
    if args.threads:
        torch.set_num_threads(args.threads)
    renderer = Renderer(model_dir, device="cpu")
    data = load_directions(model_dir, renderer.info.model_hash or None)
    slider = next(
        (
            x
            for x in (data.directions if data else [])
            if x.kind == "named" and x.name == args.slider
        ),
        None,
    )
    if slider is None:
        raise UserInputError(
            f"has no {args.slider} slider fitted for these weights; run `wenyang directions "
            f"fit --model {model_dir}` first",
            path=str(model_dir),
        )
    c_dim = int(renderer.info.c_dim)
    clip = Path(args.clip_model) if args.clip_model else None
    encoder = load_optional_encoder(clip) if c_dim else None
    conditions = region_conditions(encoder, c_dim)
    print(f"drawing {args.pool} designs per region ...", file=sys.stderr, flush=True)
    pool = {
        r: np.stack(
            [renderer.mapping(POOL_SEED + 97 * i + j, c, 0.7, region=r) for i in range(args.pool)]
        )
        for j, (r, c) in enumerate(conditions.items())
    }
    del renderer
    G = load_generator(model_dir).to(pick_device(args.device))
    tcfg = ST.SliderTuneConfig(
        attribute=args.slider,
        steps=args.steps,
        regions_per_step=args.batch,
        lr=args.lr,
        keep=args.keep,
        margin=args.margin,
        softness=args.softness,
        seed=args.seed,
    )
    run = (
        Path(args.run)
        if args.run
        else user_cache_dir() / "runs" / "slider" / f"{cfg_file['model_id']}-{args.slider}"
    )
    print(
        f"teaching the {args.slider} slider to {cfg_file['model_id']}; state in {run}",
        file=sys.stderr,
    )

    def report(s: ST.SliderTuneStatus) -> None:
        if s.step % 10 == 0:
            print(
                f"step {s.step}/{tcfg.steps}: rise {s.rise:.4f}, keep {s.keep:.6f}, "
                f"{args.slider} at steps {list(ST.RISE_STEPS)}: {s.by_step}, {s.seconds:.0f} s",
                file=sys.stderr,
                flush=True,
            )

    try:
        with stop_on_sigterm() as should_stop:
            status = ST.tune_slider(G, slider, pool, run, tcfg, args.minutes, report, should_stop)
    except KeyboardInterrupt:
        print("stopped; the state is saved every few minutes", file=sys.stderr)
        return 1
    if status.step < tcfg.steps:
        print(
            f"stopped at step {status.step}/{tcfg.steps}; run the same command to continue "
            f"(state in {run})",
            file=sys.stderr,
        )
        return 0
    meta = {
        **dict(cfg_file.get("meta") or {}),
        "slider_tuned_from": {"model_id": cfg_file["model_id"], "sha256": cfg_file["sha256"]},
        "slider_tune": {**vars(tcfg), "pool": args.pool, "pool_seed": POOL_SEED},
    }
    out = Path(args.out)
    save_generator(G.cpu(), out, extra_meta=meta, float16=args.float16)
    carry_w_space(model_dir, cfg_file, out)
    print(f"wrote {out} (step {status.step}). Next: wenyang eval gen --model {out} --sliders 50")
    return 0
