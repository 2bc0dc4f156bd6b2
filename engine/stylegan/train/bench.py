"""`wenyang bench train`: images per second of the GAN training step, and where the time goes.

Why: on this project's 2-core CPU a kimg at 256 px costs a quarter of an hour, and GPU time
comes in 30-minute loans, so the step's speed decides how far every session gets. This
measures the real `Trainer.step` (G and D updates, lazy R1 and path-length steps, ADA
augmentation, EMA) on random in-memory tiles with random unit conditions, so it needs no
database and no CLIP model, and it lets a GPU session compare batch sizes, mixed precision
and TF32 in a minute before it trains. `--profile` adds the operators that took the most
time (torch.profiler), to know what to make faster.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from typing import Any

from engine.errors import UserInputError


def register_bench(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="GAN training step: images/s and the costliest operators")
    p.add_argument("--preset", default="cpu256", help="network width preset (cpu256)")
    p.add_argument("--resolution", type=int, default=256, help="tile size in px (256)")
    p.add_argument("--batch", type=int, default=16, help="images per step (16)")
    p.add_argument(
        "--steps",
        type=int,
        default=16,
        help="timed steps (16: one lazy R1 step and four path-length steps among them)",
    )
    p.add_argument("--warmup", type=int, default=2, help="untimed steps first (2)")
    p.add_argument("--device", default="cpu", help="cpu (default), cuda, cuda:N or auto")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (0: all cores)")
    p.add_argument("--fp16-res", type=int, default=None, help="CUDA: float16 resolutions (4)")
    p.add_argument("--tf32", action="store_true", help="CUDA: TensorFloat-32 in float32 layers")
    p.add_argument("--aug-p", type=float, default=0.2, help="augmentation probability (0.2)")
    p.add_argument("--c-dim", type=int, default=256, help="condition width (256, as shipped)")
    p.add_argument(
        "--clip-losses",
        action="store_true",
        help="also the CLIP head, contrastive loss and patch heads, as the background 256 px "
        "run trains (the shipped CLIP encoder; conditions as wide as its embedding)",
    )
    p.add_argument("--profile", action="store_true", help="also list the costliest operators")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.set_defaults(func=run_bench_train)


def _check(args: argparse.Namespace) -> None:
    for name, value, least in (
        ("--batch", args.batch, 1),
        ("--steps", args.steps, 1),
        ("--warmup", args.warmup, 0),
        ("--threads", args.threads, 0),
        ("--c-dim", args.c_dim, 0),
    ):
        if value < least:
            raise UserInputError(f"expected at least {least}, got {value}", field=name)
    if not 0 <= args.aug_p <= 1:
        raise UserInputError(f"expected 0..1, got {args.aug_p}", field="--aug-p")


def build_trainer(args: argparse.Namespace, run_dir: str) -> Any:
    """A Trainer on random tiles and conditions, configured as `train gan` would be."""
    import numpy as np
    import torch

    from engine.stylegan.train.data import TileDataset
    from engine.stylegan.train.options import TrainConfig
    from engine.stylegan.train.trainer import Trainer

    c_dim = args.c_dim
    encoder = None
    if getattr(args, "clip_losses", False):
        from engine.stylegan.train.conditioning import load_clip_encoder

        encoder = load_clip_encoder(None, args.device if args.device != "auto" else "cpu")
        c_dim = int(encoder.embed_dim)
    cfg = TrainConfig(
        run_dir=run_dir,
        resolution=args.resolution,
        preset=args.preset,
        batch=args.batch,
        cond="clip" if c_dim else "none",
        aug_p=args.aug_p,
        ada_target=None,  # hold p, so every variant does the same work
        device=args.device,
        fp16_res=args.fp16_res,
        tf32=args.tf32,
        num_threads=args.threads or None,
        init="none",
    )
    if encoder is not None:
        cfg.clip_head, cfg.contrastive, cfg.clip_patch = True, 1.0, 1.0
    n = max(64, args.batch)
    rng = np.random.default_rng(0)
    tiles = rng.integers(0, 256, (n, args.resolution, args.resolution, 3), dtype=np.uint8)
    records = [{"id": f"b{i}", "region": "miao", "file": f"b{i}.png"} for i in range(n)]
    cond = torch.nn.functional.normalize(torch.randn(n, c_dim), dim=1)
    try:
        data = TileDataset.from_arrays(tiles, records)
        return Trainer(cfg, data, cond, encoder=encoder, verbose=False)
    except (KeyError, ValueError) as exc:  # an unknown preset
        raise UserInputError(str(exc), field="--preset") from exc


def time_steps(t: Any, steps: int) -> list[float]:
    """Wall seconds of each of `steps` training steps (CUDA: synchronised)."""
    import torch

    sync = torch.cuda.synchronize if t.device.type == "cuda" else (lambda: None)
    out = []
    for _ in range(steps):
        sync()
        t0 = time.perf_counter()
        t.step()
        sync()
        out.append(time.perf_counter() - t0)
    return out


def profile_steps(t: Any, steps: int, top: int = 15) -> list[dict[str, Any]]:
    """The `top` operators by self time over `steps` steps (device time on CUDA)."""
    from torch.profiler import ProfilerActivity, profile

    acts = [ProfilerActivity.CPU]
    if t.device.type == "cuda":
        acts.append(ProfilerActivity.CUDA)
    with profile(activities=acts) as prof:
        time_steps(t, steps)
    key = "self_device_time_total" if t.device.type == "cuda" else "self_cpu_time_total"
    events = [e for e in prof.key_averages() if getattr(e, key, 0) > 0]
    events.sort(key=lambda e: getattr(e, key), reverse=True)
    total = sum(getattr(e, key) for e in events) or 1.0
    return [
        {
            "op": e.key,
            "calls": int(e.count),
            "ms_per_step": round(getattr(e, key) / 1000 / steps, 3),
            "share": round(getattr(e, key) / total, 4),
        }
        for e in events[:top]
    ]


def run_bench_train(args: argparse.Namespace) -> int:
    import torch

    _check(args)
    with tempfile.TemporaryDirectory(prefix="wenyang-bench-train-") as run_dir:
        t = build_trainer(args, run_dir)
        time_steps(t, args.warmup)
        if t.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(t.device)
        cpu0 = time.process_time()
        secs = time_steps(t, args.steps)
        cpu_s = time.process_time() - cpu0
        wall = sum(secs)
        report: dict[str, Any] = {
            "device": str(t.device),
            "gpu": torch.cuda.get_device_name(t.device) if t.device.type == "cuda" else None,
            "threads": torch.get_num_threads(),
            "preset": args.preset,
            "resolution": args.resolution,
            "batch": args.batch,
            "fp16_res": t.G_kwargs["synthesis_kwargs"].get("num_fp16_res"),
            "tf32": bool(args.tf32),
            "aug_p": args.aug_p,
            "clip_losses": bool(args.clip_losses),
            "steps": args.steps,
            "img_per_s": round(args.batch * args.steps / wall, 2),
            "s_per_kimg": round(wall / (args.batch * args.steps) * 1000, 1),
            "ms_per_step_median": round(statistics.median(secs) * 1000, 1),
            "ms_per_step_max": round(max(secs) * 1000, 1),
            "img_per_cpu_s": round(args.batch * args.steps / max(cpu_s, 1e-9), 2),
            "peak_cuda_mib": round(torch.cuda.max_memory_allocated(t.device) / 2**20)
            if t.device.type == "cuda"
            else None,
        }
        if args.profile:
            report["top_ops"] = profile_steps(t, min(args.steps, 8))
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(
        f"{report['device']}{' ' + report['gpu'] if report['gpu'] else ''}, {report['threads']} "
        f"threads: {args.preset} at {args.resolution} px, batch {args.batch}, fp16 in "
        f"{report['fp16_res']} resolutions, tf32 {'on' if args.tf32 else 'off'}, aug p "
        f"{args.aug_p}"
    )
    print(
        f"{report['img_per_s']} img/s ({report['s_per_kimg']} s/kimg); step median "
        f"{report['ms_per_step_median']} ms, max {report['ms_per_step_max']} ms over "
        f"{args.steps} steps"
        + (f"; peak {report['peak_cuda_mib']} MiB" if report["peak_cuda_mib"] else "")
    )
    for row in report.get("top_ops", []):
        print(f"  {row['share']:6.1%}  {row['ms_per_step']:9.2f} ms/step  {row['op']}")
    sys.stdout.flush()
    return 0
