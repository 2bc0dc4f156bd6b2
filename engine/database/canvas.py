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
Point = Sequence[float] | np.ndarray
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
        # a margin around the tile: OpenCV drops a thick stroke whose centre line lies outside
        # the image even when its body reaches in, so copies are drawn on a padded buffer
        self.M = max(4, self.S // 16)
        P = self.S + 2 * self.M
        shape = (P, P, channels) if channels > 1 else (P, P)
        self.buf = np.zeros(shape, np.uint8)
        self.img = self.buf[self.M : self.M + self.S, self.M : self.M + self.S]  # the tile (a view)
        if np.any(np.asarray(ground)):
            self.img[...] = ground  # type: ignore[assignment]

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
        lo = p.min(axis=0)
        hi = p.max(axis=0)
        bx, by = float(np.floor(lo[0])), float(np.floor(lo[1]))
        lx, ly = lo[0] - bx - pad, lo[1] - by - pad
        hx, hy = hi[0] - bx + pad, hi[1] - by + pad
        q0 = (p - (bx, by)) * (self.S * _ONE) + self.M * _ONE
        step = self.S * _ONE
        for dy in (-1, 0, 1):
            if hy + dy < 0 or ly + dy > 1:
                continue
            for dx in (-1, 0, 1):
                if hx + dx < 0 or lx + dx > 1:
                    continue
                yield np.round(q0 + (dx * step, dy * step)).astype(np.int32)

    def _point_copies(self, c: Point, pad: float):
        """Fixed-point centres of every torus copy of a point-centred shape (scalar path)."""
        x = (float(c[0]) + self.origin[0]) % 1.0
        y = (float(c[1]) + self.origin[1]) % 1.0
        k = self.S * _ONE
        xs = [x] + ([x + 1.0] if x - pad < 0 else []) + ([x - 1.0] if x + pad > 1 else [])
        ys = [y] + ([y + 1.0] if y - pad < 0 else []) + ([y - 1.0] if y + pad > 1 else [])
        for yy in ys:
            for xx in xs:
                yield (round(xx * k) + self.M * _ONE, round(yy * k) + self.M * _ONE)

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
                np.round(((p + self.origin - base) + dxy) * self.S * _ONE + self.M * _ONE).astype(
                    np.int32
                )
                for p in polys
            ]
            cv2.fillPoly(self.buf, rings, col, cv2.LINE_AA, _SHIFT)

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
            cv2.polylines(self.buf, [q], closed, col, t, cv2.LINE_AA, _SHIFT)

    def polylines(
        self,
        paths: Sequence[np.ndarray],
        colour: Sequence[int] | int,
        width: float,
        closed: bool = False,
    ) -> None:
        """Stroke many polylines of one colour and width in one OpenCV call (dashes, hatches)."""
        t = self.px(width)
        col = self._col(colour)
        allq = [q for p in paths for q in self._copies(np.asarray(p, float), width)]
        if allq:
            cv2.polylines(self.buf, allq, closed, col, t, cv2.LINE_AA, _SHIFT)

    def line(self, a: Point, b: Point, colour: Sequence[int] | int, width: float) -> None:
        self.polyline(np.array([a, b], float), colour, width)

    def circle(
        self, c: Point, r: float, colour: Sequence[int] | int, width: float | None = None
    ) -> None:
        """A filled disc (width None) or a ring stroke."""
        pad = r + (width or 0.0)
        col = self._col(colour)
        t = -1 if width is None else self.px(width)
        rr = round(r * self.S * _ONE)
        for q in self._point_copies(c, pad):
            cv2.circle(self.buf, q, rr, col, t, cv2.LINE_AA, _SHIFT)

    def ellipse(
        self,
        c: Point,
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
        for q in self._point_copies(c, pad):
            cv2.ellipse(
                self.buf,
                q,
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
    """Smooth value noise in [0, 1] that wraps exactly (smoothstep interpolation of a
    random cells x cells grid, indices taken modulo the grid)."""
    cells = max(2, int(cells))
    small = rng.random((cells, cells)).astype(np.float32)
    x = (np.arange(size, dtype=np.float32) + 0.5) * (cells / size)
    i0 = np.floor(x).astype(np.int64)
    t = x - i0
    t = t * t * (3 - 2 * t)
    i0 %= cells
    i1 = (i0 + 1) % cells
    rows = small[i0] * (1 - t)[:, None] + small[i1] * t[:, None]  # (size, cells)
    out = rows[:, i0] * (1 - t)[None, :] + rows[:, i1] * t[None, :]
    lo, hi = float(out.min()), float(out.max())
    return (out - lo) / max(hi - lo, 1e-6)
