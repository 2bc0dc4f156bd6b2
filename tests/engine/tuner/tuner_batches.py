"""Tiny synthetic A/B batches for the tuner tests (no generator needed)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from engine.abtest.batch import MANIFEST_COLUMNS


def write_batch(
    d: Path,
    ids: list[str],
    region: str = "dunhuang",
    w_dim: int = 8,
    num_ws: int = 3,
    created: str = "2024-05-01T09:00:00+00:00",
    seed: int = 0,
) -> Path:
    """manifest.csv + latents.safetensors + batch.json, as `wenyang abtest export` writes."""
    from safetensors.numpy import save_file

    d.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    save_file(
        {i: rng.normal(size=(num_ws, w_dim)).astype(np.float32) for i in ids},
        str(d / "latents.safetensors"),
    )
    with open(d / "manifest.csv", "w", encoding="utf-8", newline="") as fh:
        wr = csv.writer(fh)
        wr.writerow(MANIFEST_COLUMNS)
        for k, i in enumerate(ids):
            wr.writerow([i, f"variants/{i}.png", region, "", k, 0.7, "m", "h", "", created])
    (d / "batch.json").write_text(
        json.dumps(
            {
                "format": "wenyang-abtest",
                "version": 1,
                "region": region,
                "text": "",
                "c": None,
                "model_id": "m",
                "n": len(ids),
            }
        )
    )
    return d
