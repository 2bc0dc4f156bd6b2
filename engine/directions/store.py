"""Directions shipped beside a generator: directions.safetensors (vectors) + directions.json.

The JSON names the generator weights (sha256) the directions were computed for; a file for
other weights is ignored rather than applied to the wrong latent space.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine.atomic import atomic_path
from engine.directions.base import Direction
from engine.errors import UserInputError

FORMAT = "wenyang-directions"
FORMAT_VERSION = 1
VECTORS_FILE = "directions.safetensors"
JSON_FILE = "directions.json"


@dataclass
class DirectionFile:
    """What a model folder's directions files hold."""

    model_hash: str
    directions: list[Direction] = field(default_factory=list)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)  # text basis, region means
    meta: dict[str, Any] = field(default_factory=dict)


def save_directions(model_dir: str | Path, data: DirectionFile) -> None:
    """Write both files atomically (vectors first; the JSON names their checksum)."""
    from safetensors.numpy import save_file

    from engine.stylegan.checkpoint import file_sha256

    model_dir = Path(model_dir)
    tensors: dict[str, np.ndarray] = {}
    entries = []
    for d in data.directions:
        key = f"{d.kind}/{d.name}"
        tensors[key] = np.ascontiguousarray(d.vector, dtype=np.float32)
        for region, (vec, _) in d.by_region.items():
            tensors[f"{key}@{region}"] = np.ascontiguousarray(vec, dtype=np.float32)
        entries.append({"key": key, **d.to_json()})
    for k, v in data.arrays.items():
        tensors[f"array/{k}"] = np.ascontiguousarray(v, dtype=np.float32)
    with atomic_path(model_dir / VECTORS_FILE) as tmp:
        save_file(tensors, str(tmp))
    doc = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model_hash": data.model_hash,
        "vectors_sha256": file_sha256(model_dir / VECTORS_FILE),
        "directions": entries,
        "arrays": sorted(data.arrays),
        "meta": data.meta,
    }
    with atomic_path(model_dir / JSON_FILE) as tmp:
        tmp.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def load_directions(model_dir: str | Path, model_hash: str | None = None) -> DirectionFile | None:
    """The folder's directions, or None when absent or computed for other weights."""
    from safetensors.numpy import load_file

    from engine.stylegan.checkpoint import file_sha256

    model_dir = Path(model_dir)
    jpath, vpath = model_dir / JSON_FILE, model_dir / VECTORS_FILE
    if not jpath.is_file() or not vpath.is_file():
        return None
    try:
        doc = json.loads(jpath.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserInputError(f"not valid JSON ({exc})", path=str(jpath)) from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise UserInputError(f'expected "format": "{FORMAT}"', path=str(jpath), field="format")
    if model_hash and doc.get("model_hash") and doc["model_hash"] != model_hash:
        return None
    if doc.get("vectors_sha256") and file_sha256(vpath) != doc["vectors_sha256"]:
        raise UserInputError(
            "directions.safetensors does not match directions.json", path=str(vpath)
        )
    tensors = load_file(str(vpath))
    dirs = []
    for e in doc.get("directions", []):
        dirs.append(
            Direction(
                name=str(e["name"]),
                kind=str(e["kind"]),
                vector=tensors[e["key"]].astype(np.float32),
                scale=float(e["scale"]),
                layers=(int(e["layers"][0]), int(e["layers"][1])),
                layer_range=str(e.get("layer_range", "")),
                meta=dict(e.get("meta", {})),
                by_region=_region_vectors(e, tensors, vpath),
            )
        )
    arrays = {k[len("array/") :]: v for k, v in tensors.items() if k.startswith("array/")}
    return DirectionFile(str(doc.get("model_hash", "")), dirs, arrays, dict(doc.get("meta", {})))


def _region_vectors(
    entry: dict[str, Any], tensors: dict[str, np.ndarray], vpath: Path
) -> dict[str, tuple[np.ndarray, float]]:
    """A slider's per-region vectors ({} for a file written before they existed)."""
    scales = entry.get("region_scales") or {}
    if not isinstance(scales, dict):
        raise UserInputError(
            "expected an object of region: scale",
            path=str(vpath.with_name(JSON_FILE)),
            field=f"{entry['key']}.region_scales",
        )
    out = {}
    for region, scale in scales.items():
        key = f"{entry['key']}@{region}"
        if key not in tensors:
            raise UserInputError(
                f"has no vector {key!r} although directions.json names it", path=str(vpath)
            )
        out[str(region)] = (tensors[key].astype(np.float32), float(scale))
    return out
