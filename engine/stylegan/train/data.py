"""Training tiles held in memory as one uint8 tensor, and a resumable, DDP-aware sampler.

A database of a few thousand 128 px tiles is tens of MB: loading it once beats a DataLoader
with worker processes on a 2-core machine, and makes the sample order exactly reproducible.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.errors import UserInputError


def read_records(db_dir: Path) -> list[dict[str, Any]]:
    """Manifest records (validated by engine.database)."""
    from engine.database import read_manifest

    return list(read_manifest(db_dir))


def _load_image(db_dir: Path, rec: dict[str, Any]) -> np.ndarray:
    from engine.database import load_image

    return np.asarray(load_image(db_dir, rec))


def _resize(img: np.ndarray, res: int) -> np.ndarray:
    if img.shape[0] == res and img.shape[1] == res:
        return img
    from PIL import Image

    # area filter: no aliasing when a 256 px tile becomes a 128 px one
    return np.asarray(
        Image.fromarray(img).resize(
            (res, res),
            Image.Resampling.BOX if img.shape[0] % res == 0 else Image.Resampling.LANCZOS,
        )
    )


class TileDataset:
    """All tiles of a database as uint8 [N,3,R,R] plus their records."""

    def __init__(
        self,
        images: torch.Tensor,
        records: Sequence[dict[str, Any]],
        native: list[np.ndarray] | None = None,
    ) -> None:
        assert images.dtype == torch.uint8 and images.ndim == 4 and images.shape[1] == 3
        self.images = images
        self.records = list(records)
        self.native = native  # tiles at database size, for the CLIP embedding cache

    def __len__(self) -> int:
        return int(self.images.shape[0])

    @property
    def resolution(self) -> int:
        return int(self.images.shape[-1])

    @classmethod
    def from_database(
        cls, db_dir: str | Path, resolution: int, keep_native: bool = False
    ) -> TileDataset:
        db = Path(db_dir)
        if not db.is_dir():
            raise UserInputError("expected a database folder", path=str(db))
        records = read_records(db)
        if not records:
            raise UserInputError("the manifest lists no tiles", path=str(db / "manifest.jsonl"))
        arr = np.empty((len(records), resolution, resolution, 3), dtype=np.uint8)
        native: list[np.ndarray] | None = [] if keep_native else None
        for i, rec in enumerate(records):
            img = _load_image(db, rec)
            if img.ndim != 3 or img.shape[2] != 3 or img.shape[0] != img.shape[1]:
                raise UserInputError(
                    f"expected a square RGB tile, got shape {img.shape}",
                    path=str(db / str(rec.get("file", "?"))),
                )
            if native is not None:
                native.append(img)
            arr[i] = _resize(img, resolution)
        images = torch.from_numpy(arr).permute(0, 3, 1, 2).contiguous()
        return cls(images, records, native)

    @classmethod
    def from_arrays(cls, images: np.ndarray, records: Sequence[dict[str, Any]]) -> TileDataset:
        """Tiles given as uint8 NHWC (tests, in-memory databases)."""
        t = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).contiguous()
        return cls(t, records, list(images))


class ResumableSampler:
    """Infinite shuffled index stream; the position (epoch, offset) is its whole state.

    Each epoch's permutation comes from its own generator seeded by (seed, epoch), so it
    does not touch the global RNG and resumes exactly. With DDP every rank walks the same
    global order and takes its contiguous share of each global batch.
    """

    def __init__(self, n: int, seed: int, rank: int = 0, world: int = 1) -> None:
        self.n, self.seed, self.rank, self.world = n, seed, rank, world
        self.epoch, self.offset = 0, 0
        self._perm: torch.Tensor | None = None

    def _permutation(self) -> torch.Tensor:
        if self._perm is None:
            g = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
            self._perm = torch.randperm(self.n, generator=g)
        return self._perm

    def next_global(self, batch: int) -> torch.Tensor:
        """The next `batch` indices of the global stream (crossing epochs as needed)."""
        out = []
        need = batch
        while need:
            perm = self._permutation()
            take = min(need, self.n - self.offset)
            out.append(perm[self.offset : self.offset + take])
            self.offset += take
            need -= take
            if self.offset >= self.n:
                self.epoch, self.offset, self._perm = self.epoch + 1, 0, None
        return torch.cat(out)

    def next_local(self, global_batch: int) -> torch.Tensor:
        idx = self.next_global(global_batch)
        per = global_batch // self.world
        return idx[self.rank * per : (self.rank + 1) * per]

    def state(self) -> dict[str, int]:
        return {"epoch": self.epoch, "offset": self.offset}

    def load(self, d: dict[str, int]) -> None:
        self.epoch, self.offset, self._perm = int(d["epoch"]), int(d["offset"]), None


def to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 [0,255] -> float32 [-1,1] (the range G produces)."""
    return images.to(torch.float32) * (2 / 255) - 1
