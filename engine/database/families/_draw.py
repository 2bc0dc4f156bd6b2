"""Drawing helpers shared by the region families (each wraps on the torus canvas)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engine.database import shapes as sh
from engine.database.canvas import TorusCanvas
from engine.database.palette import RGB, mix


def outlined(cv: TorusCanvas, pts: np.ndarray, fill: RGB, line: RGB | None, w: float) -> None:
    """Fill a shape and stroke its outline (the painted-and-outlined look of murals)."""
    cv.poly(pts, fill)
    if line is not None:
        cv.polyline(pts, line, w, closed=True)


def lotus_rosette(
    cv: TorusCanvas,
    c: tuple[float, float],
    r: float,
    cols: Sequence[RGB],
    line: RGB | None,
    petals: int = 8,
    layers: int = 2,
    ang0: float = 0.0,
    centre: RGB | None = None,
) -> None:
    """Layered lotus rosette seen from above: outer petals, inner petals offset half a
    step, seed-pod centre ringed with dots."""
    w = r * 0.012 + 0.0015
    for k in range(layers):
        rr = r * (1.0 - 0.27 * k)
        col = cols[k % len(cols)]
        a = ang0 + (np.pi / petals) * k
        for p in sh.rosette_petals(
            c, rr, petals, rr * 2.2 * np.pi / petals * 0.62, a, inner=rr * 0.12, tip=0.7
        ):
            outlined(cv, p, col, line, w)
            if k == 0 and line is not None:  # a vein down the petal
                mid = (p[0] + p[len(p) // 2]) / 2
                cv.line(p[0] * 0.3 + mid * 0.7, p[len(p) // 2] * 0.85 + p[0] * 0.15, line, w * 0.7)
    cr = r * (0.98 - 0.27 * layers) * 0.62
    cv.circle(c, cr, centre or cols[-1])
    if line is not None:
        cv.circle(c, cr, line, w)
        for t in np.linspace(0, 2 * np.pi, 8, endpoint=False):
            cv.circle((c[0] + 0.55 * cr * np.cos(t), c[1] + 0.55 * cr * np.sin(t)), cr * 0.13, line)


def pearl_band(
    cv: TorusCanvas,
    y: float,
    h: float,
    band: RGB,
    pearl: RGB,
    edge: RGB,
    count: int,
    vertical: bool = False,
) -> None:
    """Pearl-roundel border 联珠纹: a band with a row of beads, framed by thin lines."""
    cv.rect_band(y - h / 2, y + h / 2, band, vertical)
    cv.rect_band(y - h / 2, y - h / 2 + h * 0.1, edge, vertical)
    cv.rect_band(y + h / 2 - h * 0.1, y + h / 2, edge, vertical)
    for k in range(count):
        x = (k + 0.5) / count
        c = (y, x) if vertical else (x, y)
        cv.circle(c, h * 0.28, pearl)
        cv.circle(c, h * 0.28, edge, h * 0.06)


def dashed(cv: TorusCanvas, pts: np.ndarray, col: RGB, w: float, dash: float, gap: float) -> None:
    """Stroke a polyline as short dashes (stencil bridges of blue calico)."""
    p = np.asarray(pts, float)
    seg = np.linalg.norm(np.diff(p, axis=0), axis=1)
    s = np.concatenate([[0], np.cumsum(seg)])
    starts = np.arange(0.0, s[-1], dash + gap)
    ts = starts[:, None] + np.linspace(0, 1, 4)[None, :] * dash
    ts = np.minimum(ts, s[-1])
    xs = np.interp(ts, s, p[:, 0])
    ys = np.interp(ts, s, p[:, 1])
    cv.polylines(list(np.stack([xs, ys], -1)), col, w)


def sheen(col: RGB, t: float) -> RGB:
    """A slightly lighter tone of a colour (highlight on gold, silver bosses)."""
    return mix(col, (255, 255, 255), t)


def boss(cv: TorusCanvas, c: tuple[float, float], r: float, metal: RGB) -> None:
    """A domed metal boss: disc with a small highlight (Miao silver, gold studs)."""
    cv.circle(c, r, mix(metal, (0, 0, 0), 0.08))
    cv.circle((c[0] - r * 0.25, c[1] - r * 0.25), r * 0.45, sheen(metal, 0.12))


def ruyi(
    cv: TorusCanvas,
    c: tuple[float, float],
    r: float,
    ang: float,
    fill: RGB,
    curl: RGB,
    line: RGB | None = None,
) -> None:
    """Ruyi cloud head 如意云头: a heart-shaped trefoil (two lobes curling in at the sides,
    one on top) drawn to a point, with a spiral curl in each lobe."""
    lobes = [(0.0, -0.42, 0.42), (-0.42, -0.05, 0.36), (0.42, -0.05, 0.36)]
    pts = []
    t = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    for lx, ly, lr in lobes:
        pts.append(np.stack([lx + lr * np.cos(t), ly + lr * np.sin(t)], 1))
    tip = np.array([[-0.55, 0.1], [0.0, 0.72], [0.55, 0.1], [0.0, -0.2]])
    for p in [*pts, tip]:
        cv.poly(sh.place(p, c, r, ang), fill)
    if line is not None:
        for lx, ly, lr in lobes:
            cv.circle(sh.place(np.array([[lx, ly]]), c, r, ang)[0], lr * r, line, 0.0015)
    for k, (lx, ly, lr) in enumerate(lobes):
        d = 1 if k != 1 else -1
        spi = sh.spiral((lx, ly), lr * 0.7, 1.2, np.pi / 2, 30, d, lr * 0.08)
        cv.polyline(sh.place(spi, c, r, ang), curl, max(0.002, r * 0.06))
