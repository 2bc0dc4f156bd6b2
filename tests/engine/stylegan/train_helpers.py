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


def clip_config(root: Path, per_region: int = 1, **kw: Any) -> Any:
    """A CLIP-conditioned run on a tiny real database and a tiny CLIP model under `root`
    (no R1 or path-length steps, so a step is only the main losses)."""
    db = build_db(root / "db", per_region=per_region)
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


def check_paired_g_term(
    make_trainer: Any, monkeypatch: Any, loss_name: str, metric: str, **kw: Any
) -> None:
    """A per-pair G term (`--colour`, `--edge-stats`): one step from the same start at
    weights 0, 1 and 3 (`make_trainer(weight)`). The fakes are scored against the tiles their
    own conditions were picked from; D's gradients are the same; G's differ by the weight
    times one fixed gradient (a term added to the G loss, and it really moves G)."""
    import torch

    grads = {}
    for w in (0.0, 1.0, 3.0):
        t = make_trainer(w)
        seen: dict[str, list[Any]] = {"picked": [], "scored": []}
        pick, score = t._gen_pick, getattr(t, loss_name)

        def rec_pick(n, _pick=pick, _seen=seen):  # type: ignore[no-untyped-def]
            c, src = _pick(n)
            _seen["picked"].append(src)
            return c, src

        def rec_score(fake, src, _score=score, _seen=seen):  # type: ignore[no-untyped-def]
            _seen["scored"].append(src)
            return _score(fake, src)

        monkeypatch.setattr(t, "_gen_pick", rec_pick)
        monkeypatch.setattr(t, loss_name, rec_score)
        t.step()
        assert len(seen["scored"]) == (1 if w else 0)
        if w:
            assert torch.equal(seen["scored"][0], seen["picked"][0])
            assert t._tick_entry(4, 1.0)[metric] > 0
        else:
            assert metric not in t._tick_entry(4, 1.0)
        g = torch.cat([p.grad.flatten() for p in t.G.parameters() if p.grad is not None])
        d = torch.cat([p.grad.flatten() for p in t.D.parameters() if p.grad is not None])
        grads[w] = (g, d)
    g0, d0 = grads[0.0]
    g1, d1 = grads[1.0]
    g3, d3 = grads[3.0]
    assert torch.allclose(d1, d0, atol=1e-7) and torch.allclose(d3, d0, atol=1e-7)
    step1 = g1 - g0
    assert step1.abs().max() > 1e-4
    assert torch.allclose(g3 - g0, 3 * step1, rtol=1e-3, atol=1e-6)


def clip_trainer(root: Path, monkeypatch: Any, per_region: int = 1, **kw: Any) -> Any:
    """A Trainer on the tiny CLIP-conditioned set-up, its cache under `root`."""
    from engine.stylegan.train.trainer import Trainer

    monkeypatch.setenv("WENYANG_CACHE_DIR", str(root / "cache"))
    return Trainer(clip_config(root, per_region, **kw), verbose=False)


def picked_tiles(t: Any, n: int = 6) -> tuple[Any, Any]:
    """n source-tile indices the trainer picks conditions from, and those tiles as floats;
    checks each condition is its tile's embedding."""
    import torch

    from engine.stylegan.train.data import to_float

    c, src = t._gen_pick(n)
    assert src is not None and torch.equal(c, t.cond_dev[src])
    return src, to_float(t.data.images[src])
