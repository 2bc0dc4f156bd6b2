"""Dunhuang 敦煌: Mogao cave ceilings and murals, in mineral pigments on aged ground."""

# numpy arrays plus tuples below are vector additions, not concatenations
# ruff: noqa: RUF005

from __future__ import annotations

import numpy as np

from engine.database import shapes as sh
from engine.database.canvas import TorusCanvas
from engine.database.context import Ctx, Drawn, Family, layout_symmetry
from engine.database.families._draw import lotus_rosette, outlined, pearl_band
from engine.database.palette import mix

AZURITE, MALACHITE, CINNABAR, OCHRE = "#2E5E8C", "#4E9A7A", "#B83B2E", "#B5793A"
EARTH_RED, LEAD_WHITE, AGED = "#9C4A3A", "#EFE6D2", "#D9C3A0"


def caisson(cv: TorusCanvas, ctx: Ctx) -> Drawn:
    """Caisson ceiling 藻井: nested square frames around a central lotus rosette, corner
    triangles with cloud curls, frames lined with pearl roundels 联珠纹."""
    n = ctx.cells(1, 3)
    ground = ctx.c(AGED)
    cv.img[...] = ground
    line = ctx.c(EARTH_RED)
    blue, green, red, white = ctx.c(AZURITE), ctx.c(MALACHITE), ctx.c(CINNABAR), ctx.c(LEAD_WHITE)
    s = 1.0 / n
    ox, oy = ctx.rng.random(2) * 0.0
    petals = int(ctx.rng.choice([8, 8, 12, 16]))
    for i in range(n):
        for j in range(n):
            c = ((i + 0.5) * s + ox, (j + 0.5) * s + oy)
            # outer frame band (azurite) with pearls
            outer = sh.rect(c[0] - s / 2, c[1] - s / 2, c[0] + s / 2, c[1] + s / 2)
            cv.poly(outer, blue)
            inner_half = s * 0.40
            cv.poly(
                sh.rect(c[0] - inner_half, c[1] - inner_half, c[0] + inner_half, c[1] + inner_half),
                green,
            )
            # pearls along the frame
            k = 6 + int(6 * ctx.detail)
            for t in (np.arange(k) + 0.5) / k:
                for p in (
                    (c[0] - s / 2 + t * s, c[1] - s * 0.45),
                    (c[0] - s / 2 + t * s, c[1] + s * 0.45),
                    (c[0] - s * 0.45, c[1] - s / 2 + t * s),
                    (c[0] + s * 0.45, c[1] - s / 2 + t * s),
                ):
                    cv.circle(p, s * 0.028, ctx.accent(white))
            # rotated square (diamond) inside, the classic 45° nesting
            d = sh.diamond(c, inner_half, inner_half)
            outlined(cv, d, ground, line, 0.003)
            # corner triangles with cloud curls
            for sx in (-1, 1):
                for sy in (-1, 1):
                    cc = (c[0] + sx * inner_half * 0.62, c[1] + sy * inner_half * 0.62)
                    cv.polyline(sh.spiral(cc, s * 0.07, 1.3, 0, 30, sx * sy, 0.01), red, s * 0.012)
            inner = sh.rect(c[0] - s * 0.25, c[1] - s * 0.25, c[0] + s * 0.25, c[1] + s * 0.25)
            outlined(cv, sh.diamond(c, s * 0.36, s * 0.36), mix(ground, white, 0.4), line, 0.002)
            del inner
            lotus_rosette(
                cv,
                c,
                s * 0.31,
                [red, blue, green][: 2 + int(ctx.detail > 0.5)],
                line,
                petals,
                2 + int(ctx.detail > 0.5),
                np.pi / petals,
                centre=ctx.accent(white),
            )
    return Drawn(
        ["caisson_lotus", "pearl_roundel", "cloud_scroll"],
        (n - 1) / 2.0,
        layout_symmetry("grid", 1.0),
        ground,
        "aged",
    )


def apsaras(cv: TorusCanvas, ctx: Ctx) -> Drawn:
    """Flying apsaras 飞天, rendered abstractly: long tapering ribbons 飘带 in S-curves with
    fluttering forked ends, among small cloud scrolls 卷云."""
    ground = ctx.pick([AGED, OCHRE, LEAD_WHITE])
    cv.img[...] = ground
    line = ctx.c(EARTH_RED)
    cols = [ctx.c(h) for h in (CINNABAR, AZURITE, MALACHITE, LEAD_WHITE)]
    n = ctx.cells(1, 3)
    pts = ctx.positions(n)
    for c in pts:
        ang = ctx.rng.uniform(-0.6, 0.6) + (
            0 if ctx.layout != "scatter" else ctx.rng.uniform(-1, 1)
        )
        L = 0.95 / n
        for k in range(2 + int(ctx.detail * 2)):
            off = (k - 1) * 0.05 / n
            path = sh.s_curve(
                (c[0], c[1] + off), L * (1 - 0.12 * k), 0.12 / n, ang + 0.08 * k, 1.0 + 0.25 * k
            )
            t = np.linspace(0, 1, len(path))
            wdt = 0.035 / n * np.sin(np.pi * t) ** 0.6 * (1 - 0.5 * t)
            col = cols[(k + int(ctx.rng.integers(4))) % 4]
            outlined(cv, sh.ribbon(path, wdt + 1e-4), col, line, 0.0025)
            # fluttering forked end
            tip = path[-1]
            for f in (-1, 1):
                end = tip + sh.rot(np.array([[0.05 / n, f * 0.02 / n]]), ang)[0]
                cv.line(tip, end, col, 0.006 / n + 0.002)
        # a small cloud scroll under the ribbons
        cc = (c[0] + 0.25 / n, c[1] + 0.3 / n)
        for p in sh.ruyi_cloud(0.12 / n):
            cv.polyline(p + cc, ctx.accent(cols[1]), 0.004)
    return Drawn(
        ["apsaras_ribbon", "cloud_scroll"],
        (n - 1) / 2.0,
        layout_symmetry(ctx.layout, 0.35),
        ground,
        "aged",
    )


