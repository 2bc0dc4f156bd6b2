"""Retrieval over a pattern database: text→image and image→image, with an index on disk.

The index sits next to the database (`clip_index.safetensors` + `clip_index.json`: global and
local-region embeddings, record ids, the model's hash); when the database folder is not
writable it goes to the user cache. A stale index (other model, changed manifest) is rebuilt.
Local alignment (`local_weight` > 0) mixes in the LACLIP-style weighted similarity between
the query and the image's local regions.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.atomic import atomic_open, atomic_path
from engine.clip.encoder import CulturalEncoder, ImageInput
from engine.clip.metrics import combined_scores
from engine.paths import user_cache_dir

INDEX_NAME = "clip_index"


@dataclass
class Hit:
    id: str
    score: float
    record: dict[str, Any]


@dataclass
class RetrievalIndex:
    """Embeddings of every record of one database under one model."""

    db_dir: Path
    ids: list[str]
    records: list[dict[str, Any]]
    embeddings: torch.Tensor  # [N, D] unit
    local: torch.Tensor  # [N, R, D] unit
    model_hash: str
    path: Path


def _manifest_hash(records: list[dict[str, Any]]) -> str:
    blob = json.dumps([[r.get("id"), r.get("file")] for r in records]).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:16]


def _index_dir(db_dir: Path) -> Path:
    if os.access(db_dir, os.W_OK):
        return db_dir
    key = hashlib.sha256(str(db_dir.resolve()).encode("utf-8")).hexdigest()[:16]
    d = user_cache_dir() / "clip_index" / key
    d.mkdir(parents=True, exist_ok=True)
    return d


def build_index(
    db_dir: str | Path, encoder: CulturalEncoder, batch: int = 64, progress: bool = False
) -> RetrievalIndex:
    """Embed every tile of the database (global + local regions) and save the index."""
    from safetensors.torch import save_file

    from engine.database import load_image, read_manifest

    db = Path(db_dir)
    records = list(read_manifest(db))
    glob, loc = [], []
    rng: Any = range(0, len(records), batch)
    if progress:
        from tqdm import tqdm

        rng = tqdm(rng, desc="indexing", unit="batch", leave=False)
    for i in rng:
        imgs = np.stack([np.asarray(load_image(db, r)) for r in records[i : i + batch]])
        glob.append(encoder.encode_image(imgs).cpu())
        loc.append(encoder.local_embeddings(imgs).cpu())
    emb = torch.cat(glob) if glob else torch.zeros(0, encoder.embed_dim)
    local = torch.cat(loc) if loc else torch.zeros(0, 1, encoder.embed_dim)
    out = _index_dir(db)
    path = out / f"{INDEX_NAME}.safetensors"
    with atomic_path(path) as tmp:
        save_file(
            {"embeddings": emb.half().contiguous(), "local": local.half().contiguous()}, str(tmp)
        )
    ids = [str(r["id"]) for r in records]
    meta = {
        "model": encoder.name,
        "model_hash": encoder.model_hash,
        "manifest_hash": _manifest_hash(records),
        "ids": ids,
    }
    with atomic_open(out / f"{INDEX_NAME}.json", encoding="utf-8") as fh:
        json.dump(meta, fh)
    return RetrievalIndex(db, ids, records, emb.float(), local.float(), encoder.model_hash, path)


def load_index(
    db_dir: str | Path, encoder: CulturalEncoder, rebuild: bool = True
) -> RetrievalIndex:
    """The saved index for this database and model; rebuilt when missing or stale."""
    from safetensors.torch import load_file

    from engine.database import read_manifest

    db = Path(db_dir)
    records = list(read_manifest(db))
    for d in (db, _index_dir(db)):
        meta_path = d / f"{INDEX_NAME}.json"
        if not meta_path.is_file():
            continue
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        if meta.get("model_hash") == encoder.model_hash and meta.get(
            "manifest_hash"
        ) == _manifest_hash(records):
            tensors = load_file(str(d / f"{INDEX_NAME}.safetensors"))
            return RetrievalIndex(
                db,
                list(meta["ids"]),
                records,
                tensors["embeddings"].float(),
                tensors["local"].float(),
                encoder.model_hash,
                d / f"{INDEX_NAME}.safetensors",
            )
    if not rebuild:
        raise FileNotFoundError(f"no current CLIP index for {db}")
    return build_index(db, encoder)


def _top(index: RetrievalIndex, scores: torch.Tensor, k: int) -> list[Hit]:
    k = min(k, scores.shape[0])
    vals, idx = scores.topk(k)
    return [
        Hit(index.ids[i], float(v), index.records[i])
        for v, i in zip(vals.tolist(), idx.tolist(), strict=True)
    ]


def search_text(
    index: RetrievalIndex,
    encoder: CulturalEncoder,
    text: str,
    k: int = 10,
    local_weight: float = 0.0,
) -> list[Hit]:
    """The k tiles that best match a descriptor (English, Chinese or mixed)."""
    q = encoder.encode_text([text]).embeddings.cpu()
    return _top(index, combined_scores(q, index.embeddings, index.local, local_weight)[0], k)


def search_image(
    index: RetrievalIndex, encoder: CulturalEncoder, image: ImageInput, k: int = 10
) -> list[Hit]:
    """The k tiles most similar to an image (HxWx3 uint8 or a batch of one)."""
    q = encoder.encode_image(image).cpu()[:1]
    return _top(index, (q @ index.embeddings.T)[0], k)
