"""Jiangnan 江南: blue calico, ice-crack lattice with plum blossoms, garden lattice windows,
ink bamboo."""

# numpy arrays plus tuples below are vector additions, not concatenations

from __future__ import annotations

import numpy as np
from scipy.spatial import Voronoi

from engine.database import shapes as sh
from engine.database.canvas import TorusCanvas
from engine.database.context import Ctx, Drawn, Family, layout_symmetry
from engine.database.families._draw import dashed, outlined
from engine.database.palette import RGB, mix

INDIGO, MOON, CELADON, PINK, INK, DAI = (
    "#22427C",
    "#EEF3F8",
    "#9DBFA5",
    "#F2C7C7",
    "#2B2B2B",
    "#4A5C6A",
)


def plum(
    cv: TorusCanvas, c: tuple[float, float], r: float, petal: RGB, heart: RGB, ang: float = 0.0
) -> None:
    """Plum blossom 梅花: five round petals and a dotted heart of stamens."""
    for k in range(5):
        a = ang + 2 * np.pi * k / 5
        cv.circle((c[0] + r * 0.55 * np.cos(a), c[1] + r * 0.55 * np.sin(a)), r * 0.48, petal)
    cv.circle(c, r * 0.25, heart)
    for k in range(5):
        a = ang + 2 * np.pi * k / 5 + np.pi / 5
        cv.circle((c[0] + r * 0.4 * np.cos(a), c[1] + r * 0.4 * np.sin(a)), r * 0.07, heart)


def blue_calico(cv: TorusCanvas, ctx: Ctx) -> Drawn:
    """Blue calico 蓝印花布: stencil-resist flowers built from dots and short dashes (the
    stencil's bridges), white on indigo, or indigo on white; a dotted ground filler."""
    reverse = ctx.rng.random() < 0.25
    ground, ink = (ctx.c(MOON), ctx.c(INDIGO)) if reverse else (ctx.c(INDIGO), ctx.c(MOON))
    cv.img[...] = ground
    n = ctx.cells(1, 4)
    w = 0.012 / n + 0.002
    for c in ctx.positions(n):
        r = 0.36 / n
        ang = ctx.rng.uniform(0, np.pi)
        petals = 5 + int(ctx.detail * 3)
        for k in range(petals):  # petal outlines of dashes
            p = sh.place(sh.petal(r, r * 0.6, 0.2), c, 1, ang + 2 * np.pi * k / petals)
            dashed(cv, np.concatenate([p, p[:1]]), ink, w, r * 0.12, r * 0.05)
            if ctx.detail > 0.3:
                cv.poly(
                    sh.place(sh.petal(r * 0.45, r * 0.18, 0.5), c, 1, ang + 2 * np.pi * k / petals),
                    ink,
                )
        cv.circle(c, r * 0.18, ink)
        for k in range(10):
            a = 2 * np.pi * k / 10
            cv.circle((c[0] + r * 0.28 * np.cos(a), c[1] + r * 0.28 * np.sin(a)), r * 0.03, ink)
        # small sprig with dash leaves in the gaps
        cc = (c[0] + 0.5 / n, c[1] + 0.5 / n)
        for k in range(4):
            p = sh.place(sh.leaf(r * 0.45, r * 0.2), cc, 1, k * np.pi / 2 + ang)
            dashed(cv, np.concatenate([p, p[:1]]), ink, w * 0.8, r * 0.08, r * 0.04)
    # dotted ground filler (the stencil's 'rice grains')
    m = int(10 + 20 * ctx.detail)
    for i in range(m):
        for j in range(m):
            if (i + j) % 2 == 0 and ctx.rng.random() < 0.35:
                cv.circle(((i + 0.5) / m, (j + 0.5) / m), 0.004, ink)
    return Drawn(
        ["blue_calico", "plum_blossom"],
        (n - 1) / 3.0,
        layout_symmetry(ctx.layout, 0.85),
        ground,
        "cloth",
    )


