"""Mongolian 蒙古族: horn pattern, key meander fret, coiled knot, cloud roundels."""

# numpy arrays plus tuples below are vector additions, not concatenations
# ruff: noqa: RUF005

from __future__ import annotations

import numpy as np

from engine.database import shapes as sh
from engine.database.canvas import TorusCanvas
from engine.database.context import Ctx, Drawn, Family, layout_symmetry
from engine.database.families._draw import ruyi
from engine.database.families.tibetan import endless_knot_at
from engine.database.palette import RGB

BLUE, WHITE, RED, GREEN, BLACK = "#2F6EBA", "#FFFFFF", "#C1272D", "#3F7F3F", "#1A1A1A"


def horn_unit(s: float) -> list[np.ndarray]:
    """Ram's-horn pair 犄纹 (unit height s): a stem that splits into two horns curling
    outwards and down into spirals, back to back."""
    out = []
    for side in (-1, 1):
        spi = sh.spiral((0.0, 0.0), 0.25, 1.35, np.pi, 50, 1, 0.06)
        spi[:, 0] += 0.25
        spi[:, 0] *= side
        out.append(np.concatenate([[[0.0, 0.4]], spi]) * s)
    return out


def _stroke2(cv: TorusCanvas, pts: np.ndarray, fill: RGB, edge: RGB | None, w: float) -> None:
    if edge is not None:
        cv.polyline(pts, edge, w * 1.6)
    cv.polyline(pts, fill, w)


def horn(cv: TorusCanvas, ctx: Ctx) -> Drawn:
    """Horn pattern 犄纹 (哈木尔纹): paired ram's-horn curls back to back, repeated as a field
    of four-way rosettes or as bands of alternately upturned and downturned horns."""
    ground = ctx.ground(ctx.pick([BLUE, RED, BLACK, WHITE]))
    cv.img[...] = ground
    fill = ctx.accent(ctx.pick([WHITE, RED, BLUE, GREEN], avoid=[ground]))
    edge = ctx.c(BLACK) if ground == ctx.c(WHITE) else None
    n = ctx.cells(1, 4)
    rosette = ctx.layout != "scatter" and ctx.rng.random() < 0.5
    w = 0.03 / n
    if rosette:
        for c in ctx.positions(n, "grid"):
            for q in range(4):
                for p in horn_unit(0.42 / n):
                    _stroke2(
                        cv, sh.rot(p - (0, 0.4 * 0.42 / n), q * np.pi / 2) + c, fill, edge, w * 0.8
                    )
            cv.circle(c, 0.05 / n, fill)
        sym = 1.0
    else:  # bands: upright and inverted horns back to back along a shared cord
        for row in range(n):
            base = (row + 0.5) / n
            sz = 0.5 / n
            units = 2 * n
            for col in range(units):
                x = (col + 0.5) / units
                for unit in horn_unit(sz):
                    up = unit + (x, base - 0.4 * sz)
                    _stroke2(cv, up, fill, edge, w * 0.9)
                    down = unit * (1, -1) + (x + 0.5 / units, base + 0.4 * sz)
                    _stroke2(cv, down, fill, edge, w * 0.9)
            cv.rect_band(base - w * 0.45, base + w * 0.45, fill)
        sym = 0.8
    return Drawn(["horn_pattern"], (n - 1) / 3.0, layout_symmetry("grid", sym), ground, "cloth")


def _fret_path(x: float, y: float, s: float, turns: int) -> np.ndarray:
    """One 回 square spiral of size s with top-left at (x, y), entered from the bottom-left."""
    pts = [(0.0, 1.0), (0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.2, 1.0)]
    step = 0.8 / (2 * turns)
    lo, hi = 0.2, 1.0 - step
    y_lo = step
    k = 0
    while hi - lo > step * 0.9 and k < 8:
        pts += [(lo, y_lo + step), (hi - step, y_lo + step), (hi - step, 1 - step * (k + 2))]
        lo += step * 2
        hi -= step * 2
        y_lo += step * 2
        k += 1
        pts += [(lo, 1 - step * (k + 1))]
    return np.array(pts) * s + (x, y)


