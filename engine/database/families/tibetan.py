"""Tibetan 藏族: endless knot lattices, pulu apron stripes, double vajra, dharma wheel."""

# numpy arrays plus tuples below are vector additions, not concatenations
# ruff: noqa: RUF005

from __future__ import annotations

import numpy as np

from engine.database import shapes as sh
from engine.database.canvas import TorusCanvas
from engine.database.context import Ctx, Drawn, Family, layout_symmetry
from engine.database.families._draw import outlined
from engine.database.palette import RGB, mix

MAROON, SAFFRON, TURQUOISE, LAPIS = "#7B1E1E", "#E8A317", "#30A5A0", "#26619C"
WHITE, BLACK = "#F5F5F0", "#1C1C1C"


def _ribbon(cv: TorusCanvas, pts: np.ndarray, fill: RGB, edge: RGB, w: float) -> None:
    cv.polyline(pts, edge, w)
    cv.polyline(pts, fill, w * 0.55)


def endless_knot_at(
    cv: TorusCanvas,
    c: tuple[float, float],
    a: float,
    k: int,
    fill: RGB,
    edge: RGB,
    w: float,
    ang: float = np.pi / 4,
) -> None:
    """One endless knot 吉祥结: a ribbon woven over and under itself on a k x k lattice
    turned 45°, its ends closed by loops on every side."""
    ys = -a + (np.arange(k) + 0.5) * 2 * a / k
    gap = 2 * a / k
    hor = [np.array([[-a, y], [a, y]]) for y in ys]
    ver = [np.array([[x, -a], [x, a]]) for x in ys]
    loops = []
    for side in (-1, 1):
        for p in range(0, k - 1, 2):
            mid = (ys[p] + ys[p + 1]) / 2
            t = np.linspace(-np.pi / 2, np.pi / 2, 24)
            arc = np.stack([side * (a + gap / 2 * np.cos(t)), mid + gap / 2 * np.sin(t)], 1)
            loops.append(arc)
            loops.append(arc[:, ::-1])  # x<->y swapped: the same loops for the verticals
    T = lambda p: sh.rot(p, ang) + c  # noqa: E731
    for path in [*loops, *hor, *ver]:
        _ribbon(cv, T(path), fill, edge, w)
    # over-under: at alternate crossings the horizontal ribbon passes over again
    for i, y in enumerate(ys):
        for j, x in enumerate(ys):
            if (i + j) % 2 == 0:
                seg = np.array([[x - w * 0.9, y], [x + w * 0.9, y]])
                cv.polyline(T(seg), edge, w)
                seg2 = np.array([[x - w * 1.2, y], [x + w * 1.2, y]])
                cv.polyline(T(seg2), fill, w * 0.55)


def endless_knot(cv: TorusCanvas, ctx: Ctx) -> Drawn:
    """Endless knot 吉祥结 lattice: interlaced ribbons on a 45° grid with over-under
    crossings and looped ends, in gold or turquoise on maroon or lapis."""
    ground = ctx.ground(ctx.pick([MAROON, LAPIS, BLACK, SAFFRON]))
    cv.img[...] = ground
    n = ctx.cells(1, 3)
    k = 4 if ctx.detail < 0.75 or n > 1 else 6
    fill = ctx.accent(ctx.pick([WHITE, TURQUOISE, SAFFRON], avoid=[ground]))
    edge = ctx.c(BLACK) if ground != ctx.c(BLACK) else ctx.c(MAROON)
    if fill != ctx.metal:
        edge = ctx.outline(edge)
    for c in ctx.positions(n, "grid" if ctx.layout == "scatter" else ctx.layout):
        a = 0.23 / n
        endless_knot_at(cv, c, a, k, fill, edge, 0.05 / n * (4 / k) + 0.003)
    return Drawn(["endless_knot"], (n - 1) / 2.0, layout_symmetry(ctx.layout, 1.0), ground, "cloth")


def pulu(cv: TorusCanvas, ctx: Ctx) -> Drawn:
    """Pulu apron stripes 邦典: narrow horizontal stripes in a repeating sequence of bright
    colours, woven in three panels whose stripes do not line up."""
    pool = [ctx.c(h) for h in (MAROON, SAFFRON, TURQUOISE, LAPIS, WHITE, BLACK)]
    if ctx.metal is not None and ctx.gold > 0:
        pool.append(ctx.metal)
    reps = ctx.cells(2, 6)
    seq_len = int(5 + ctx.detail * 6)
    seq = [pool[int(ctx.rng.integers(len(pool)))] for _ in range(seq_len)]
    for i in range(1, len(seq)):
        if seq[i] == seq[i - 1]:
            seq[i] = pool[(pool.index(seq[i]) + 1) % len(pool)]
    widths = ctx.rng.uniform(0.6, 1.6, seq_len)
    widths = widths / widths.sum() / reps
    panels = 3 if ctx.rng.random() < 0.6 else 1
    cv.img[...] = seq[0]
    for p in range(panels):
        x0 = (p + 0.5) / panels - 0.5 / panels + (1 / 6 if panels == 3 else 0)
        phase = ctx.rng.random() / reps if panels > 1 else 0.0
        y = phase + widths[0] / 2  # the tile edge falls inside a stripe
        for _r in range(reps):
            for i in range(seq_len):
                x1 = x0 + 1.0 / panels
                cv.poly(sh.rect(x0, y, x1, y + widths[i]), seq[i])
                y += widths[i]
        if panels > 1:
            cv.line((x0, -0.1), (x0, 1.1), mix(ctx.c(BLACK), seq[0], 0.3), 0.002)
    # weft texture: faint vertical hatch of the weave
    hatch = int(40 + 80 * ctx.detail)
    lines = [np.array([[(i + 0.5) / hatch, 0.0], [(i + 0.5) / hatch, 1.0]]) for i in range(hatch)]
    shade = cv.mask()
    shade.polylines(lines, 255, 0.0008)
    cv.composite(shade, (0, 0, 0), 0.3)
    return Drawn(["pulu_stripes"], (reps - 2) / 4.0, 0.55 if panels == 1 else 0.35, seq[0], "cloth")