def _torus_voronoi(pts: np.ndarray) -> list[np.ndarray]:
    """Voronoi ridges of points on the torus (3x3 copies; ridges near the tile kept)."""
    offs = np.array([(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)], float)
    allp = (pts[None] + offs[:, None]).reshape(-1, 2)
    vor = Voronoi(allp)
    segs = []
    n = len(pts)
    for (a, b), rv in zip(vor.ridge_points, vor.ridge_vertices, strict=True):
        if -1 in rv or 4 not in (a // n, b // n):
            continue
        segs.append(vor.vertices[rv])
    return segs


def ice_plum(cv: TorusCanvas, ctx: Ctx) -> Drawn:
    """Ice-crack lattice with plum blossoms 冰梅纹: irregular polygon cracks like river ice
    (a torus Voronoi tessellation, each cell split again), with scattered five-petal plums."""
    ground = ctx.pick([CELADON, DAI, MOON, INDIGO])
    cv.img[...] = ground
    dark_ground = ground in (ctx.c(DAI), ctx.c(INDIGO))
    line = ctx.c(MOON) if dark_ground else ctx.pick([INK, INDIGO, DAI])
    n = ctx.cells(3, 8)
    pts = ctx.rng.random((n * n, 2))
    w = 0.006 + 0.004 * (1 - ctx.density)
    for seg in _torus_voronoi(pts):
        cv.polyline(seg, line, w)
    if ctx.detail > 0.4:  # secondary cracks: split a cell from its centre to an edge
        for p in pts[: len(pts) // 2]:
            a = ctx.rng.uniform(0, 2 * np.pi)
            cv.line(p, p + 0.6 / n * np.array([np.cos(a), np.sin(a)]), line, w * 0.6)
    petal = ctx.pick([MOON, PINK], avoid=[ground])
    heart = ctx.c(INK) if petal != ctx.c(INK) else ctx.c(PINK)
    for c in ctx.positions(max(2, n // 2 + 1), "scatter"):
        plum(cv, c, 0.05 + 0.04 * ctx.rng.random(), petal, heart, ctx.rng.uniform(0, 6.28))
    return Drawn(["ice_crack", "plum_blossom"], (n - 3) / 5.0, 0.1, ground, "paper")


def lattice_window(cv: TorusCanvas, ctx: Ctx) -> Drawn:
    """Garden lattice window 花窗: dark timber tracery on pale paper — begonia 海棠 openings
    framed by a step-by-step 步步锦 fret of short right-angled bars."""
    ground = ctx.pick([MOON, CELADON])
    cv.img[...] = ground
    wood = ctx.pick([INK, DAI, INDIGO])
    n = ctx.cells(1, 3)
    s = 1.0 / n
    w = s * 0.03
    for i in range(n):
        for j in range(n):
            x0, y0 = i * s + s * 0.5, j * s + s * 0.5  # tile edge mid-cell
            c = (x0 + s / 2, y0 + s / 2)
            cv.poly(sh.rect(x0, y0, x0 + s, y0 + s), wood)
            cv.poly(sh.rect(x0 + w, y0 + w, x0 + s - w, y0 + s - w), ground)
            # step-by-step fret: nested short bars stepping to the centre
            steps = 3 + int(ctx.detail * 3)
            for k in range(1, steps):
                d = k * s / (2 * steps + 1)
                ln = s * 0.5 - d
                for q in range(4):
                    seg = np.array(
                        [
                            [-ln, -s / 2 + d],
                            [-ln * 0.4, -s / 2 + d],
                            [-ln * 0.4, -s / 2 + d + s * 0.04],
                        ]
                    )
                    cv.polyline(sh.rot(seg, q * np.pi / 2) + c, wood, w * 0.7)
                    cv.polyline(sh.rot(seg * (-1, 1), q * np.pi / 2) + c, wood, w * 0.7)
            # begonia (four-lobed) opening in the middle
            t = np.linspace(0, 2 * np.pi, 120)
            rad = s * 0.22 * (1 + 0.22 * np.abs(np.cos(2 * t)) ** 0.5)
            beg = np.stack([c[0] + rad * np.cos(t), c[1] + rad * np.sin(t)], 1)
            outlined(cv, beg, ground, wood, w)
            if ctx.detail > 0.5:
                plum(cv, c, s * 0.08, ctx.c(PINK), wood)
    return Drawn(["lattice_window", "plum_blossom"], (n - 1) / 2.0, 1.0, ground, "paper")


def ink_bamboo(cv: TorusCanvas, ctx: Ctx) -> Drawn:
    """Ink bamboo 墨竹: segmented stalks with pale nodes and clusters of pointed leaves in
    graded ink on moon-white paper, in the literati manner."""
    ground = ctx.pick([MOON, CELADON])
    cv.img[...] = ground
    ink = ctx.c(INK)
    grey = mix(ink, ground, 0.55)
    n = ctx.cells(2, 6)
    xs = (np.arange(n) + ctx.rng.uniform(0.2, 0.8, n)) / n
    for k, x in enumerate(xs):
        col = ink if k % 2 == 0 else grey
        w = 0.018 + 0.018 * ctx.rng.random()
        segs = int(ctx.rng.integers(3, 6))
        y_off = ctx.rng.random()
        for sgi in range(segs):  # stalk segments separated by nodes; they wrap vertically
            y0 = y_off + sgi / segs + 0.006
            y1 = y_off + (sgi + 1) / segs - 0.006
            cv.poly(sh.rect(x - w / 2, y0, x + w / 2, y1), col)
            cv.line((x - w * 0.7, y1 - 0.004), (x + w * 0.7, y1 - 0.004), col, 0.004)
            cv.line(
                (x - w * 0.25, y0 + 0.01),
                (x - w * 0.25, y1 - 0.03),
                mix(col, ground, 0.35),
                w * 0.18,
            )  # dry-brush highlight
        # leaf clusters: three to five drooping blades fanning from a twig at a node
        for _ in range(1 + int(ctx.detail * 3)):
            node = y_off + int(ctx.rng.integers(segs)) / segs
            side = 1 if ctx.rng.random() < 0.5 else -1
            twig_end = (x + side * 0.05, node + 0.03)
            cv.line((x, node), twig_end, col, 0.003)
            a0 = np.pi / 2 - side * ctx.rng.uniform(0.3, 0.9)
            blades = int(ctx.rng.integers(3, 6))
            for b in range(blades):
                lf = sh.leaf(0.1 + 0.07 * ctx.rng.random(), 0.026, 0.1 * side)
                cv.poly(sh.place(lf, twig_end, 1, a0 + (b - blades / 2) * 0.38), col)
    return Drawn(["ink_bamboo"], (n - 2) / 4.0, 0.15, ground, "paper")


def suzhou_embroidery(cv: TorusCanvas, ctx: Ctx) -> Drawn:
    """Suzhou embroidery 苏绣: flowers in fine satin stitch on pale silk — each petal shaded in
    many soft steps from a deep heart to a pale edge, with stitch lines fanning from the
    base; leaves in celadon and blue-grey."""
    ground = ctx.pick([MOON, PINK, CELADON])
    cv.img[...] = ground
    n = ctx.cells(1, 3)
    steps = 4 + int(ctx.detail * 5)
    hues = [ctx.c(PINK), ctx.c(INDIGO), ctx.c(DAI)]
    stitch = cv.mask()  # satin-stitch lines of every flower, laid on in one pass
    for k, c in enumerate(ctx.positions(n)):
        r = 0.3 / n
        ang = ctx.rng.uniform(0, 2 * np.pi)
        leafc = ctx.c(CELADON) if ground != ctx.c(CELADON) else ctx.c(DAI)
        for q in range(3):
            base = np.array(c)
            a = ang + 2.1 * q + 0.5
            for st in range(steps):
                f = 1.0 - st / (steps + 1)
                col = mix(
                    mix(leafc, (0, 0, 0), 0.35),
                    mix(leafc, (255, 255, 255), 0.4),
                    st / max(steps - 1, 1),
                )
                cv.poly(sh.place(sh.leaf(r * 1.25 * f, r * 0.5 * f, 0.3), tuple(base), 1, a), col)
        hue = hues[k % len(hues)] if ground != ctx.c(PINK) else hues[1 + k % 2]
        deep = mix(hue, (0, 0, 0), 0.35)
        pale = mix(hue, (255, 255, 255), 0.75)
        petals = 6 + int(ctx.detail * 4)
        for layer in range(2):
            rr = r * (1.0 - 0.35 * layer)
            for p in range(petals):
                a = ang + 2 * np.pi * p / petals + layer * np.pi / petals
                for st in range(steps):  # soft gradient: deep heart to pale rim
                    f = 1.0 - st / (steps + 0.5)
                    col = mix(pale, deep, st / max(steps - 1, 1))
                    pt = sh.place(sh.petal(rr * f, rr * 0.55 * f, 0.2), c, 1, a)
                    cv.poly(pt, col)
                fan = [
                    sh.place(np.array([[0.0, 0.0], [rr * 0.95, w]]), c, 1, a)
                    for w in np.linspace(-rr * 0.22, rr * 0.22, 7)
                ]
                stitch.polylines(fan, 255, 0.0012)
        for t in np.linspace(0, 2 * np.pi, 9, endpoint=False):  # seed-stitch heart
            cv.circle(
                (c[0] + r * 0.12 * np.cos(t), c[1] + r * 0.12 * np.sin(t)),
                r * 0.035,
                mix(ctx.c(INK), hue, 0.3),
            )
    return Drawn(
        ["suzhou_embroidery"], (n - 1) / 2.0, layout_symmetry(ctx.layout, 0.6), ground, "silk"
    )


FAMILIES = [
    Family("blue_calico", ("blue_calico",), blue_calico),
    Family("ice_plum", ("ice_crack", "plum_blossom"), ice_plum),
    Family("lattice_window", ("lattice_window",), lattice_window, borders=False),
    Family("ink_bamboo", ("ink_bamboo",), ink_bamboo),
    Family("suzhou_embroidery", ("suzhou_embroidery",), suzhou_embroidery),
]