def meander(cv: TorusCanvas, ctx: Ctx) -> Drawn:
    """Key meander 回纹: a continuous right-angled spiral fret, in bands or as an all-over
    field of interlocked 回 squares."""
    ground = ctx.pick([BLUE, RED, WHITE, BLACK])
    cv.img[...] = ground
    fill = ctx.accent(ctx.pick([WHITE, BLUE, RED], avoid=[ground]))
    n = ctx.cells(3, 8)
    s = 1.0 / n
    w = s * 0.09
    turns = 2 if ctx.detail > 0.5 else 1
    for i in range(n):
        for j in range(n):
            x, y = i * s + s * 0.5, j * s + s * 0.5  # tile edge falls mid-cell
            if ctx.layout == "half_drop" and i % 2:
                path = _fret_path(x + s * 0.1, y + s * 0.1, s * 0.8, turns)
                path = (path - (x + s / 2, y + s / 2)) * (-1, 1) + (x + s / 2, y + s / 2)
            else:
                path = _fret_path(x + s * 0.1, y + s * 0.1, s * 0.8, turns)
            cv.polyline(path, fill, w)
            cv.line((x + s * 0.1, y + s * 0.9), (x + s * 1.1, y + s * 0.9), fill, w)
    return Drawn(["key_meander"], (n - 3) / 5.0, 0.9, ground, "cloth")


def coiled_knot(cv: TorusCanvas, ctx: Ctx) -> Drawn:
    """Coiled knot 盘肠: a square interlace of one looping cord, axis-aligned, framed in a
    square, with small horn curls at the corners."""
    ground = ctx.ground(ctx.pick([BLUE, RED, GREEN, WHITE]))
    cv.img[...] = ground
    n = ctx.cells(1, 3)
    fill = ctx.accent(ctx.pick([WHITE, RED, BLUE], avoid=[ground]))
    edge = ctx.c(BLACK)
    for c in ctx.positions(n, "grid" if ctx.layout == "scatter" else ctx.layout):
        a = 0.24 / n
        cv.poly(sh.rect(c[0] - a * 1.55, c[1] - a * 1.55, c[0] + a * 1.55, c[1] + a * 1.55), edge)
        cv.poly(sh.rect(c[0] - a * 1.5, c[1] - a * 1.5, c[0] + a * 1.5, c[1] + a * 1.5), ground)
        endless_knot_at(cv, c, a, 4, fill, edge, 0.045 / n, ang=0.0)
        for sx in (-1, 1):
            for sy in (-1, 1):
                cc = (c[0] + sx * a * 1.3, c[1] + sy * a * 1.3)
                cv.polyline(sh.spiral(cc, a * 0.18, 1.2, 0, 24, sx * sy, 0.0), fill, 0.004)
    return Drawn(["coiled_knot"], (n - 1) / 2.0, layout_symmetry(ctx.layout, 1.0), ground, "cloth")


def cloud_roundel(cv: TorusCanvas, ctx: Ctx) -> Drawn:
    """Cloud roundel 云纹团花: four ruyi cloud heads turned about a centre inside a roundel,
    with scrolling grass 卷草 curls filling between the roundels."""
    ground = ctx.ground(ctx.pick([BLUE, RED, WHITE, GREEN]))
    cv.img[...] = ground
    n = ctx.cells(1, 3)
    fill = ctx.pick([WHITE, RED, BLUE], avoid=[ground])
    rim = ctx.accent(fill)
    for c in ctx.positions(n):
        r = 0.4 / n
        cv.circle(c, r, rim, r * 0.08)
        cv.circle(c, r * 0.85, fill, r * 0.03)
        for q in range(4):
            a = q * np.pi / 2
            pc = (c[0] + r * 0.45 * np.sin(a), c[1] - r * 0.45 * np.cos(a))
            ruyi(cv, pc, r * 0.42, a, fill, ground)
        cv.circle(c, r * 0.12, rim)
        # scrolling grass between roundels
        cc = (c[0] + 0.5 / n, c[1] + 0.5 / n)
        for q in range(2):
            cv.polyline(sh.spiral(cc, r * 0.3, 1.2, q * np.pi, 30, 1, 0.0), fill, r * 0.05)
    return Drawn(
        ["cloud_motif", "roundel", "scrolling_grass"],
        (n - 1) / 2.0,
        layout_symmetry(ctx.layout, 1.0),
        ground,
        "cloth",
    )


FAMILIES = [
    Family("horn", ("horn_pattern",), horn),
    Family("meander", ("key_meander",), meander, borders=False),
    Family("coiled_knot", ("coiled_knot",), coiled_knot),
    Family("cloud_roundel", ("cloud_motif", "roundel"), cloud_roundel),
]
