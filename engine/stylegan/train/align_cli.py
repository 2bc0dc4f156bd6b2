"""`wenyang train gan-align`: fine-tune a generator's mapping network toward the tiles its
conditions come from (engine/stylegan/train/align.py says how and why)."""

from __future__ import annotations

import argparse
import math
import signal
import sys
from pathlib import Path
from typing import Any

from engine.errors import UserInputError

DESCRIPTION = (
    "Fine-tune only the mapping network of MODEL (the synthesis network stays frozen; "
    "--train torgb fine-tunes the toRGB layers instead, or both) so that "
    "each condition's designs match the database tile it was taken from: CLIP contrastive and "
    "cosine terms, a colour-distribution term and an anchor to the original w. Resumable (the "
    "state lives in --run). The W space moves, so afterwards fit the prior, the region means "
    "and the faithful tiles again: `wenyang train gan-prior OUT --data DB`, `wenyang directions "
    "fit --model OUT --named-from MODEL` (the named sliders carry over: same synthesis), "
    "`wenyang train gan-prior OUT --data DB --fidelity-keep 0.5` (after --train torgb the "
    "sliders are fitted anew: leave out --named-from)."
)


def register(sub: argparse._SubParsersAction) -> None:
    from engine.stylegan.train.align import COLOUR_SPACES, TRAINABLE, AlignConfig

    d = AlignConfig()
    p = sub.add_parser(
        "gan-align",
        help="fine-tune the mapping network toward each condition's tile (resumable)",
        description=DESCRIPTION,
    )
    p.add_argument("model", metavar="MODEL", help="generator folder (e.g. assets/models/generator)")
    p.add_argument("--data", required=True, metavar="DB", help="pattern database (db build)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the aligned generator")
    p.add_argument(
        "--run", metavar="DIR", help="state folder (default: <user cache>/runs/align/<model id>)"
    )
    p.add_argument("--per-region", type=int, default=300, help="tiles per region used (300)")
    p.add_argument("--steps", type=int, default=d.steps, help=f"total steps ({d.steps})")
    p.add_argument("--batch", type=int, default=d.batch, help=f"conditions per step ({d.batch})")
    p.add_argument("--lr", type=float, default=d.lr, help=f"Adam learning rate ({d.lr})")
    p.add_argument(
        "--contrastive", type=float, default=d.contrastive, help="LAFITE loss weight (1)"
    )
    p.add_argument("--cosine", type=float, default=d.cosine, help="1 - cosine weight (1)")
    p.add_argument("--colour", type=float, default=d.colour, help="colour distance weight (3)")
    p.add_argument("--anchor", type=float, default=d.anchor, help="|w - w_orig|^2 weight (0.1)")
    p.add_argument(
        "--colour-space",
        choices=COLOUR_SPACES,
        default=d.colour_space,
        help=f"space of the colour distance ({d.colour_space})",
    )
    p.add_argument(
        "--train",
        choices=TRAINABLE,
        default=d.train,
        help="which weights to fine-tune: the mapping network (default), the toRGB layers "
        "(recolours designs, motifs and layout stay; the named sliders must then be refitted), "
        "or both",
    )
    p.add_argument(
        "--region-cls",
        type=float,
        default=d.region_cls,
        metavar="W",
        help="weight of the region term: cross-entropy of a frozen region classifier against "
        "each condition tile's region (0 = off; session 21)",
    )
    p.add_argument(
        "--region-net",
        metavar="FILE",
        help="the region classifier (a training run's region_net.safetensors, fitted on DB); "
        "default: fitted on DB once and kept in the --run folder",
    )
    p.add_argument("--minutes", type=float, default=60.0, help="train at most this long now (60)")
    p.add_argument("--threads", type=int, help="CPU threads (default: all)")
    p.add_argument("--device", default="cpu", help="cpu (default), cuda, cuda:N or auto")
    p.add_argument("--clip-model", metavar="DIR", help="CLIP encoder (default: the shipped one)")
    p.add_argument("--seed", type=int, default=0, help="sampling seed of a new run (0)")
    p.add_argument("--float16", action="store_true", help="store the weights as float16")
    p.set_defaults(func=run_align)


def _check(args: argparse.Namespace) -> None:
    for name in ("steps", "batch", "per_region"):
        if getattr(args, name) < 1:
            raise UserInputError("must be at least 1", field="--" + name.replace("_", "-"))
    if args.minutes <= 0 or args.lr <= 0:
        raise UserInputError("must be positive", field="--minutes" if args.minutes <= 0 else "--lr")
    for name in ("contrastive", "cosine", "colour", "anchor", "region_cls"):
        if getattr(args, name) < 0:
            raise UserInputError("must not be negative", field="--" + name.replace("_", "-"))
    if not (Path(args.data) / "manifest.jsonl").is_file():
        raise UserInputError("not a pattern database (no manifest.jsonl)", path=str(args.data))


