"""`build_database`: render per-region tiles in parallel into a new folder, atomically."""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable
from pathlib import Path

from engine.atomic import atomic_dir
from engine.culture import REGION_IDS
from engine.database.manifest import save_png, write_manifest

Progress = Callable[[int, int], None]


def sample_seed(base_seed: int, index: int) -> int:
    """Seeds of different builds do not overlap unless `index` reaches a million."""
    return int(base_seed) * 1_000_000 + int(index)


def _init_worker() -> None:
    import cv2

    cv2.setNumThreads(1)  # the pool already uses every core; OpenCV threads only contend


def _render_one(task: tuple[str, int, int, str]) -> dict:
    from engine.database.sample import render_sample

    region, seed, size, out = task
    s = render_sample(region, seed, size)
    save_png(Path(out) / s.record["file"], s.image)
    return s.record


def build_database(
    out_dir: str | Path,
    per_region: int,
    size: int = 256,
    seed: int = 0,
    progress: Progress | None = None,
    workers: int = 2,
    regions: tuple[str, ...] = REGION_IDS,
) -> Path:
    """Render `per_region` tiles for each region into out_dir/images + manifest.jsonl.

    The folder appears only when complete (built beside it, then renamed)."""
    if per_region < 1 or size < 16:
        raise ValueError("per_region must be >= 1 and size >= 16")
    out_dir = Path(out_dir)
    with atomic_dir(out_dir) as tmp:
        (tmp / "images").mkdir()
        tasks = [
            (r, sample_seed(seed, i), size, str(tmp)) for i in range(per_region) for r in regions
        ]
        total = len(tasks)
        records: list[dict] = []
        if workers <= 1:
            for k, t in enumerate(tasks, 1):
                records.append(_render_one(t))
                if progress:
                    progress(k, total)
        else:
            ctx = mp.get_context("spawn")
            with ctx.Pool(workers, initializer=_init_worker) as pool:
                for k, rec in enumerate(pool.imap(_render_one, tasks, chunksize=8), 1):
                    records.append(rec)
                    if progress:
                        progress(k, total)
        records.sort(key=lambda r: (REGION_IDS.index(r["region"]), r["seed"]))
        write_manifest(tmp, records)
    return out_dir
