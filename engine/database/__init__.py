"""The cultural pattern database: annotated seamless tiles for every region.

The training data of every shipped model. `render_sample` draws one tile on a torus and
annotates it with attributes measured from its pixels; `build_database` renders a folder;
`read_manifest` / `load_image` read one back (generated or imported with `wenyang db import`).
"""

from __future__ import annotations

from engine.database.build import build_database, sample_seed
from engine.database.manifest import MANIFEST, load_image, read_manifest, validate_record
from engine.database.sample import Sample, render_sample


def split_ids(
    records: list[dict], val_fraction: float = 0.1, seed: int = 0
) -> tuple[list[str], list[str]]:
    """A deterministic train/validation split of record ids, stratified by region."""
    import numpy as np

    train: list[str] = []
    val: list[str] = []
    by_region: dict[str, list[str]] = {}
    for r in records:
        by_region.setdefault(r["region"], []).append(r["id"])
    rng = np.random.default_rng(seed)
    for region in sorted(by_region):
        ids = sorted(by_region[region])
        rng.shuffle(ids)
        k = round(len(ids) * val_fraction)
        val += ids[:k]
        train += ids[k:]
    return train, val


__all__ = [
    "MANIFEST",
    "Sample",
    "build_database",
    "load_image",
    "read_manifest",
    "render_sample",
    "sample_seed",
    "split_ids",
    "validate_record",
]
