"""`wenyang train seg --out DIR [--epochs N] [--size 160]`: the garment segmentation Unet."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _run(args: argparse.Namespace) -> int:
    from engine.mockup.seg_train import SegTrainConfig, train_seg

    cfg = SegTrainConfig(
        epochs=args.epochs,
        samples=args.samples,
        size=args.size,
        batch=args.batch,
        lr=args.lr,
        seed=args.seed,
        encoder=args.encoder,
        minutes=args.minutes,
        save_every=args.save_every,
        threads=args.threads,
    )
    try:
        log = train_seg(
            args.out, cfg, lambda s: print(s, file=sys.stderr, flush=True), restart=args.restart
        )
    except KeyboardInterrupt:
        return 130
    print(
        f"{args.out}: {log['steps']} steps in {log['train_minutes']} min, "
        f"loss {log['final_loss']:.4f}"
    )
    return 0


def register_train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "seg",
        help="train the garment segmentation Unet on generated composites",
        description="Train a segmentation_models_pytorch Unet (weights initialised here, "
        "nothing downloaded) on garment composites generated on the fly. Resumable: run "
        "the same command again to continue; --restart starts over.",
    )
    p.add_argument("--out", type=Path, required=True, help="model folder to write")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--samples", type=int, default=2400, help="composites per epoch")
    p.add_argument("--size", type=int, default=160, help="training image size in px")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=0, help="data seed (0..9)")
    p.add_argument("--encoder", default="mobilenet_v2", help="any smp encoder name")
    p.add_argument("--minutes", type=float, default=None, help="stop after this long")
    p.add_argument("--save-every", type=int, default=25, help="snapshot every N steps")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (0 = torch's)")
    p.add_argument("--restart", action="store_true", help="ignore a saved training state")
    p.set_defaults(func=_run)
