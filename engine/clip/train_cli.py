"""`wenyang train clip`: contrastive training / fine-tuning on a pattern database."""

from __future__ import annotations

import argparse
import shlex

from engine.errors import UserInputError

_EPILOG = """\
examples:
  wenyang train clip --data ~/db --out runs/clip                 # from scratch, 30 epochs
  wenyang train clip --data ~/db --out runs/clip --resume        # continue after a stop
  wenyang train clip --data ~/db-s1 ~/db-s2 --out runs/clip       # several databases as one
  wenyang train clip --data ~/db --out runs/vitb32 --init ViT-B-32 --pretrained ViT-B-32.pt
                                                                 # fine-tune: 10 epochs, lr 1e-5
The out folder receives <model>.json + <model>.safetensors (best validation epoch),
probe.safetensors, train_log lines on stdout, train_summary.json and train_state.pt (resume).
"""


def register_train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "clip",
        help="train or fine-tune the CLIP encoder on a pattern database",
        description="Contrastive (CLIP) training on a pattern database built with "
        "`wenyang db build` or `wenyang db import`, with a held-out validation "
        "split reported every epoch. Resumable with --resume.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--data",
        required=True,
        nargs="+",
        metavar="DB",
        help="database folder (manifest.jsonl); several folders are read as one",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="output model folder")
    p.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="epochs (default 30 from scratch, 10 when fine-tuning)",
    )
    p.add_argument("--batch", type=int, default=128, help="batch size (default 128)")
    p.add_argument(
        "--lr",
        type=float,
        default=None,
        help="peak learning rate (default 5e-4 from scratch, 1e-5 fine-tuning)",
    )
    p.add_argument("--weight-decay", type=float, default=None)
    p.add_argument(
        "--val-fraction",
        type=float,
        default=0.1,
        help="share of the database held out for validation (default 0.1)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--init",
        metavar="MODEL",
        default=None,
        help="open_clip architecture name (default: the project's wenyang-clip-rn)",
    )
    p.add_argument(
        "--pretrained",
        metavar="FILE",
        default=None,
        help="local open_clip checkpoint to fine-tune (needs --init)",
    )
    p.add_argument("--resume", action="store_true", help="continue the run in --out")
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto (default cpu)")
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="CPU threads for torch (default: torch's choice; 1 on a busy machine)",
    )
    p.add_argument("--fp32", action="store_true", help="store weights in float32 (default fp16)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run_train)


def command_line(args: argparse.Namespace) -> str:
    """The equivalent `wenyang train clip …` command (for the model card)."""
    parts = ["wenyang", "train", "clip"]
    for key, value in vars(args).items():
        if key in ("func", "command", "what") or value is None or value is False:
            continue
        flag = "--" + key.replace("_", "-")
        values = value if isinstance(value, list) else [value]
        parts += [flag] if value is True else [flag, *(shlex.quote(str(v)) for v in values)]
    return " ".join(parts)


def run_train(args: argparse.Namespace) -> int:
    import torch

    from engine.clip.registry import DEFAULT_MODEL_NAME
    from engine.clip.train import TrainOptions, train_clip

    if args.pretrained and not args.init:
        raise UserInputError(
            "--pretrained needs --init MODEL naming its open_clip "
            "architecture (e.g. --init ViT-B-32)",
            field="--pretrained",
        )
    for name in ("epochs", "batch"):
        v = getattr(args, name)
        if v is not None and v < 1:
            raise UserInputError(f"expected a positive integer, got {v}", field=f"--{name}")
    if not 0.0 <= args.val_fraction < 0.9:
        raise UserInputError("expected a fraction in [0, 0.9)", field="--val-fraction")
    device = args.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    opts = TrainOptions(
        data=[str(d) for d in args.data] if len(args.data) > 1 else str(args.data[0]),
        out=str(args.out),
        model=args.init or DEFAULT_MODEL_NAME,
        pretrained=args.pretrained,
        epochs=args.epochs,
        batch=args.batch,
        lr=args.lr,
        weight_decay=args.weight_decay,
        val_fraction=args.val_fraction,
        seed=args.seed,
        half=not args.fp32,
        device=device,
        threads=args.threads,
        extra={"command": command_line(args)},
    )
    train_clip(
        opts, resume=args.resume, progress=not args.no_progress, log=lambda m: print(m, flush=True)
    )
    return 0