def honeysuckle(cv: TorusCanvas, ctx: Ctx) -> Drawn:
    """Honeysuckle scroll 忍冬纹: a wavy stem with alternating three-lobed palmette leaves,
    in horizontal borders separated by pearl-roundel bands 联珠纹."""
    ground = ctx.pick([AGED, LEAD_WHITE, OCHRE])
    cv.img[...] = ground
    line = ctx.c(EARTH_RED)
    nb = ctx.cells(1, 3)
    waves = int(ctx.cells(2, 5))
    h = 1.0 / nb
    leafc = [ctx.c(MALACHITE), ctx.c(AZURITE), ctx.c(CINNABAR)]
    for b in range(nb):
        y = (b + 0.5) * h
        band = ctx.c(EARTH_RED) if ctx.rng.random() < 0.3 else ground
        cv.rect_band(y - h * 0.36, y + h * 0.36, band)
        stem = sh.wave_stem(y, h * 0.16, waves, ctx.rng.random() * 6.28)
        scol = ctx.c(AZURITE) if band == ground else ctx.c(LEAD_WHITE)
        cv.polyline(stem, scol, h * 0.025)
        for k in range(2 * waves):
            x = (k + 0.25) / (2 * waves)
            up = 1 if k % 2 == 0 else -1
            yy = y + h * 0.16 * np.sin(2 * np.pi * waves * x + 0)
            base = (x, y + up * h * 0.05)
            col = leafc[k % len(leafc)]
            for j, a in enumerate((-0.9, 0.0, 0.9)):
                ln = h * (0.2 if j == 1 else 0.15)
                lf = sh.leaf(ln, ln * 0.45, curl=0.35 * (1 if a >= 0 else -1))
                outlined(cv, sh.place(lf, base, 1, -up * np.pi / 2 + a * 0.7), col, line, 0.002)
            del yy
        pearl_band(
            cv,
            b * h,
            h * 0.22,
            ctx.c(EARTH_RED),
            ctx.accent(ctx.c(LEAD_WHITE)),
            line,
            int(8 + 16 * ctx.detail),
        )
    return Drawn(["honeysuckle_scroll", "pearl_roundel"], (nb - 1) / 2.0, 0.7, ground, "aged")


def flame_halo(cv: TorusCanvas, ctx: Ctx) -> Drawn:
    """Flame halo 火焰纹: pointed mandorla shapes of nested tongues of flame around a
    lotus-seat disc, with scrolling cloud curls 卷云纹 between them."""
    ground = ctx.pick([AGED, AZURITE, LEAD_WHITE])
    cv.img[...] = ground
    line = ctx.c(EARTH_RED)
    n = ctx.cells(1, 3)
    for c in ctx.positions(n):
        r = 0.36 / n
        cols = [ctx.c(CINNABAR), ctx.c(OCHRE), ctx.c(MALACHITE), ctx.c(LEAD_WHITE)]
        for k in range(3):
            rr = r * (1 - 0.24 * k)
            t = np.linspace(0, 2 * np.pi, 80)
            # flame outline: pointed top, wavy tongues
            rad = rr * (1 + 0.08 * np.sin(9 * t)) * (1 + 0.35 * np.clip(-np.sin(t), 0, 1) ** 4)
            pts = np.stack([c[0] + rad * np.cos(t) * 0.8, c[1] + rad * np.sin(t)], 1)
            outlined(cv, pts, cols[k], line, 0.002)
        cv.circle(c, r * 0.3, ctx.accent(ctx.c(LEAD_WHITE)))
        cv.circle(c, r * 0.3, line, 0.003)
        for p in sh.ruyi_cloud(0.1 / n):
            cv.polyline(p + (c[0] + 0.5 / n, c[1] + 0.45 / n), ctx.accent(ctx.c(AZURITE)), 0.004)
    return Drawn(
        ["flame_halo", "cloud_scroll"],
        (n - 1) / 2.0,
        layout_symmetry(ctx.layout, 0.9),
        ground,
        "aged",
    )


FAMILIES = [
    Family("caisson", ("caisson_lotus", "pearl_roundel"), caisson, 1.3),
    Family("apsaras", ("apsaras_ribbon", "cloud_scroll"), apsaras),
    Family("honeysuckle", ("honeysuckle_scroll", "pearl_roundel"), honeysuckle),
    Family("flame_halo", ("flame_halo", "cloud_scroll"), flame_halo),
]
