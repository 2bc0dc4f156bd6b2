"""Miao 苗族: cross-stitch 挑花 on black, the butterfly mother, vortex spirals, indigo batik."""

# numpy arrays plus tuples below are vector additions, not concatenations
# ruff: noqa: RUF005

from __future__ import annotations

import cv2
import numpy as np

from engine.database import shapes as sh
from engine.database.canvas import TorusCanvas
from engine.database.context import Ctx, Drawn, Family, layout_symmetry
from engine.database.families._draw import boss, outlined
from engine.database.palette import RGB, mix

RED, BLACK, MAGENTA, GREEN = "#C8102E", "#1A1A1A", "#C2185B", "#2E7D32"
YELLOW, INDIGO, WHITE = "#F2C12E", "#23395B", "#F1F1EE"


def _stitch_grid(cv: TorusCanvas, idx: np.ndarray, cols: list[RGB]) -> None:
    """Render an m x m grid of colour indices (0 = ground, skip) as X cross-stitches."""
    m = idx.shape[0]
    k = cv.S // m
    tpl = np.zeros((k * 4, k * 4), np.uint8)
    w = max(1, round(k * 4 * 0.2))
    cv2.line(tpl, (w, w), (k * 4 - w, k * 4 - w), 255, w, cv2.LINE_AA)
    cv2.line(tpl, (k * 4 - w, w), (w, k * 4 - w), 255, w, cv2.LINE_AA)
    tpl = cv2.resize(tpl, (k, k), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    big = np.repeat(np.repeat(idx, k, 0), k, 1)
    a = np.tile(tpl, (m, m)) * (big > 0)
    pal = np.array([(0, 0, 0), *cols], np.float32)
    col = pal[big]
    S = m * k
    # the counted grid is laid in tile coordinates: move it with the canvas origin
    sh_ = (round(cv.origin[1] * S), round(cv.origin[0] * S))
    a = np.roll(a, sh_, axis=(0, 1))
    col = np.roll(col, sh_, axis=(0, 1))
    sub = cv.img[:S, :S].astype(np.float32)
    cv.img[:S, :S] = (sub * (1 - a[..., None]) + col * a[..., None] + 0.5).astype(np.uint8)


def _stitch_cells(cv: TorusCanvas, choices: tuple[int, ...]) -> int:
    """Stitches per tile side: the first choice that divides the canvas, else the divisor
    nearest the first choice (the grid must fill the tile exactly to wrap)."""
    for m in choices:
        if cv.S % m == 0:
            return m
    divs = [d for d in range(8, cv.S + 1) if cv.S % d == 0]
    return min(divs, key=lambda d: abs(d - choices[0]))


def cross_stitch(cv: TorusCanvas, ctx: Ctx) -> Drawn:
    """Miao cross-stitch 挑花: X-stitches on a counted grid forming diamond lattices 菱形纹
    with eight-pointed stars in the diamonds and zigzag rows, bright threads on black."""
    ground = ctx.c(BLACK) if ctx.rng.random() < 0.8 else ctx.c(INDIGO)
    cv.img[...] = ground
    reps = ctx.cells(1, 3)
    choices = {1: (32, 40, 24, 48), 2: (48, 40, 64, 32), 3: (72, 64, 48, 96)}[reps]
    m = _stitch_cells(cv, choices)
    P = m / reps
    i, j = np.mgrid[0:m, 0:m].astype(float)
    x = (i % P) - P / 2 + 0.5
    y = (j % P) - P / 2 + 0.5
    ax, ay = np.abs(x), np.abs(y)
    d = ax + ay
    cols = [ctx.c(RED), ctx.c(YELLOW), ctx.c(GREEN), ctx.c(MAGENTA), ctx.c(WHITE)]
    if ctx.rng.random() < 0.5:
        cols[1], cols[3] = cols[3], cols[1]
    idx = np.zeros((m, m), np.int32)

    def star8(ax_: np.ndarray, ay_: np.ndarray, r: float) -> np.ndarray:
        return (np.maximum(ax_, ay_) <= r) | (ax_ + ay_ <= r * 1.5)

    a = P * 0.17
    star = star8(ax, ay, a)
    idx[star] = 1  # the eight-pointed star, solid red
    if ctx.detail > 0.3:  # a thread cross through its points
        idx[star & ((ax < 0.6) | (ay < 0.6)) & (d > a * 0.6)] = 5
    idx[star8(ax, ay, a * 0.55) & ~star8(ax, ay, a * 0.3)] = 2
    idx[d <= 0.5] = 5
    idx[(d >= P * 0.3) & (d < P * 0.3 + 1.5)] = 3  # a solid diamond ring
    teeth = (d >= P * 0.37) & (d < P * 0.37 + 1.5) & ((i + j) % 2 == 0)
    idx[teeth] = 4  # a toothed (zigzag) ring
    idx[np.abs(d - P / 2) < 0.75] = 5 if ctx.detail > 0.4 else 2  # the lattice
    # small stars in the corners between diamonds
    cx_, cy_ = P / 2 - ax, P / 2 - ay
    small = star8(cx_, cy_, P * 0.07) & (d > P / 2 + 0.75)
    idx[small] = 2 if ctx.detail > 0.4 else 4
    if ctx.detail > 0.6:  # hooks along the ring
        hook = (np.abs(d - P * 0.44) < 0.6) & ((ax < 1.5) | (ay < 1.5))
        idx[hook] = 1
    _stitch_grid(cv, idx, cols)
    if ctx.gold > 0 and ctx.metal is not None:  # silver bosses on the diamond corners
        for c in ctx.positions(reps, "grid"):
            boss(cv, c, 0.02 + 0.04 * ctx.gold / reps, ctx.metal)
    silver = ["silver_ornament"] if ctx.gold > 0 and ctx.metal is not None else []
    return Drawn(
        ["diamond_cross_stitch", "zigzag_band", *silver], (reps - 1) / 2.0, 1.0, ground, "cloth"
    )


def butterfly(cv: TorusCanvas, ctx: Ctx) -> Drawn:
    """Butterfly mother 蝴蝶妈妈: a mirror-symmetric butterfly with patterned wings (eye
    rings, dots) and spiral-tipped antennae, the mythic ancestor of Miao embroidery."""
    ground = ctx.pick([BLACK, BLACK, INDIGO, RED])
    cv.img[...] = ground
    n = ctx.cells(1, 3)
    wc = [ctx.c(h) for h in (RED, MAGENTA, YELLOW, GREEN, WHITE)]
    wc = [c for c in wc if c != ground]
    line = ctx.c(WHITE) if ground != ctx.c(WHITE) else ctx.c(BLACK)
    for c in ctx.positions(n):
        s = 0.42 / n
        ang = 0.0 if ctx.layout != "scatter" else ctx.rng.uniform(-0.5, 0.5)
        a, b, e = (wc[int(ctx.rng.integers(len(wc)))] for _ in range(3))
        for side in (-1, 1):
            up = sh.petal(s * 0.95, s * 0.7, 0.1)
            up = sh.place(up * (side, 1), c, 1, 0) if False else up
            up = sh.rot(up, -np.pi / 2 + side * 1.05 + ang) + c
            outlined(cv, up, a, line, 0.003)
            eye = sh.rot(np.array([[s * 0.55, 0.0]]), -np.pi / 2 + side * 1.05 + ang)[0] + c
            cv.circle(eye, s * 0.16, e)
            cv.circle(eye, s * 0.08, ctx.accent(line))
            lo = sh.petal(s * 0.62, s * 0.5, 0.2)
            lo = sh.rot(lo, np.pi / 2 - side * 0.75 + ang) + c
            outlined(cv, lo, b, line, 0.003)
            if ctx.detail > 0.4:
                for t in (0.3, 0.5, 0.7):
                    p = (
                        sh.rot(
                            np.array([[s * 0.5 * t + s * 0.1, 0.0]]), np.pi / 2 - side * 0.75 + ang
                        )[0]
                        + c
                    )
                    cv.circle(p, s * 0.035, e)
            # spiral antenna
            tip = sh.rot(np.array([[s * 0.75, 0.0]]), -np.pi / 2 + side * 0.35 + ang)[0] + c
            cv.line(c, tip, line, 0.004)
            cv.polyline(
                sh.spiral(
                    tip + (side * s * 0.08, 0),
                    s * 0.09,
                    1.4,
                    np.pi if side > 0 else 0.0,
                    30,
                    side,
                    0.005,
                ),
                line,
                0.004,
            )
        body = sh.rot(np.array(sh.ring((0, 0), s * 0.42, 24, s * 0.07)), np.pi / 2 + ang) + c
        outlined(cv, body, ctx.accent(e), line, 0.003)
    return Drawn(
        ["butterfly_mother"],
        (n - 1) / 2.0,
        layout_symmetry(ctx.layout, 1.0),
        ground,
        "cloth",
    )


def vortex(cv: TorusCanvas, ctx: Ctx) -> Drawn:
    """Vortex spirals 漩涡纹 with bronze-drum suns 铜鼓纹: multi-armed whirls and a star in
    concentric rings, in embroidery colours on black."""
    ground = ctx.pick([BLACK, INDIGO])
    cv.img[...] = ground
    n = ctx.cells(1, 4)
    cols = [ctx.c(h) for h in (RED, YELLOW, GREEN, MAGENTA, WHITE)]
    for k, c in enumerate(ctx.positions(n)):
        r = 0.4 / n
        col = cols[k % len(cols)]
        if (k + int(ctx.detail * 3)) % 3 == 2:  # bronze-drum sun
            for q in range(3):
                cv.circle(c, r * (1 - 0.18 * q), cols[(k + q) % 5], r * 0.05)
            cv.poly(sh.star(c, r * 0.55, r * 0.2, 12), ctx.accent(cols[(k + 1) % 5]))
            cv.circle(c, r * 0.15, ground)
            continue
        arms = 2 if ctx.detail < 0.5 else 3
        for a in range(arms):
            cv.polyline(
                sh.spiral(c, r, 1.5, 2 * np.pi * a / arms, 60, 1, r * 0.05),
                cols[(k + a) % len(cols)],
                r * 0.12,
            )
        cv.circle(c, r * 0.1, ctx.accent(col))
    return Drawn(
        ["vortex_spiral", "bronze_drum_sun"],
        (n - 1) / 3.0,
        layout_symmetry(ctx.layout, 0.6),
        ground,
        "cloth",
    )


def batik(cv: TorusCanvas, ctx: Ctx) -> Drawn:
    """Indigo batik 蜡染: white wax-resist spirals and bronze-drum suns on indigo, crossed by
    the fine dark crackle veins 冰纹 of cracked wax."""
    ground = ctx.c(INDIGO)
    white = ctx.c(WHITE)
    cv.img[...] = ground
    n = ctx.cells(1, 3)
    for k, c in enumerate(ctx.positions(n, "grid" if ctx.layout == "grid" else "half_drop")):
        r = 0.42 / n
        cv.circle(c, r, white, r * 0.05)
        cv.circle(c, r * 0.86, white, r * 0.025)
        for t in np.linspace(0, 2 * np.pi, 24, endpoint=False):  # dotted ring
            cv.circle((c[0] + r * 0.93 * np.cos(t), c[1] + r * 0.93 * np.sin(t)), r * 0.025, white)
        if k % 2 == 0 or ctx.detail > 0.6:
            cv.poly(sh.star(c, r * 0.7, r * 0.3, 8 + 4 * int(ctx.detail > 0.5)), white)
            cv.circle(c, r * 0.22, ground)
            cv.circle(c, r * 0.12, white)
        else:
            for a in range(4):
                cv.polyline(
                    sh.spiral(c, r * 0.7, 1.3, np.pi / 2 * a, 50, 1, r * 0.05), white, r * 0.07
                )
        # leaf sprays between the medallions
        for a in range(4):
            p = sh.place(
                sh.leaf(r * 0.5, r * 0.2, 0.2),
                (c[0] + 0.5 / n, c[1] + 0.5 / n),
                1,
                np.pi / 2 * a + np.pi / 4,
            )
            cv.poly(p, white)
    # crackle: wandering dark veins through the wax
    vein = mix(ground, (0, 0, 0), 0.2)
    for _ in range(int(14 + 30 * ctx.detail)):
        p0 = ctx.rng.random(2)
        ang = ctx.rng.uniform(0, np.pi * 2)
        steps = ctx.rng.normal(0, 0.5, 12).cumsum() + ang
        pts = p0 + np.cumsum(np.stack([np.cos(steps), np.sin(steps)], 1) * 0.02, 0)
        cv.polyline(pts, vein, 0.0025)
    if ctx.gold > 0 and ctx.metal is not None:
        for c in ctx.positions(n, "grid"):
            boss(cv, (c[0] + 0.5 / n, c[1] + 0.5 / n), 0.015 + 0.05 * ctx.gold / n, ctx.metal)
    silver = ["silver_ornament"] if ctx.gold > 0 and ctx.metal is not None else []
    return Drawn(
        ["batik_crackle", "bronze_drum_sun", "vortex_spiral", *silver],
        (n - 1) / 2.0,
        layout_symmetry("grid", 0.9),
        ground,
        "cloth",
    )


FAMILIES = [
    Family("cross_stitch", ("diamond_cross_stitch",), cross_stitch),
    Family("butterfly", ("butterfly_mother",), butterfly),
    Family("vortex", ("vortex_spiral", "bronze_drum_sun"), vortex),
    Family("batik", ("batik_crackle",), batik),
]