def double_vajra(cv: TorusCanvas, ctx: Ctx) -> Drawn:
    """Double vajra 十字金刚杵: four vajra heads (lotus-bud waist and three curving prongs)
    radiating from a round hub, in a grid on maroon or lapis."""
    ground = ctx.ground(ctx.pick([MAROON, LAPIS, BLACK]))
    cv.img[...] = ground
    n = ctx.cells(1, 4)
    body = ctx.accent(ctx.pick([SAFFRON, WHITE, TURQUOISE], avoid=[ground]))
    edge = ctx.c(BLACK)
    hub = ctx.pick([TURQUOISE, WHITE, LAPIS], avoid=[ground, body])
    edge_w: list[np.ndarray] = []  # strokes batched by colour and width: one call each
    body_w: list[np.ndarray] = []
    for c in ctx.positions(n, "grid" if ctx.layout == "scatter" else ctx.layout):
        r = 0.38 / n
        w = r * 0.06
        for q in range(4):
            ang = q * np.pi / 2
            T = lambda p, a=ang, c=c: sh.rot(np.asarray(p, float), a) + c  # noqa: E731
            # lotus-bud waist: a small bulb between two collars
            outlined(cv, T(sh.ring((r * 0.36, 0), r * 0.1, 24, r * 0.09)), body, edge, 0.002)
            for xc in (r * 0.24, r * 0.48):
                cv.poly(T(sh.rect(xc - r * 0.02, -r * 0.11, xc + r * 0.02, r * 0.11)), body)
            # prongs: a straight centre prong, outer prongs bowing out and converging
            edge_w.append(T([[r * 0.5, 0], [r * 1.02, 0]]))
            for sgn in (-1, 1):
                t = np.linspace(0, 1, 24)
                bow = sgn * r * 0.2 * np.sin(np.pi * t**0.8) * (1 - 0.15 * t)
                edge_w.append(T(np.stack([r * (0.5 + 0.5 * t), bow], 1)))
            cv.poly(T(sh.diamond((r * 1.06, 0), r * 0.06, r * 0.04)), body)
        body_w = edge_w
        cv.circle(c, r * 0.2, hub)
        cv.circle(c, r * 0.2, edge, 0.003)
        if ctx.detail > 0.5:  # the hub's swirl
            for a in range(3):
                cv.polyline(sh.spiral(c, r * 0.16, 0.6, a * 2.09, 12, 1, 0.0), edge, 0.003)
    w = 0.38 / n * 0.06
    cv.polylines(edge_w, edge, w * 1.4)
    cv.polylines(body_w, body, w * 0.8)
    return Drawn(["double_vajra"], (n - 1) / 3.0, layout_symmetry(ctx.layout, 1.0), ground, "cloth")


def dharma_wheel(cv: TorusCanvas, ctx: Ctx) -> Drawn:
    """Dharma wheel 法轮 with lotus: an eight-spoked wheel (rim, knobbed edge, three-swirl
    hub) resting on lotus petals, among cloud-flame scrolls."""
    ground = ctx.ground(ctx.pick([MAROON, LAPIS, SAFFRON]))
    cv.img[...] = ground
    n = ctx.cells(1, 3)
    gold = ctx.accent(ctx.pick([SAFFRON, WHITE], avoid=[ground]))
    edge = ctx.c(BLACK)
    petal = ctx.pick([TURQUOISE, WHITE, MAROON], avoid=[ground])
    for c in ctx.positions(n):
        r = 0.3 / n
        for k in range(5):  # lotus seat under the wheel
            a = np.pi / 2 + (k - 2) * 0.45
            outlined(
                cv,
                sh.place(sh.petal(r * 0.7, r * 0.35, 0.7), (c[0], c[1] + r * 1.15), 1, a - np.pi),
                petal,
                edge,
                0.002,
            )
        for k in range(8):
            a = k * np.pi / 4 + np.pi / 8
            cv.circle((c[0] + r * 1.08 * np.cos(a), c[1] + r * 1.08 * np.sin(a)), r * 0.1, gold)
        cv.circle(c, r, gold, r * 0.16)
        cv.circle(c, r * 1.08, edge, 0.002)
        cv.circle(c, r * 0.92, edge, 0.002)
        for k in range(8):
            a = k * np.pi / 4
            sp = sh.place(sh.petal(r * 0.72, r * 0.16, 0.9), c, 1, a)
            outlined(cv, sp, gold, edge, 0.002)
        cv.circle(c, r * 0.25, gold)
        for a in range(3):
            cv.polyline(sh.spiral(c, r * 0.2, 0.7, a * 2.09, 16, 1, 0.0), edge, 0.003)
        if ctx.detail > 0.4:
            for p in sh.ruyi_cloud(0.12 / n):
                cv.polyline(p + (c[0] + 0.5 / n, c[1] + 0.5 / n), petal, 0.005)
    return Drawn(
        ["dharma_wheel", "lotus_tibetan", "eight_auspicious"],
        (n - 1) / 2.0,
        layout_symmetry(ctx.layout, 0.9),
        ground,
        "cloth",
    )


FAMILIES = [
    Family("endless_knot", ("endless_knot",), endless_knot),
    Family("pulu", ("pulu_stripes",), pulu, borders=False),
    Family("double_vajra", ("double_vajra",), double_vajra),
    Family("dharma_wheel", ("dharma_wheel", "lotus_tibetan"), dharma_wheel),
]
