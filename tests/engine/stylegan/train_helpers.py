"""Tiny training set-ups shared by the test_train* files (16 px, 'tiny' preset)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

REGIONS = ("dunhuang", "miao", "hakka")


def tiles(n: int = 12, size: int = 16, seed: int = 0) -> np.ndarray:
    """Random but structured tiles (a per-region colour plus noise), uint8 NHWC."""
    rng = np.random.default_rng(seed)
    base = np.array([[200, 40, 40], [30, 60, 180], [40, 160, 60]], dtype=np.float64)
    out = np.empty((n, size, size, 3), dtype=np.uint8)
    for i in range(n):
        img = base[i % 3] + rng.normal(0, 30, (size, size, 3))
        out[i] = np.clip(img, 0, 255).astype(np.uint8)
    return out


def records(n: int = 12) -> list[dict[str, Any]]:
    return [{"id": f"t{i}", "region": REGIONS[i % 3], "file": f"images/t{i}.png"} for i in range(n)]


def build_db(root: Path, per_region: int = 1, size: int = 32) -> Path:
    """A real (tiny) pattern database made by engine.database."""
    from engine.database import build_database

    return Path(build_database(root, per_region=per_region, size=size, seed=3))


TINY_CLIP = "wenyang-gan-test-clip"
TINY_CLIP_CFG = {
    "embed_dim": 32,
    "vision_cfg": {
        "image_size": 32,
        "patch_size": 8,
        "width": 32,
        "layers": 1,
        "head_width": 16,
        "pool_type": "avg",
    },
    "text_cfg": {"context_length": 32, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}


def tiny_clip_dir(root: Path) -> Path:
    """A randomly initialised tiny open_clip model folder that engine.clip can load."""
    import torch

    from engine.clip.checkpoint import create_model, save_model
    from engine.clip.registry import register_config_path

    cfg_dir = root / "cfg"
    cfg_dir.mkdir(parents=True, exist_ok=True)
    (cfg_dir / f"{TINY_CLIP}.json").write_text(json.dumps(TINY_CLIP_CFG), encoding="utf-8")
    register_config_path(cfg_dir)
    torch.manual_seed(0)
    model_dir = root / "model"
    save_model(create_model(TINY_CLIP), TINY_CLIP, TINY_CLIP_CFG, model_dir)
    return model_dir


def config(run_dir: Path, **kw: Any) -> Any:
    from engine.stylegan.train.options import TrainConfig

    base: dict[str, Any] = dict(
        run_dir=str(run_dir),
        resolution=16,
        preset="tiny",
        batch=4,
        kimg=1.0,
        cond="region",
        aug_p=0.3,
        seed=1,
        r1_interval=2,
        pl_interval=3,
        ada_interval=2,
        ada_kimg=0.5,
        num_threads=1,
    )
    base.update(kw)
    return TrainConfig(**base)


def clip_config(root: Path, **kw: Any) -> Any:
    """A CLIP-conditioned run on a tiny real database and a tiny CLIP model under `root`
    (no R1 or path-length steps, so a step is only the main losses)."""
    db = build_db(root / "db")
    clip_dir = tiny_clip_dir(root / "clip")
    base: dict[str, Any] = dict(
        data=str(db), cond="clip", clip_model=str(clip_dir), r1_interval=0, pl_weight=0.0
    )
    return config(root / "run", **{**base, **kw})


def trainer(run_dir: Path, **kw: Any) -> Any:
    from engine.stylegan.train.data import TileDataset
    from engine.stylegan.train.trainer import Trainer

    ds = TileDataset.from_arrays(tiles(), records())
    return Trainer(config(run_dir, **kw), dataset=ds, verbose=False)


def ddp_worker(rank: int, world: int, port: int, run_dir: str, out_dir: str) -> None:
    """One rank of a CPU (gloo) data-parallel run; writes its final G weights to out_dir."""
    import os

    import torch

    os.environ.update(
        {
            "RANK": str(rank),
            "WORLD_SIZE": str(world),
            "LOCAL_RANK": str(rank),
            "MASTER_ADDR": "127.0.0.1",
            "MASTER_PORT": str(port),
        }
    )
    from engine.stylegan.train import distributed

    t = trainer(Path(run_dir))
    assert t.world == world and t.batch_local == 4 // world
    for _ in range(3):
        t.step()
    t.save()
    torch.save({k: v.clone() for k, v in t.G.state_dict().items()}, Path(out_dir) / f"G-{rank}.pt")
    distributed.shutdown()
