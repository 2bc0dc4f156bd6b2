"""Read the A/B batches that `wenyang abtest export` wrote (format: brief / DESIGN §5).

DIR/manifest.csv (variant_id, file, region, …, created), DIR/latents.safetensors (ws per
variant), DIR/embeddings.safetensors (optional CLIP image embeddings), DIR/batch.json.
Several batches (e.g. one per region) are joined into one `Batch`.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.errors import UserInputError

_FALLBACK_REGIONS = (
    "dunhuang",
    "miao",
    "tibetan",
    "mongolian",
    "jiangnan",
    "lingnan",
    "hakka",
    "xinjiang",
)


def region_ids() -> tuple[str, ...]:
    """engine.culture.REGION_IDS (the one-hot order everywhere), fixed by the shared interface."""
    try:
        from engine.culture import REGION_IDS  # type: ignore[attr-defined]

        return tuple(REGION_IDS)
    except ImportError:
        return _FALLBACK_REGIONS


@dataclass
class Batch:
    """All logged variants: ids, regions, w (mean over layers) and optional embeddings."""

    dirs: list[str]
    ids: list[str]
    regions: list[str]
    region_idx: np.ndarray  # [N] int, index into region_ids()
    w_mean: np.ndarray  # [N, w_dim] float32: mean of ws over layers
    num_ws: int
    w_dim: int
    emb: np.ndarray | None  # [N, D] CLIP image embeddings, when every batch has them
    c: np.ndarray | None  # [N, Dc] the text embedding the batch was generated with
    created: dict[str, int]  # id -> day ordinal
    model_ids: list[str]
    model_hashes: list[str]
    latents_sha256: str
    texts: list[str] = field(default_factory=list)
    # per variant: the synthesis noise it was shown with, (mode, seed): ("seeded", its seed)
    # for batches that record seeded noise, else ("const", None)
    noise: list[tuple[str, int | None]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)


def read_batches(dirs: list[str | Path]) -> Batch:
    """Read and join batches; raises UserInputError listing every problem."""
    problems: list[str] = []
    parts = [_read_one(Path(d), problems) for d in dirs]
    if problems:
        raise UserInputError(
            f"{len(problems)} problem(s) in the A/B batch:\n" + "\n".join(problems)
        )
    ok = [p for p in parts if p is not None]
    dims = {(p["num_ws"], p["w_dim"]) for p in ok}
    if len(dims) > 1:
        raise UserInputError(
            f"the batches have different latent shapes {sorted(dims)}: expected "
            "batches from one generator"
        )
    ids = [i for p in ok for i in p["ids"]]
    seen: set[str] = set()
    for d, p in zip(dirs, ok, strict=True):
        for i in p["ids"]:
            if i in seen:
                problems.append(
                    f"{d}/manifest.csv: variant_id: {i!r}: expected ids unique across batches"
                )
            seen.add(i)
    if problems:
        raise UserInputError("\n".join(problems))
    emb = None
    if all(p["emb"] is not None for p in ok):
        edims = {p["emb"].shape[1] for p in ok}
        if len(edims) == 1:
            emb = np.concatenate([p["emb"] for p in ok])
    c = None
    cdims = {len(p["c"]) for p in ok if p["c"] is not None}
    if len(cdims) == 1:
        dc = cdims.pop()
        c = np.concatenate(
            [
                np.repeat(
                    np.asarray(p["c"] if p["c"] is not None else np.zeros(dc), np.float32)[None],
                    len(p["ids"]),
                    0,
                )
                for p in ok
            ]
        ).astype(np.float32)
    rid = region_ids()
    regions = [r for p in ok for r in p["regions"]]
    sha = hashlib.sha256("".join(p["sha"] for p in ok).encode()).hexdigest()
    return Batch(
        dirs=[str(d) for d in dirs],
        ids=ids,
        regions=regions,
        region_idx=np.array([rid.index(r) for r in regions], np.int64),
        w_mean=np.concatenate([p["w_mean"] for p in ok]).astype(np.float32),
        num_ws=ok[0]["num_ws"],
        w_dim=ok[0]["w_dim"],
        emb=emb,
        c=c,
        created={k: v for p in ok for k, v in p["created"].items()},
        model_ids=sorted({p["model_id"] for p in ok}),
        model_hashes=sorted({h for p in ok for h in p["model_hashes"]}),
        latents_sha256=sha,
        texts=[p["text"] for p in ok],
        noise=[n for p in ok for n in p["noise"]],
    )


def _read_one(d: Path, problems: list[str]) -> dict | None:
    man = d / "manifest.csv"
    lat = d / "latents.safetensors"
    if not man.is_file() or not lat.is_file():
        problems.append(
            f"{d}: expected an A/B batch folder with manifest.csv and "
            "latents.safetensors (made by `wenyang abtest export`)"
        )
        return None
    meta: dict = {}
    bj = d / "batch.json"
    if bj.is_file():
        try:
            meta = json.loads(bj.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            problems.append(f"{bj}:1: json: {str(exc)[:60]!r}: expected valid JSON")
    rid = set(region_ids())
    ids: list[str] = []
    regions: list[str] = []
    seeds: list[int | None] = []
    created: dict[str, int] = {}
    hashes: set[str] = set()
    with open(man, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        fields = reader.fieldnames or []
        for need in ("variant_id", "region"):
            if need not in fields:
                problems.append(f"{man}:1: header: {','.join(fields)!r}: expected a {need} column")
                return None
        for row in reader:
            ln = reader.line_num
            vid = (row.get("variant_id") or "").strip()
            reg = (row.get("region") or "").strip()
            if not vid:
                problems.append(f"{man}:{ln}: variant_id: '': expected a variant id")
                continue
            if reg not in rid:
                problems.append(f"{man}:{ln}: region: {reg!r}: expected one of {sorted(rid)}")
                continue
            ids.append(vid)
            regions.append(reg)
            try:
                seeds.append(int((row.get("seed") or "").strip()))
            except ValueError:
                seeds.append(None)
            if row.get("model_hash"):
                hashes.add(row["model_hash"])
            when = (row.get("created") or "").strip()
            if when:
                try:
                    stamp = dt.datetime.fromisoformat(when.replace("Z", "+00:00"))
                    created[vid] = stamp.toordinal()
                except ValueError:
                    problems.append(f"{man}:{ln}: created: {when!r}: expected an ISO 8601 time")
    from safetensors import safe_open

    w_means: list[np.ndarray] = []
    shapes: set[tuple[int, ...]] = set()
    h = hashlib.sha256()
    with open(lat, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            h.update(chunk)
    try:
        with safe_open(str(lat), framework="numpy") as f:
            keys = set(f.keys())
            for vid in ids:
                if vid not in keys:
                    problems.append(
                        f"{lat}: {vid}: missing: expected the ws of every variant in manifest.csv"
                    )
                    continue
                ws = f.get_tensor(vid)
                if ws.ndim == 1:
                    ws = ws[None]
                shapes.add(tuple(ws.shape))
                w_means.append(ws.astype(np.float32).mean(axis=0))
    except Exception as exc:  # safetensors raises its own error types
        problems.append(f"{lat}: file: {str(exc)[:80]!r}: expected a safetensors file")
        return None
    if len(shapes) > 1:
        problems.append(f"{lat}: shapes: {sorted(shapes)}: expected one [num_ws, w_dim] shape")
    if len(w_means) != len(ids) or len(shapes) != 1:
        return None
    shape = shapes.pop()
    emb = _read_embeddings(d / "embeddings.safetensors", ids)
    c = meta.get("c")
    mode = str(meta.get("noise_mode", "const"))  # batches before session 6: constant noise
    noise: list[tuple[str, int | None]] = [
        ("seeded", s) if mode == "seeded" and s is not None else ("const", None) for s in seeds
    ]
    return {
        "ids": ids,
        "regions": regions,
        "created": created,
        "w_mean": np.stack(w_means),
        "num_ws": shape[0],
        "w_dim": shape[1],
        "emb": emb,
        "c": None if c is None else [float(x) for x in c],
        "model_id": str(meta.get("model_id", "")),
        "model_hashes": sorted(hashes),
        "sha": h.hexdigest(),
        "text": str(meta.get("text", "")),
        "noise": noise,
    }


def _read_embeddings(path: Path, ids: list[str]) -> np.ndarray | None:
    if not path.is_file():
        return None
    from safetensors import safe_open

    with safe_open(str(path), framework="numpy") as f:
        keys = set(f.keys())
        if not all(i in keys for i in ids):
            return None
        return np.stack([f.get_tensor(i).astype(np.float32).reshape(-1) for i in ids])
