"""Xinjiang 新疆 (Uyghur): atlas ikat, badam almonds, pomegranates, eight-pointed star
tilings."""

# numpy arrays plus tuples below are vector additions, not concatenations

from __future__ import annotations

import numpy as np

from engine.database import shapes as sh
from engine.database.canvas import TorusCanvas
from engine.database.context import Ctx, Drawn, Family, layout_symmetry
from engine.database.families._draw import outlined
from engine.database.palette import mix

RED, SAFFRON, EMERALD, BLUE, PURPLE, BLACK, WHITE = (
    "#D7263D",
    "#F4B400",
    "#009B77",
    "#1E4FA3",
    "#6A2C91",
    "#111111",
    "#FFFFFF",
)


def _ikat_shift(cv: TorusCanvas, ctx: Ctx, bundles: int, amp: float) -> None:
    """Shift each warp bundle vertically by its own random amount: the comb-like, feathered
    edges of warp-resist dyeing. Whole columns roll, so the tile still wraps."""
    S = cv.S
    offs = np.round(ctx.rng.uniform(-amp, amp, bundles) * S).astype(int)
    ox = round(cv.origin[0] * S)
    cols = ((np.arange(S) - ox) * bundles // S) % bundles
    img = cv.img
    out = np.empty_like(img)
    for b in range(bundles):
        sel = cols == b
        out[:, sel] = np.roll(img[:, sel], offs[b], axis=0)
    cv.img[...] = out


def atlas_ikat(cv: TorusCanvas, ctx: Ctx) -> Drawn:
    """Atlas silk 艾德莱斯绸 ikat: vertical colour bands with tall almond, comb and lozenge
    shapes whose edges are jagged and feathered by the shifted warp threads."""
    pool = [ctx.c(h) for h in (RED, SAFFRON, EMERALD, BLUE, PURPLE, BLACK, WHITE)]
    ctx.rng.shuffle(pool)
    nb = ctx.cells(2, 5)
    bw = 1.0 / nb
    for b in range(nb):
        # bands start half a band in, so the repeat line runs down the middle of one
        cv.rect_band((b + 0.5) * bw, (b + 1.5) * bw, pool[b % 4], vertical=True)
    reps = ctx.cells(1, 3)
    for b in range(nb):
        x = (b + 1.0) * bw
        for r in range(reps):
            y = (r + 0.5) / reps + (0.5 / reps if b % 2 else 0)
            band_col = pool[b % 4]
            others = [c for c in pool if c != band_col]
            col = others[(b + r) % len(others)]
            inner = [c for c in others if c != col][(b + 2 * r + 1) % (len(others) - 1)]
            kind = (b + r) % 3
            h = 0.42 / reps
            if kind == 0:  # tall almond 'eye', nested three deep
                for q, cq in enumerate((col, inner, col)):
                    f = 1 - 0.3 * q
                    tt = np.linspace(0, 2 * np.pi, 60, endpoint=False)
                    half = np.sign(np.sin(tt)) * (1 - np.abs(np.cos(tt))) ** 0.6
                    lens = np.stack([x + bw * 0.46 * f * half, y - h * 1.05 * f * np.cos(tt)], 1)
                    cv.poly(lens, cq)
            elif kind == 1:  # comb: a bar with teeth
                cv.poly(sh.rect(x - bw * 0.42, y - h * 0.9, x + bw * 0.42, y - h * 0.55), col)
                teeth = 3 + int(ctx.detail * 3)
                for t in range(teeth):
                    tx = x - bw * 0.42 + (t + 0.5) * bw * 0.84 / teeth
                    cv.poly(sh.rect(tx - bw * 0.05, y - h * 0.6, tx + bw * 0.05, y + h * 0.9), col)
            else:  # stacked lozenges
                for q in range(3):
                    cv.poly(sh.diamond((x, y - h * 0.6 + q * h * 0.6), bw * 0.4, h * 0.35), col)
                    cv.poly(sh.diamond((x, y - h * 0.6 + q * h * 0.6), bw * 0.15, h * 0.15), inner)
    _ikat_shift(cv, ctx, int(60 + 100 * ctx.detail), 0.012 + 0.02 * ctx.rng.random())
    return Drawn(["atlas_ikat"], (nb - 2) / 3.0, 0.45, pool[0], "silk")


def _badam_outline(c: tuple[float, float], r: float, ang: float) -> np.ndarray:
    """Paisley/badam outline: a round body drawn up into a tip that bends over to one side."""
    t = np.linspace(0, 2 * np.pi, 140, endpoint=False)
    # teardrop pointing up (-y): radius grows towards the top
    up = np.clip(-np.sin(t), 0, 1)
    rad = r * (1 + 1.3 * up**6)
    x = rad * np.cos(t) * (1 - 0.55 * up**4)
    y = rad * np.sin(t)
    # bend the upper part over to the right, more the higher it is
    h = np.clip(-y / (2.3 * r), 0, 1)
    x = x + r * 1.1 * h**2.2
    y = y + r * 0.35 * h**3
    return sh.rot(np.stack([x, y], 1), ang) + c


def badam(cv: TorusCanvas, ctx: Ctx) -> Drawn:
    """Badam 巴旦木: the almond/teardrop with a curled tip (kin of paisley), outlined in
    bands and filled with small florals, on red or blue."""
    ground = ctx.pick([RED, BLUE, PURPLE, BLACK])
    cv.img[...] = ground
    n = ctx.cells(1, 4)
    body = ctx.pick([SAFFRON, EMERALD, WHITE], avoid=[ground])
    band = ctx.pick([EMERALD, WHITE, SAFFRON, RED], avoid=[ground, body])
    dot = ctx.pick([RED, BLUE, PURPLE], avoid=[ground, body])
    for c in ctx.positions(n):
        r = 0.17 / n
        ang = 0.0 if ctx.layout != "scatter" else ctx.rng.uniform(-0.6, 0.6)
        outer = _badam_outline(c, r * 1.25, ang)
        cv.poly(outer, band)
        inner = _badam_outline(c, r, ang)
        cv.poly(inner, body)
        tip = outer[np.argmin(sh.rot(outer - c, -ang)[:, 1])]
        curl_c = tip + sh.rot(np.array([[r * 0.28, r * 0.12]]), ang)[0]
        cv.polyline(
            sh.spiral(tuple(curl_c), r * 0.3, 1.2, np.pi + ang - 0.5, 30, 1, r * 0.04),
            band,
            r * 0.14,
        )
        # florals inside
        cv.circle(c, r * 0.35, dot)
        for k in range(6):
            a = 2 * np.pi * k / 6
            cv.circle((c[0] + r * 0.6 * np.cos(a), c[1] + r * 0.6 * np.sin(a)), r * 0.12, dot)
        cv.circle(c, r * 0.15, ctx.accent(body))
        if ctx.detail > 0.5:
            for k in range(12):
                a = 2 * np.pi * k / 12
                cv.circle((c[0] + r * 1.12 * np.cos(a), c[1] + r * 1.12 * np.sin(a)), r * 0.05, dot)
    return Drawn(["badam"], (n - 1) / 3.0, layout_symmetry(ctx.layout, 0.7), ground, "silk")


def pomegranate(cv: TorusCanvas, ctx: Ctx) -> Drawn:
    """Pomegranate 石榴: a round fruit with a pointed crown calyx, cut open to show rows of
    seeds, between paired leaves — the Uyghur sign of plenty."""
    ground = ctx.pick([WHITE, BLUE, EMERALD, BLACK])
    cv.img[...] = ground
    red = ctx.c(RED)
    dark = mix(red, (0, 0, 0), 0.4)
    leaf = ctx.c(EMERALD) if ground != ctx.c(EMERALD) else mix(ctx.c(EMERALD), (255,) * 3, 0.4)
    n = ctx.cells(1, 4)
    for c in ctx.positions(n):
        r = 0.26 / n
        for s in (-1, 1):
            outlined(
                cv,
                sh.place(
                    sh.leaf(r * 1.1, r * 0.5, 0.3 * s),
                    (c[0], c[1] + r * 0.8),
                    1,
                    np.pi / 2 + s * 1.0,
                ),
                leaf,
                mix(leaf, (0, 0, 0), 0.3),
                0.002,
            )
        cv.circle(c, r, red)
        cv.circle(c, r, dark, 0.003)
        crown = sh.star((c[0], c[1] - r * 1.0), r * 0.38, r * 0.16, 5, -np.pi / 2)
        cv.poly(crown, ctx.accent(dark))
        # open window of seeds
        cv.ellipse(c, (r * 0.6, r * 0.5), 0, ctx.pick([WHITE, SAFFRON], avoid=[ground]))
        rows = 3 + int(ctx.detail * 2)
        for i in range(rows):
            for j in range(rows):
                x = c[0] + (i - (rows - 1) / 2) * r * 1.0 / rows
                y = c[1] + (j - (rows - 1) / 2) * r * 0.8 / rows
                if ((x - c[0]) / 0.55) ** 2 + ((y - c[1]) / 0.45) ** 2 < r * r:
                    cv.circle((x, y), r * 0.3 / rows, mix(red, (255, 255, 255), 0.15))
    return Drawn(["pomegranate"], (n - 1) / 3.0, layout_symmetry(ctx.layout, 0.9), ground, "silk")


def star_tiling(cv: TorusCanvas, ctx: Ctx) -> Drawn:
    """Eight-pointed star tiling 八角星: stars of two overlapped squares at the grid nodes,
    cross shapes between them, and an interlaced strapwork grid, as in tiles and carpets."""
    ground = ctx.pick([BLUE, RED, WHITE, EMERALD])
    cv.img[...] = ground
    n = ctx.cells(2, 6)
    s = 1.0 / n
    star_c = ctx.pick([SAFFRON, WHITE, RED, EMERALD], avoid=[ground])
    cross_c = ctx.pick([EMERALD, BLUE, PURPLE, RED], avoid=[ground, star_c])
    line = ctx.pick([WHITE, BLACK, SAFFRON], avoid=[ground, star_c])
    for i in range(n):
        for j in range(n):
            c = ((i + 0.5) * s, (j + 0.5) * s)
            st = sh.star(c, s * 0.42, s * 0.42 * 0.76, 8, np.pi / 8)
            outlined(cv, st, star_c, line, 0.003)
            cv.poly(sh.star(c, s * 0.22, s * 0.12, 8, np.pi / 8), ctx.accent(cross_c))
            cc = ((i + 1) * s, (j + 1) * s)
            arm = s * 0.16
            cross = np.array(
                [
                    [-arm, -arm / 2.5],
                    [-arm / 2.5, -arm / 2.5],
                    [-arm / 2.5, -arm],
                    [arm / 2.5, -arm],
                    [arm / 2.5, -arm / 2.5],
                    [arm, -arm / 2.5],
                    [arm, arm / 2.5],
                    [arm / 2.5, arm / 2.5],
                    [arm / 2.5, arm],
                    [-arm / 2.5, arm],
                    [-arm / 2.5, arm / 2.5],
                    [-arm, arm / 2.5],
                ]
            )
            outlined(cv, cross + cc, cross_c, line, 0.002)
            if ctx.detail > 0.5:  # interlace straps linking the stars
                for d in ((1, 0), (0, 1)):
                    a = (c[0] + d[0] * s * 0.42, c[1] + d[1] * s * 0.42)
                    b = (c[0] + d[0] * s * 0.58, c[1] + d[1] * s * 0.58)
                    cv.line(a, b, line, 0.004)
    return Drawn(["eight_pointed_star", "geometric_interlace"], (n - 2) / 4.0, 1.0, ground, "cloth")


def _stepped_lozenge(c: tuple[float, float], r: float, steps: int) -> np.ndarray:
    """A lozenge with stepped (serrated) edges, as woven knots make them in a carpet."""
    pts = []
    for q in range(4):
        for k in range(steps):
            t0 = k / steps
            a = np.array([r * (1 - t0), r * t0])
            b = np.array([r * (1 - t0 - 1 / steps), r * t0])
            for p in (a, b):
                x, y = p
                for _ in range(q):
                    x, y = -y, x
                pts.append((c[0] + x, c[1] + y))
    return np.array(pts)


def carpet_medallion(cv: TorusCanvas, ctx: Ctx) -> Drawn:
    """Carpet medallion 地毯团花 (Khotan carpets): a central stepped lozenge medallion of
    nested serrated layers with a rosette heart, quarter medallions in the corners, and a field
    strewn with small eight-petal flowers."""
    ground = ctx.pick([RED, BLUE, RED])
    cv.img[...] = ground
    n = ctx.cells(1, 2)
    layers = [
        ctx.pick([BLUE, BLACK, EMERALD], avoid=[ground]),
        ctx.c(WHITE),
        ctx.c(SAFFRON),
        ctx.pick([RED, PURPLE, EMERALD], avoid=[ground]),
    ]
    steps = 6 + int(ctx.detail * 6)
    s = 1.0 / n
    for i in range(n):
        for j in range(n):
            c = ((i + 0.5) * s, (j + 0.5) * s)
            for k in range(4):
                cv.poly(_stepped_lozenge(c, s * (0.46 - 0.09 * k), steps), layers[k % 4])
            for pt in sh.rosette_petals(c, s * 0.1, 8, s * 0.06, 0, 0, 0.3):
                cv.poly(pt, ctx.c(WHITE))
            cv.circle(c, s * 0.03, ground)
            # field flowers in the spaces between medallions (the tile corners)
            fc = ((i + 1) * s, (j + 1) * s)
            cv.poly(_stepped_lozenge(fc, s * 0.16, steps // 2), layers[1])
            cv.poly(_stepped_lozenge(fc, s * 0.1, steps // 2), layers[0])
            for dx, dy in ((0.5, 0), (0, 0.5)):
                fp = (c[0] + dx * s, c[1] + dy * s)
                for pt in sh.rosette_petals(fp, s * 0.06, 8, s * 0.03, 0.2, 0, 0.2):
                    cv.poly(pt, layers[2])
    return Drawn(["carpet_medallion", "eight_pointed_star"], (n - 1) / 1.0, 1.0, ground, "cloth")


FAMILIES = [
    Family("atlas_ikat", ("atlas_ikat",), atlas_ikat, borders=False),
    Family("badam", ("badam",), badam),
    Family("pomegranate", ("pomegranate",), pomegranate),
    Family("star_tiling", ("eight_pointed_star",), star_tiling),
    Family("carpet_medallion", ("carpet_medallion",), carpet_medallion),
]
