"""Print-ready PNG: the tile enlarged to print resolution, laid out in its repeat over the
physical size, streamed to disk strip by strip with pHYs, sRGB ICC and provenance."""

from __future__ import annotations

import dataclasses
import errno
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from engine.atomic import atomic_path
from engine.errors import UserInputError
from engine.export.inks import check_inks
from engine.export.pngwrite import StreamingPNGWriter
from engine.export.provenance import XMP_KEY, Provenance, srgb_icc, xmp_packet
from engine.export.repeat import CanvasSource, check_layout
from engine.export.units import check_dpi, dpi_to_ppm, mm_to_px
from engine.export.upscale import (
    DEFAULT_UPSCALE_INKS,
    DEFAULT_UPSCALER,
    check_upscaler,
    upscale,
)

DEFAULT_REPEAT_MM = 100.0
MAX_PIXELS = 40_000 * 40_000


@dataclasses.dataclass(frozen=True)
class PrintSpec:
    """The physical print: size in mm, resolution, repeat layout and repeat width in mm."""

    width_mm: float
    height_mm: float
    dpi: float = 300.0
    layout: str = "full"
    repeat_mm: float | None = None  # width of one repeat; None = DEFAULT_REPEAT_MM
    upscaler: str = DEFAULT_UPSCALER
    inks: int = DEFAULT_UPSCALE_INKS  # ink count of the edge-preserving upscalers

    def __post_init__(self) -> None:
        check_dpi(self.dpi)
        object.__setattr__(self, "layout", check_layout(self.layout))
        check_upscaler(self.upscaler)
        check_inks(self.inks)
        if self.width_mm <= 0 or self.height_mm <= 0:
            raise UserInputError("the print size must be positive", field="--width/--height")
        if self.repeat_mm is not None and self.repeat_mm <= 0:
            raise UserInputError("the repeat size must be positive", field="--repeat-size")

    @property
    def size_px(self) -> tuple[int, int]:
        """(width, height) in print pixels."""
        return mm_to_px(self.width_mm, self.dpi), mm_to_px(self.height_mm, self.dpi)

    def repeat_px(self, tile_shape: tuple[int, ...]) -> tuple[int, int]:
        """(height, width) of one repeat in print pixels, keeping the tile's aspect."""
        rw_mm = self.repeat_mm if self.repeat_mm is not None else DEFAULT_REPEAT_MM
        rw = mm_to_px(rw_mm, self.dpi)
        return max(1, round(rw * tile_shape[0] / tile_shape[1])), rw


def print_tile(tile: np.ndarray, spec: PrintSpec, seed: int = 0) -> np.ndarray:
    """The tile at print resolution (one repeat), enlarged with the spec's upscaler."""
    return upscale(tile, spec.repeat_px(tile.shape), spec.upscaler, n_inks=spec.inks, seed=seed)


def explain_os_error(exc: OSError, path: Path) -> UserInputError:
    """Turn a failed write into a message the user can act on."""
    if exc.errno == errno.ENOSPC:
        why = "the disk is full"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        why = "the folder is not writable"
    elif exc.errno in (errno.ENOTDIR, errno.EEXIST):
        why = "a part of the folder path is not a folder"
    elif exc.errno == errno.ENOENT:
        why = "the folder does not exist"
    else:
        why = exc.strerror or str(exc)
    return UserInputError(
        f"could not write the export ({why}); nothing was written", path=str(path)
    )


def write_png(
    out: str | os.PathLike[str],
    source: CanvasSource,
    *,
    dpi: float,
    provenance: Provenance | None = None,
    strip_rows: int = 128,
    level: int = 1,
    progress: Callable[[float], None] | None = None,
) -> Path:
    """Stream a canvas to `out` atomically (temporary file, then rename)."""
    out = Path(out)
    prov = (provenance or Provenance()).with_created()
    text = prov.png_text()
    try:
        with atomic_path(out) as tmp, open(tmp, "wb") as fh:
            w = StreamingPNGWriter(
                fh,
                source.width,
                source.height,
                3,
                ppm=dpi_to_ppm(dpi),
                icc=srgb_icc(),
                text=text,
                itxt={XMP_KEY: xmp_packet(prov)},
                level=level,
            )
            for y0, rows in source.strips(strip_rows):
                w.write_rows(rows)
                if progress is not None:
                    progress(min(1.0, (y0 + len(rows)) / source.height))
            w.close()
    except OSError as exc:
        raise explain_os_error(exc, out) from exc
    return out


def export_png(
    tile: np.ndarray,
    out: str | os.PathLike[str],
    spec: PrintSpec,
    *,
    provenance: Provenance | None = None,
    seed: int = 0,
    progress: Callable[[float], None] | None = None,
) -> Path:
    """Tile → print PNG at the spec's physical size (see module doc)."""
    wpx, hpx = spec.size_px
    if wpx * hpx > MAX_PIXELS:
        raise UserInputError(
            f"{wpx}×{hpx} px is too large to print-export (at most "
            f"{MAX_PIXELS:,} pixels); lower the DPI or the size",
            field="--width/--height",
        )
    big = print_tile(tile, spec, seed=seed)
    src = CanvasSource(big, wpx, hpx, spec.layout, big.shape[:2])
    del big
    return write_png(out, src, dpi=spec.dpi, provenance=provenance, progress=progress)
