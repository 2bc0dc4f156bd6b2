"""Train the garment segmentation Unet on generated composites (resumable).

The run keeps `.train_state.pt` in the output folder (model, optimiser, position in the
epoch) every few steps and on Ctrl-C; running the same command again continues from it.
When the run ends, model.safetensors + config.json + train_log.json are written atomically.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine.atomic import atomic_open, atomic_path
from engine.mockup.segment import DEFAULT_CONFIG, build_model, save_model, to_tensor

STATE = ".train_state.pt"


@dataclass
class SegTrainConfig:
    epochs: int = 3
    samples: int = 2400  # composites per epoch (seeds seed*1e6 + 0..samples-1)
    size: int = 160
    batch: int = 8
    lr: float = 2e-3
    seed: int = 0
    encoder: str = "mobilenet_v2"
    decoder_channels: tuple[int, ...] = (64, 32, 24, 16, 8)
    save_every: int = 25
    minutes: float | None = None  # stop (and export) after this much training time
    pool: int = 32  # database tiles in the pattern pool
    threads: int = 1  # one thread wastes far less CPU than two on a shared, busy machine


def _loss(logits: Any, target: Any) -> Any:
    import torch.nn.functional as F

    bce = F.binary_cross_entropy_with_logits(logits, target)
    p = logits.sigmoid()
    inter = (p * target).sum((1, 2, 3))
    dice = 1 - (2 * inter + 1) / (p.sum((1, 2, 3)) + target.sum((1, 2, 3)) + 1)
    return bce + dice.mean()


def _batch(cfg: SegTrainConfig, seeds: list[int], pool: Any, epoch: int) -> tuple[Any, Any]:
    import torch

    from engine.mockup.seg_data import composite

    ims, ms = [], []
    for s in seeds:
        im, m = composite(s, cfg.size, pool)
        if (s + epoch) % 2:  # a different mirror image every other epoch
            im, m = im[:, ::-1], m[:, ::-1]
        ims.append(im)
        ms.append(m)
    x = to_tensor(np.stack(ims), {"mean": DEFAULT_CONFIG["mean"], "std": DEFAULT_CONFIG["std"]})
    y = torch.from_numpy(np.stack(ms)[:, None].astype(np.float32))
    return x, y


def model_config(cfg: SegTrainConfig) -> dict[str, Any]:
    return {
        **DEFAULT_CONFIG,
        "encoder_name": cfg.encoder,
        "decoder_channels": list(cfg.decoder_channels),
        "input_size": cfg.size,
    }


def train_seg(
    out_dir: Path,
    cfg: SegTrainConfig,
    progress: Callable[[str], None] = print,
    restart: bool = False,
) -> dict[str, Any]:
    """Train (or resume) and export; returns the log dict written to train_log.json."""
    import torch

    from engine.mockup.seg_data import PatternPool

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if cfg.threads > 0:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    model = build_model(model_config(cfg))
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=1e-4)
    steps_per_epoch = max(1, cfg.samples // cfg.batch)
    total = steps_per_epoch * cfg.epochs
    state_path = out_dir / STATE
    step, elapsed, losses = 0, 0.0, []
    if state_path.is_file() and not restart:
        st = torch.load(str(state_path), map_location="cpu", weights_only=True)
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        step, elapsed, losses = int(st["step"]), float(st["elapsed"]), list(st["losses"])
        progress(f"resuming at step {step}/{total} ({elapsed / 60:.1f} min trained)")

    def save_state() -> None:
        with atomic_path(state_path) as tmp:
            torch.save(
                {
                    "model": model.state_dict(),
                    "opt": opt.state_dict(),
                    "step": step,
                    "elapsed": elapsed,
                    "losses": losses,
                },
                str(tmp),
            )

    pool = PatternPool(cfg.pool)
    model.train()
    t_last = time.perf_counter()
    try:
        while step < total:
            if cfg.minutes is not None and elapsed >= cfg.minutes * 60:
                progress(f"time budget of {cfg.minutes} min reached at step {step}")
                break
            epoch, k = divmod(step, steps_per_epoch)
            order = np.random.default_rng([cfg.seed, epoch]).permutation(cfg.samples)
            idx = order[k * cfg.batch : (k + 1) * cfg.batch]
            seeds = [cfg.seed * 1_000_000 + int(i) for i in idx]
            x, y = _batch(cfg, seeds, pool, epoch)
            # cosine decay over the steps, or over the time budget if that ends first
            frac = step / total
            if cfg.minutes:
                frac = max(frac, elapsed / (cfg.minutes * 60))
            lr = cfg.lr * min(1.0, (step + 1) / 20) * 0.5 * (1 + math.cos(math.pi * min(frac, 1)))
            for group in opt.param_groups:
                group["lr"] = lr
            loss = _loss(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            value = float(loss.item())
            if not math.isfinite(value):
                raise FloatingPointError(f"loss became {value} at step {step}")
            losses.append(value)
            step += 1
            now = time.perf_counter()
            elapsed += now - t_last
            t_last = now
            if step % 5 == 0 or step == total:
                rate = elapsed / step if step else 0.0
                progress(
                    f"epoch {epoch + 1}/{cfg.epochs} step {step}/{total} "
                    f"loss {np.mean(losses[-20:]):.4f} ({rate:.2f} s/step, "
                    f"eta {(total - step) * rate / 60:.0f} min)"
                )
            if step % cfg.save_every == 0:
                save_state()
    except KeyboardInterrupt:
        save_state()
        progress(f"interrupted: state saved at step {step}; run again to resume")
        raise
    save_state()
    model.eval()
    log = {
        "steps": step,
        "total_steps": total,
        "train_minutes": round(elapsed / 60, 2),
        "final_loss": float(np.mean(losses[-20:])) if losses else None,
        "loss_curve": [
            round(float(np.mean(losses[i : i + 25])), 4) for i in range(0, len(losses), 25)
        ],
        "config": {**asdict(cfg), "decoder_channels": list(cfg.decoder_channels)},
        "torch": torch.__version__,
    }
    save_model_atomic(model, model_config(cfg), out_dir)
    with atomic_open(out_dir / "train_log.json", encoding="utf-8") as fh:
        json.dump(log, fh, indent=2)
    return log


def save_model_atomic(model: Any, config: dict[str, Any], out_dir: Path) -> None:
    """Weights first, then config: a reader never sees a config without its weights."""
    import tempfile

    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".export.") as tmp:
        save_model(model, config, Path(tmp))
        for name in ("model.safetensors", "config.json"):
            with atomic_path(out_dir / name) as dst:
                (Path(tmp) / name).replace(dst)
