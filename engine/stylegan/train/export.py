"""Turn a training snapshot into the generator folder the renderer loads."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from engine.errors import UserInputError


def export_generator(
    G_ema: Any, out_dir: Path, meta: dict[str, Any], G_kwargs: dict[str, Any], float16: bool = False
) -> None:
    """Save G_ema (CPU, eval mode, float32 layers) with engine.stylegan.checkpoint."""
    try:
        from engine.stylegan.checkpoint import save_generator
    except ImportError as exc:
        raise UserInputError(
            "exporting needs engine.stylegan.checkpoint, which is not installed", field="--export"
        ) from exc
    from engine.stylegan import networks

    kwargs = copy.deepcopy(G_kwargs)
    kwargs.setdefault("synthesis_kwargs", {})["num_fp16_res"] = 0  # the renderer decides
    # a fresh module with G_ema's weights: G_ema itself may hold inference caches (mkldnn
    # weights) that neither deepcopy nor the checkpoint format can take
    G = networks.Generator(**copy.deepcopy(kwargs)).eval().requires_grad_(False)
    G.load_state_dict({k: v.detach().cpu() for k, v in G_ema.state_dict().items()})
    save_generator(G, Path(out_dir), meta, float16=float16, init_kwargs=kwargs)


def export_snapshot(snapshot: Path, out_dir: Path, float16: bool = False) -> dict[str, Any]:
    """Rebuild G from a snapshot's constructor kwargs, load G_ema weights, export; -> meta."""
    from engine.stylegan.train import state as S
    from engine.stylegan.train.networks_factory import build

    meta, tensors = S.load_snapshot(snapshot)
    G_kwargs = dict(meta["G_kwargs"])
    syn = dict(G_kwargs.get("synthesis_kwargs", {}))
    syn["num_fp16_res"] = 0  # the renderer decides precision itself
    G_kwargs["synthesis_kwargs"] = syn
    G, _ = build(G_kwargs, {**meta["D_kwargs"], "num_fp16_res": 0})
    G.load_state_dict(S.module_state(tensors, "G_ema"), strict=True)
    cfg = meta["config"]
    info = {
        "kimg": round(float(meta["kimg"]), 3),
        "step": int(meta["step"]),
        "cond": cfg.get("cond"),
        "cond_noise": cfg.get("cond_noise"),
        "preset": cfg.get("preset"),
        "data": cfg.get("data"),
        "train_seconds": round(float(meta.get("train_seconds", 0.0)), 1),
        "clip_head": cfg.get("clip_head"),
        "contrastive": cfg.get("contrastive"),
        "clip_hash": meta.get("clip_hash"),
        "snapshot": str(snapshot),
    }
    export_generator(G, out_dir, info, G_kwargs, float16)
    return info
