"""A drawing surface on a torus: every primitive wraps across the tile edges.

Coordinates are in tile units (0..1 both ways). Each primitive is drawn at its own position
and again at the ±1 offsets whose copy overlaps the tile, so a shape that crosses the right
edge reappears on the left — the tile repeats without a join by construction. Drawing happens
at `ss`× resolution with antialiased OpenCV calls and `finish()` box-averages down, so edges
are smooth at every output size.
"""

# numpy arrays plus tuples below are vector additions, not concatenations
# ruff: noqa: RUF005

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

Colour = tuple[int, int, int]
_SHIFT = 4  # fixed-point bits for sub-pixel OpenCV coordinates
_ONE = 1 << _SHIFT


def supersampling(size: int) -> int:
    """Supersampling factor: more for small tiles so that thin strokes survive."""
    return 4 if size <= 128 else 2


class TorusCanvas:
    """An RGB (or single-channel) image on a torus, drawn in tile units."""

    def __init__(
        self,
        size: int,
        ground: Sequence[int] | int,
        *,
        ss: int | None = None,
        origin: tuple[float, float] = (0.0, 0.0),
        channels: int = 3,
    ) -> None:
        self.size = int(size)
        self.ss = int(ss or supersampling(self.size))
        self.S = self.size * self.ss
        self.origin = origin
        shape = (self.S, self.S, channels) if channels > 1 else (self.S, self.S)
        self.img = np.empty(shape, np.uint8)
        self.img[...] = ground if channels > 1 else int(ground)  # type: ignore[assignment]

    # -- helpers -------------------------------------------------------------------------
    def px(self, w: float) -> int:
        """A stroke width in tile units → at least one supersampled pixel."""
        return max(1, round(w * self.S))

    def mask(self) -> TorusCanvas:
        """A blank single-channel canvas of the same geometry (for soft or layered paint)."""
        return TorusCanvas(self.size, 0, ss=self.ss, origin=self.origin, channels=1)

    def composite(self, mask: TorusCanvas, colour: Sequence[int], alpha: float = 1.0) -> None:
        """Paint `colour` through `mask` (0..255 coverage) with extra opacity `alpha`."""
        a = mask.img.astype(np.float32) * (alpha / 255.0)
        a = a[..., None]
        col = np.asarray(colour, np.float32)
        self.img[...] = (self.img * (1.0 - a) + col * a + 0.5).astype(np.uint8)

    def _fix(self, pts: np.ndarray) -> np.ndarray:
        return np.asarray(pts, float) + np.asarray(self.origin)

    def _copies(self, pts: np.ndarray, pad: float):
        """Yield fixed-point pixel arrays of `pts` for every torus copy overlapping the tile."""
        p = self._fix(pts)
        base = np.floor(p.min(axis=0))
        p = p - base  # bring the shape's bounding box start into [0, 1)
        lo = p.min(axis=0) - pad
        hi = p.max(axis=0) + pad
        for dy in (-1.0, 0.0, 1.0):
            if hi[1] + dy < 0 or lo[1] + dy > 1:
                continue
            for dx in (-1.0, 0.0, 1.0):
                if hi[0] + dx < 0 or lo[0] + dx > 1:
                    continue
                q = (p + (dx, dy)) * self.S * _ONE
                yield np.round(q).astype(np.int32)

    @staticmethod
    def _col(colour: Sequence[int] | int) -> tuple[int, ...]:
        if isinstance(colour, (int, np.integer)):
            return (int(colour),)
        return tuple(int(c) for c in colour)

    # -- primitives ----------------------------------------------------------------------
    def poly(self, pts: np.ndarray | Sequence[np.ndarray], colour: Sequence[int] | int) -> None:
        """Fill one polygon, or several as one shape (holes by even-odd rule)."""
        polys = (
            [np.asarray(pts, float)]
            if isinstance(pts, np.ndarray)
            else [np.asarray(p, float) for p in pts]
        )
        allp = np.concatenate(polys)
        base = np.floor(allp.min(axis=0) + self.origin)
        col = self._col(colour)
        # every ring of a multi-ring shape must shift together, so copy the union's bbox
        for dxy in self._offsets(allp, base, 0.0):
            rings = [
                np.round(((p + self.origin - base) + dxy) * self.S * _ONE).astype(np.int32)
                for p in polys
            ]
            cv2.fillPoly(self.img, rings, col, cv2.LINE_AA, _SHIFT)

    def _offsets(self, allp: np.ndarray, base: np.ndarray, pad: float):
        p = allp + self.origin - base
        lo = p.min(axis=0) - pad
        hi = p.max(axis=0) + pad
        for dy in (-1.0, 0.0, 1.0):
            if hi[1] + dy < 0 or lo[1] + dy > 1:
                continue
            for dx in (-1.0, 0.0, 1.0):
                if hi[0] + dx < 0 or lo[0] + dx > 1:
                    continue
                yield np.array((dx, dy))

    def polyline(
        self, pts: np.ndarray, colour: Sequence[int] | int, width: float, closed: bool = False
    ) -> None:
        """Stroke a polyline `width` tile units wide (round joins via OpenCV)."""
        t = self.px(width)
        col = self._col(colour)
        for q in self._copies(np.asarray(pts, float), width):
            cv2.polylines(self.img, [q], closed, col, t, cv2.LINE_AA, _SHIFT)

    def line(
        self, a: Sequence[float], b: Sequence[float], colour: Sequence[int] | int, width: float
    ) -> None:
        self.polyline(np.array([a, b], float), colour, width)

    def circle(
        self, c: Sequence[float], r: float, colour: Sequence[int] | int, width: float | None = None
    ) -> None:
        """A filled disc (width None) or a ring stroke."""
        pad = r + (width or 0.0)
        col = self._col(colour)
        t = -1 if width is None else self.px(width)
        rr = round(r * self.S * _ONE)
        for q in self._copies(np.array([c], float), pad):
            cv2.circle(self.img, (int(q[0, 0]), int(q[0, 1])), rr, col, t, cv2.LINE_AA, _SHIFT)

    def ellipse(
        self,
        c: Sequence[float],
        axes: tuple[float, float],
        angle_deg: float,
        colour: Sequence[int] | int,
        width: float | None = None,
        arc: tuple[float, float] = (0.0, 360.0),
    ) -> None:
        """A filled (width None) or stroked ellipse / elliptic arc."""
        pad = max(axes) + (width or 0.0)
        col = self._col(colour)
        t = -1 if width is None else self.px(width)
        ax = (round(axes[0] * self.S * _ONE), round(axes[1] * self.S * _ONE))
        for q in self._copies(np.array([c], float), pad):
            cv2.ellipse(
                self.img,
                (int(q[0, 0]), int(q[0, 1])),
                ax,
                angle_deg,
                arc[0],
                arc[1],
                col,
                t,
                cv2.LINE_AA,
                _SHIFT,
            )

    def rect_band(
        self, y0: float, y1: float, colour: Sequence[int] | int, vertical: bool = False
    ) -> None:
        """A full-width horizontal (or full-height vertical) band from y0 to y1 (wraps)."""
        if vertical:
            pts = np.array([[y0, -0.01], [y1, -0.01], [y1, 1.01], [y0, 1.01]])
        else:
            pts = np.array([[-0.01, y0], [1.01, y0], [1.01, y1], [-0.01, y1]])
        self.poly(pts, colour)

    # -- output --------------------------------------------------------------------------
    def finish(self) -> np.ndarray:
        """Box-average the supersampled drawing down to `size` (exact, so still periodic)."""
        if self.ss == 1:
            return self.img.copy()
        return cv2.resize(self.img, (self.size, self.size), interpolation=cv2.INTER_AREA)


def periodic_noise(rng: np.random.Generator, size: int, cells: int) -> np.ndarray:
    """Smooth value noise in [0, 1] that wraps exactly (cubic upsampling of a tiled grid)."""
    cells = max(2, int(cells))
    small = rng.random((cells, cells)).astype(np.float32)
    big = cv2.resize(np.tile(small, (3, 3)), (3 * size, 3 * size), interpolation=cv2.INTER_CUBIC)
    out = big[size : 2 * size, size : 2 * size]
    lo, hi = float(out.min()), float(out.max())
    return (out - lo) / max(hi - lo, 1e-6)