def run_align(args: argparse.Namespace) -> int:
    import torch

    from engine.paths import user_cache_dir
    from engine.stylegan.checkpoint import load_generator, read_config, save_generator
    from engine.stylegan.train import align as A
    from engine.stylegan.train.clip_losses import ClipImageFeatures
    from engine.stylegan.train.conditioning import encoder_hash, load_clip_encoder
    from engine.stylegan.train.data import read_records
    from engine.stylegan.train.trainer import pick_device

    _check(args)
    model_dir = Path(args.model)
    cfg_file = read_config(model_dir)
    meta = dict(cfg_file.get("meta") or {})
    device = pick_device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    encoder = load_clip_encoder(args.clip_model, device=str(device))
    clip_hash = encoder_hash(encoder)
    if meta.get("clip_hash") and meta["clip_hash"] != clip_hash:
        raise UserInputError(
            f"the generator was trained with CLIP model {meta['clip_hash']}, not the one given "
            f"({clip_hash}); align it with the CLIP model it was trained with",
            field="--clip-model",
        )
    records = A.pick_records(read_records(Path(args.data)), args.per_region)
    kind = "" if args.train == "mapping" else "-" + args.train.replace("+", "-")
    run = (
        Path(args.run)
        if args.run
        else user_cache_dir() / "runs" / "align" / (cfg_file["model_id"] + kind)
    )
    print(f"embedding {len(records)} tiles and their captions ...", file=sys.stderr, flush=True)
    data = A.prepare_data(Path(args.data), records, encoder)
    G = load_generator(model_dir).to(device)
    if G.c_dim != data.image.shape[1]:
        raise UserInputError(
            f"the generator takes {G.c_dim}-d conditions, the CLIP model gives "
            f"{data.image.shape[1]}-d embeddings",
            field="--clip-model",
        )
    cfg = A.AlignConfig(
        steps=args.steps,
        batch=args.batch,
        lr=args.lr,
        contrastive=args.contrastive,
        cosine=args.cosine,
        colour=args.colour,
        colour_space=args.colour_space,
        train=args.train,
        anchor=args.anchor,
        region_cls=args.region_cls,
        seed=args.seed,
    )
    region_net = _region_net(args, run) if cfg.region_cls > 0 else None
    features = ClipImageFeatures(encoder)
    stop = {"now": False}

    def on_signal(signum: int, frame: Any) -> None:
        stop["now"] = True

    def report(s: A.AlignStatus) -> None:
        if s.step % 10 == 0:
            print(
                f"step {s.step}/{cfg.steps}: cosine {s.cosine:.3f}, contrastive "
                f"{s.contrastive:.4f}, colour {s.colour:.4f}, anchor {s.anchor:.4f}, "
                + ("" if math.isnan(s.region) else f"region {s.region:.4f}, ")
                + f"{s.seconds:.0f} s",
                file=sys.stderr,
                flush=True,
            )

    old = signal.signal(signal.SIGTERM, on_signal)
    try:
        status = A.align(
            G,
            features.embed,
            data,
            run,
            cfg,
            args.minutes,
            report,
            lambda: stop["now"],
            region_net,
        )
    finally:
        signal.signal(signal.SIGTERM, old)
    if status.step < cfg.steps:
        print(
            f"stopped at step {status.step}/{cfg.steps}; run the same command to continue "
            f"(state in {run})",
            file=sys.stderr,
        )
        return 0
    meta["aligned_from"] = {"model_id": cfg_file["model_id"], "sha256": cfg_file["sha256"]}
    meta["align"] = {
        "data": f"{Path(args.data).name} ({len(records)} tiles, {args.per_region} per region)",
        **vars(cfg),
    }
    out = save_generator(G.cpu(), args.out, extra_meta=meta, float16=args.float16)
    # a run resumed at its last step trains nothing now, so it has no fresh loss to show
    last = "" if math.isnan(status.cosine) else f", cosine {status.cosine:.3f}"
    # the named sliders carry over only while the synthesis network is unchanged
    keep = f" --named-from {model_dir}" if cfg.train == "mapping" else ""
    print(
        f"wrote {out} (step {status.step}{last}). Next: wenyang train "
        f"gan-prior {out} --data DB; wenyang directions fit --model {out}{keep}; "
        f"wenyang train gan-prior {out} --data DB --fidelity-keep 0.5"
    )
    return 0


def _region_net(args: argparse.Namespace, run: Path) -> Any:
    """The frozen region classifier of --region-cls: --region-net if given (it must have been
    fitted on --data), else the one fitted on --data before in the run folder, else fitted
    now on every tile of --data and kept there."""
    from engine.culture import REGION_IDS
    from engine.stylegan.train import region_classifier as RC
    from engine.stylegan.train.data import TileDataset, read_records

    records = read_records(Path(args.data))
    labels = RC.region_labels(records, str(Path(args.data) / "manifest.jsonl"))
    key = RC.data_key(records, labels)
    if args.region_net:
        net = RC.load_region_net(args.region_net, key, len(REGION_IDS))
        if net is None:
            raise UserInputError(
                f"not a region classifier fitted on {args.data} (a training run's "
                "region_net.safetensors on the same database is)",
                path=args.region_net,
                field="--region-net",
            )
        return net
    path = str(run / "region_net.safetensors")
    net = RC.load_region_net(path, key, len(REGION_IDS))
    if net is not None:  # fitted by an earlier call: no need to read the tiles
        return net
    images = TileDataset.from_database(args.data, RC.SIZE).images  # the manifest's order
    return RC.load_or_fit(
        path,
        key,
        images,
        labels,
        len(REGION_IDS),
        args.seed,
        lambda m: print(m, file=sys.stderr),
    )
