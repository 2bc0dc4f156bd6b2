"""Repeat layouts (full, half-drop, half-brick, mirror, center): one function for export, the
studio canvas and mockups, so what the designer sees is what the print shop gets.

Every layout is reduced to a *unit cell* (the tile, or two/four transformed copies of it)
that repeats on a plain grid, plus an offset. Rows y0..y1 of any canvas are then a cheap
gather from the unit cell, so huge canvases can be produced strip by strip.
"""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np

from engine.errors import UserInputError

LAYOUTS: tuple[str, ...] = ("full", "half-drop", "half-brick", "mirror", "center")
_ALIASES = {
    "centre": "center",
    "halfdrop": "half-drop",
    "halfbrick": "half-brick",
    "brick": "half-brick",
    "drop": "half-drop",
    "grid": "full",
    "block": "full",
}


def check_layout(layout: str, field: str = "--repeat") -> str:
    name = _ALIASES.get(layout.lower(), layout.lower())
    if name not in LAYOUTS:
        raise UserInputError(f"expected one of {', '.join(LAYOUTS)}, got {layout!r}", field=field)
    return name


def repeat_shape(
    tile_shape: tuple[int, ...], repeat_px: int | tuple[int, int] | None
) -> tuple[int, int]:
    """(height, width) of one repeat in canvas pixels; an int is the width, aspect kept."""
    h, w = int(tile_shape[0]), int(tile_shape[1])
    if repeat_px is None:
        return h, w
    if isinstance(repeat_px, tuple):
        return max(1, int(repeat_px[0])), max(1, int(repeat_px[1]))
    rw = max(1, int(repeat_px))
    return max(1, round(h * rw / w)), rw


def resize_tile(tile: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Plain resampling to the repeat size (Lanczos up, area down); export upscales itself."""
    h, w = shape
    if tile.shape[:2] == (h, w):
        return tile
    up = h >= tile.shape[0] and w >= tile.shape[1]
    interp = cv2.INTER_LANCZOS4 if up else cv2.INTER_AREA
    return np.ascontiguousarray(cv2.resize(tile, (w, h), interpolation=interp))


def unit_cell(tile: np.ndarray, layout: str) -> tuple[np.ndarray, int, int]:
    """The grid-repeating cell of a layout and the canvas offset (oy, ox) into it."""
    layout = check_layout(layout)
    h, w = tile.shape[:2]
    if layout == "half-drop":  # every other column drops by half a tile
        cell = np.concatenate([tile, np.roll(tile, h // 2, axis=0)], axis=1)
        return cell, 0, 0
    if layout == "half-brick":  # every other row shifts by half a tile
        cell = np.concatenate([tile, np.roll(tile, w // 2, axis=1)], axis=0)
        return cell, 0, 0
    if layout == "mirror":  # reflected copies: seamless even for a non-tileable tile
        top = np.concatenate([tile, tile[:, ::-1]], axis=1)
        cell = np.concatenate([top, top[::-1]], axis=0)
        return cell, 0, 0
    return tile, 0, 0  # full and center (center's offset depends on the canvas size)


def _offsets(
    layout: str, cell: np.ndarray, tile_hw: tuple[int, int], height_px: int, width_px: int
) -> tuple[int, int]:
    if layout != "center":
        return 0, 0
    th, tw = tile_hw  # a tile's centre sits on the canvas centre: symmetric margins
    return (th // 2 - height_px // 2) % cell.shape[0], (tw // 2 - width_px // 2) % cell.shape[1]


class CanvasSource:
    """Rows of a repeated canvas on demand; holds only the unit cell (a few tiles)."""

    def __init__(
        self,
        tile: np.ndarray,
        width_px: int,
        height_px: int,
        layout: str = "full",
        repeat_px: int | tuple[int, int] | None = None,
    ) -> None:
        if tile.ndim not in (2, 3) or tile.shape[0] < 1 or tile.shape[1] < 1:
            raise ValueError(f"tile must be HxW or HxWxC, got shape {tile.shape}")
        if width_px < 1 or height_px < 1:
            raise ValueError(f"canvas must be at least 1x1 px, got {width_px}x{height_px}")
        self.layout = check_layout(layout)
        self.width, self.height = int(width_px), int(height_px)
        t = resize_tile(tile, repeat_shape(tile.shape, repeat_px))
        self.tile_hw = t.shape[:2]
        self.cell, _, _ = unit_cell(t, self.layout)
        self.oy, self.ox = _offsets(self.layout, self.cell, self.tile_hw, self.height, self.width)
        ch, cw = self.cell.shape[:2]
        # one row band of the cell repeated across the canvas width: gathered rows need only a
        # contiguous slice afterwards, which is far cheaper than a per-pixel fancy index.
        reps = -(-(self.ox + self.width) // cw)
        self._wide = np.ascontiguousarray(np.tile(self.cell, (1, reps) + (1,) * (tile.ndim - 2)))
        self._xs = slice(self.ox, self.ox + self.width)
        self._ch = ch

    def rows(self, y0: int, y1: int) -> np.ndarray:
        """Canvas rows y0 (inclusive) to y1 (exclusive)."""
        y0, y1 = max(0, y0), min(self.height, y1)
        idx = (np.arange(y0, y1) + self.oy) % self._ch
        return self._wide[idx, self._xs]

    def strips(self, strip_rows: int = 256) -> Iterator[tuple[int, np.ndarray]]:
        """(y0, rows) pieces covering the canvas top to bottom."""
        for y0 in range(0, self.height, strip_rows):
            yield y0, self.rows(y0, y0 + strip_rows)


def tile_canvas(
    tile: np.ndarray,
    width_px: int,
    height_px: int,
    layout: str = "full",
    repeat_px: int | tuple[int, int] | None = None,
) -> np.ndarray:
    """The whole canvas in memory: for previews, mockups and small exports."""
    src = CanvasSource(tile, width_px, height_px, layout, repeat_px)
    return np.ascontiguousarray(src.rows(0, src.height))


def canvas_strips(
    tile: np.ndarray,
    width_px: int,
    height_px: int,
    layout: str = "full",
    repeat_px: int | tuple[int, int] | None = None,
    strip_rows: int = 256,
) -> Iterator[tuple[int, np.ndarray]]:
    """The canvas as (y0, rows) strips, for outputs too large to hold twice."""
    return CanvasSource(tile, width_px, height_px, layout, repeat_px).strips(strip_rows)
