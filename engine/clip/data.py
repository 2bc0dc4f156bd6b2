"""A pattern database held in memory for CLIP training and evaluation.

Tiles are preloaded at the model's input size (uint8, a few hundred MB at most) because the
database is small and decoding PNGs every epoch would dominate a 2-core CPU. Each record
gives the English caption, the Chinese one mapped through the lexicon, a terse one ("Miao
butterfly mother") such as designers type, and short prompt-form captions ("a Miao pattern",
"苗族纹样") true of the tile, the forms the zero-shot prompts and designers' queries take.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.clip.preprocess import resize_uint8
from engine.clip.text import prepare_text, primary_motif, prompt_captions, short_caption
from engine.errors import UserInputError


@dataclass
class ClipData:
    """Images (uint8 NCHW at model size) with captions and labels, one row per record."""

    records: list[dict[str, Any]]
    images: torch.Tensor
    captions_en: list[str]
    captions_zh: list[str]  # lexicon-mapped English of caption_zh
    captions_short: list[str]
    captions_prompt: list[list[str]]  # PROMPT_FORMS region-level / motif prompts per record
    regions: torch.Tensor  # index into REGION_IDS
    keys: list[str]  # "region/primary_motif"
    unknown_words: Counter[str]

    def __len__(self) -> int:
        return len(self.records)

    def subset(self, idx: list[int]) -> ClipData:
        t = torch.tensor(idx, dtype=torch.long)
        return ClipData(
            records=[self.records[i] for i in idx],
            images=self.images[t],
            captions_en=[self.captions_en[i] for i in idx],
            captions_zh=[self.captions_zh[i] for i in idx],
            captions_short=[self.captions_short[i] for i in idx],
            captions_prompt=[self.captions_prompt[i] for i in idx],
            regions=self.regions[t],
            keys=[self.keys[i] for i in idx],
            unknown_words=self.unknown_words,
        )


def is_validation(record_id: str, fraction: float) -> bool:
    """Stable split by a hash of the record id (same split on every run and resume)."""
    return (zlib.crc32(str(record_id).encode("utf-8")) % 10000) < fraction * 10000


def load_database(db_dir: str | Path, image_size: int, progress: bool = False) -> ClipData:
    """Read a database folder (manifest + images) into memory at `image_size`."""
    from engine.culture import REGION_IDS
    from engine.database import load_image, read_manifest

    db = Path(db_dir)
    if not db.is_dir():
        raise UserInputError(
            "database folder not found (build one with `wenyang db build`)", path=str(db)
        )
    records = list(read_manifest(db))
    if not records:
        raise UserInputError("the database manifest has no records", path=str(db))
    region_index = {r: i for i, r in enumerate(REGION_IDS)}
    images = []
    it: Any = records
    if progress:
        from tqdm import tqdm

        it = tqdm(records, desc="loading tiles", unit="tile", leave=False)
    batch: list[np.ndarray] = []
    for rec in it:
        if rec.get("region") not in region_index:
            raise UserInputError(
                f"unknown region {rec.get('region')!r} (expected one of {', '.join(REGION_IDS)})",
                path=str(db / "manifest.jsonl"),
                field=f"record {rec.get('id')}: region",
            )
        batch.append(np.asarray(load_image(db, rec)))
        if len(batch) == 64:
            images.append(_resize_batch(batch, image_size))
            batch = []
    if batch:
        images.append(_resize_batch(batch, image_size))
    unknown: Counter[str] = Counter()
    en, zh, short = [], [], []
    for rec in records:
        p_en = prepare_text(str(rec.get("caption_en", "")))
        p_zh = prepare_text(str(rec.get("caption_zh", "")))
        unknown.update(p_en.unknown)
        unknown.update(p_zh.unknown)
        en.append(p_en.text)
        zh.append(p_zh.text)
        short.append(prepare_text(short_caption(rec)).text)
    return ClipData(
        records=records,
        images=torch.cat(images),
        captions_en=en,
        captions_zh=zh,
        captions_short=short,
        captions_prompt=[prompt_captions(rec) for rec in records],
        regions=torch.tensor([region_index[r["region"]] for r in records], dtype=torch.long),
        keys=[f"{r['region']}/{primary_motif(r)}" for r in records],
        unknown_words=unknown,
    )


def load_databases(
    db_dirs: str | Path | Sequence[str | Path], image_size: int, progress: bool = False
) -> ClipData:
    """Several database folders read as one (e.g. tiles built with different seeds).

    Record ids must be unique across the folders: the validation split hashes them.
    """
    dirs = [db_dirs] if isinstance(db_dirs, str | Path) else list(db_dirs)
    if not dirs:
        raise UserInputError("no database folder given")
    parts = [load_database(d, image_size, progress=progress) for d in dirs]
    if len(parts) == 1:
        return parts[0]
    seen: dict[str, str] = {}
    for d, part in zip(dirs, parts, strict=True):
        for rec in part.records:
            rid = str(rec["id"])
            if rid in seen:
                raise UserInputError(
                    f"record id {rid!r} is in two databases ({seen[rid]} and {d}); "
                    "build them with different --seed values",
                    path=str(d),
                )
            seen[rid] = str(d)
    unknown: Counter[str] = Counter()
    for part in parts:
        unknown.update(part.unknown_words)
    return ClipData(
        records=[r for part in parts for r in part.records],
        images=torch.cat([part.images for part in parts]),
        captions_en=[c for part in parts for c in part.captions_en],
        captions_zh=[c for part in parts for c in part.captions_zh],
        captions_short=[c for part in parts for c in part.captions_short],
        captions_prompt=[c for part in parts for c in part.captions_prompt],
        regions=torch.cat([part.regions for part in parts]),
        keys=[k for part in parts for k in part.keys],
        unknown_words=unknown,
    )


def _resize_batch(batch: list[np.ndarray], size: int) -> torch.Tensor:
    shapes = {b.shape for b in batch}
    if len(shapes) == 1:
        return resize_uint8(np.stack(batch), size)
    return torch.cat([resize_uint8(b[None], size) for b in batch])


def split(data: ClipData, val_fraction: float) -> tuple[ClipData, ClipData]:
    """(train, validation) by the stable id hash; validation never empty for ≥ 2 records."""
    val = [i for i, r in enumerate(data.records) if is_validation(str(r["id"]), val_fraction)]
    if not val and len(data) >= 2 and val_fraction > 0:
        val = [len(data) - 1]
    vs = set(val)
    train = [i for i in range(len(data)) if i not in vs]
    if not train:
        raise UserInputError(f"database too small to split ({len(data)} records)")
    return data.subset(train), data.subset(val)


def augment(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random circular shift (tiles are seamless, so any shift is the same pattern) and
    horizontal flip; uint8 NCHW in, uint8 NCHW out."""
    n, _, h, w = images.shape
    out = torch.empty_like(images)
    shifts = torch.randint(0, max(h, w), (n, 2), generator=generator)
    flips = torch.rand(n, generator=generator) < 0.5
    for i in range(n):
        x = torch.roll(
            images[i], shifts=(int(shifts[i, 0]) % h, int(shifts[i, 1]) % w), dims=(1, 2)
        )
        out[i] = x.flip(2) if flips[i] else x
    return out
