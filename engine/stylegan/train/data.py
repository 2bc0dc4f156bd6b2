"""Training tiles as one uint8 tensor (in memory or memory-mapped), and a resumable sampler.

A database of a few thousand 128 px tiles is tens of MB: loading it once beats a DataLoader
with worker processes on a 2-core machine, and makes the sample order exactly reproducible.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, overload

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


def _checked_image(db: Path, rec: dict[str, Any]) -> np.ndarray:
    img = _load_image(db, rec)
    if img.ndim != 3 or img.shape[2] != 3 or img.shape[0] != img.shape[1]:
        raise UserInputError(
            f"expected a square RGB tile, got shape {img.shape}",
            path=str(db / str(rec.get("file", "?"))),
        )
    return img


def tiles_key(db: Path, records: Sequence[dict[str, Any]]) -> str:
    """Id of a database's tile files: the manifest plus each file's size and mtime."""
    import hashlib

    h = hashlib.sha256((db / "manifest.jsonl").read_bytes())
    for rec in records:
        st = (db / str(rec.get("file", ""))).stat()
        h.update(f"{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()[:16]


def _cached_tiles(
    db: Path, records: Sequence[dict[str, Any]], resolution: int, cache_dir: Path
) -> np.ndarray:
    """uint8 [N,3,R,R] memory-mapped from `cache_dir`, written there first when missing."""
    from engine.atomic import atomic_path

    shape = (len(records), 3, resolution, resolution)
    path = cache_dir / f"{tiles_key(db, records)}-{resolution}px.npy"
    if path.is_file():
        try:
            arr = np.load(path, mmap_mode="c")
            if arr.shape == shape and arr.dtype == np.uint8:
                return arr  # type: ignore[no-any-return]
        except (OSError, ValueError):
            pass  # unreadable or truncated: written again below
    with atomic_path(path) as tmp:
        out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=shape)
        for i, rec in enumerate(records):
            out[i] = _resize(_checked_image(db, rec), resolution).transpose(2, 0, 1)
        out.flush()
        del out
    return np.load(path, mmap_mode="c")  # type: ignore[no-any-return]


class _LazyTiles(Sequence[np.ndarray]):
    """A database's tiles at their own size, read from disk when indexed."""

    def __init__(self, db: Path, records: Sequence[dict[str, Any]]) -> None:
        self.db = db
        self.records = records

    def __len__(self) -> int:
        return len(self.records)

    @overload
    def __getitem__(self, i: int) -> np.ndarray: ...
    @overload
    def __getitem__(self, i: slice) -> list[np.ndarray]: ...
    def __getitem__(self, i: int | slice) -> np.ndarray | list[np.ndarray]:
        if isinstance(i, slice):
            return [_checked_image(self.db, r) for r in self.records[i]]
        return _checked_image(self.db, self.records[i])


def _release_heap() -> None:
    """Give freed heap pages back to the OS (glibc only; elsewhere a no-op)."""
    import contextlib
    import ctypes
    import gc

    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


class TileDataset:
    """All tiles of a database as uint8 [N,3,R,R] plus their records."""

    def __init__(
        self,
        images: torch.Tensor,
        records: Sequence[dict[str, Any]],
        native: Sequence[np.ndarray] | None = None,
    ) -> None:
        assert images.dtype == torch.uint8 and images.ndim == 4 and images.shape[1] == 3
        self.images = images
        self.records = list(records)
        self.native = native  # tiles at database size, for the CLIP embedding cache

    def drop_native(self) -> None:
        """Release the database-size tiles once their CLIP embeddings exist."""
        self.native = None
        _release_heap()

    def __len__(self) -> int:
        return int(self.images.shape[0])

    @property
    def resolution(self) -> int:
        return int(self.images.shape[-1])

    @classmethod
    def from_database(
        cls,
        db_dir: str | Path,
        resolution: int,
        keep_native: bool = False,
        cache_dir: Path | None = None,
    ) -> TileDataset:
        """All tiles at `resolution`; with `cache_dir`, memory-mapped from a cache file there.

        The memory-mapped tiles live in the page cache, shared by every run on the same
        database (three 256 px runs of 20,000 tiles: one 3.9 GB copy instead of three) and
        never all resident on a database larger than memory.
        """
        db = Path(db_dir)
        if not db.is_dir():
            raise UserInputError("expected a database folder", path=str(db))
        records = read_records(db)
        if not records:
            raise UserInputError("the manifest lists no tiles", path=str(db / "manifest.jsonl"))
        if cache_dir is not None:
            arr = _cached_tiles(db, records, resolution, cache_dir)
            images = torch.from_numpy(arr)  # copy-on-write map: writable, pages shared
            native: Sequence[np.ndarray] | None = None
            if keep_native:
                if _load_image(db, records[0]).shape[0] == resolution:
                    native = [a.transpose(1, 2, 0) for a in arr]  # views, HWC
                else:  # read only if the CLIP conditions are not cached yet
                    native = _LazyTiles(db, records)
            return cls(images, records, native)
        arr = np.empty((len(records), resolution, resolution, 3), dtype=np.uint8)
        native_list: list[np.ndarray] | None = [] if keep_native else None
        for i, rec in enumerate(records):
            img = _checked_image(db, rec)
            arr[i] = _resize(img, resolution)
            if native_list is not None:
                # a view when the sizes match: separate copies of small tiles stay in the
                # heap as fragments after release (12,000 tiles at 128 px: +0.59 GB RSS)
                native_list.append(arr[i] if img.shape[0] == resolution else img)
        images = torch.from_numpy(arr).permute(0, 3, 1, 2).contiguous()
        return cls(images, records, native_list)

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
