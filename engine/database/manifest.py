"""The database's manifest.jsonl: one JSON record per image, checked when read.

Fields (DESIGN §5): id, file, region, motifs, palette, attributes{complexity, density, gold,
warmth, symmetry}, caption_en, caption_zh, seed (null for imported images). Extra fields
(family, measured, source) are allowed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from engine.culture import ATTRIBUTES, REGION_IDS
from engine.errors import UserInputError

MANIFEST = "manifest.jsonl"
REQUIRED = (
    "id",
    "file",
    "region",
    "motifs",
    "palette",
    "attributes",
    "caption_en",
    "caption_zh",
    "seed",
)


def validate_record(rec: Any) -> list[str]:
    """Problems with one record (empty list when it is well-formed)."""
    if not isinstance(rec, dict):
        return ["expected a JSON object"]
    probs = [f"missing field {k!r}" for k in REQUIRED if k not in rec]
    if probs:
        return probs
    if rec["region"] not in REGION_IDS:
        probs.append(f"region {rec['region']!r} is not one of {', '.join(REGION_IDS)}")
    if not isinstance(rec["motifs"], list) or not all(isinstance(m, str) for m in rec["motifs"]):
        probs.append("motifs must be a list of motif ids")
    if not isinstance(rec["palette"], list):
        probs.append("palette must be a list of hex colours")
    a = rec["attributes"]
    if not isinstance(a, dict):
        probs.append("attributes must be an object")
    else:
        for k in ATTRIBUTES:
            v = a.get(k)
            if not isinstance(v, (int, float)) or not 0.0 <= float(v) <= 1.0:
                probs.append(f"attributes.{k} must be a number in [0, 1], got {v!r}")
    for k in ("caption_en", "caption_zh", "id", "file"):
        if not isinstance(rec[k], str) or not rec[k].strip():
            probs.append(f"{k} must be a non-empty string")
    return probs


def read_manifest(db_dir: str | Path) -> list[dict]:
    """All records of a database folder; UserInputError names file:line of every bad one."""
    path = Path(db_dir) / MANIFEST
    if not path.is_file():
        raise UserInputError(
            "no manifest here; expected a folder made by `wenyang db build` or `wenyang db import`",
            path=str(path),
        )
    records: list[dict] = []
    errors: list[str] = []
    with open(path, encoding="utf-8") as fh:
        for no, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                errors.append(f"{path}:{no}: not valid JSON ({exc.msg} at column {exc.colno})")
                continue
            errors += [f"{path}:{no}: {p}" for p in validate_record(rec)]
            records.append(rec)
    if errors:
        raise UserInputError("bad manifest records:\n" + "\n".join(errors))
    return records


def write_manifest(db_dir: Path, records: list[dict]) -> None:
    with open(Path(db_dir) / MANIFEST, "w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")


def save_png(path: Path, image: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(
        str(path), np.ascontiguousarray(image[..., ::-1]), [cv2.IMWRITE_PNG_COMPRESSION, 3]
    ):
        raise OSError(f"could not write {path}")


def load_image(db_dir: str | Path, record: dict) -> np.ndarray:
    """The record's image as uint8 HxWx3 RGB."""
    path = Path(db_dir) / record["file"]
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise UserInputError("image missing or unreadable", path=str(path))
    return np.ascontiguousarray(img[..., ::-1])
