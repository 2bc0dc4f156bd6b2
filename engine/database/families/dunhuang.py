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
    line = ctx.outline(ctx.c(EARTH_RED))
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
    """Flying apsaras 飞天, rendered abstractly: bundles of long tapering ribbons 飘带 sweeping
    in S-curves with forked, fluttering ends, scattering flowers, among cloud scrolls 卷云."""
    ground = ctx.ground(ctx.pick([AGED, OCHRE, AZURITE, MALACHITE]))
    cv.img[...] = ground
    line = ctx.outline(ctx.c(EARTH_RED) if ground != ctx.c(EARTH_RED) else ctx.c(LEAD_WHITE))
    cols = [ctx.c(h) for h in (CINNABAR, AZURITE, MALACHITE, LEAD_WHITE, OCHRE)]
    cols = [c for c in cols if c != ground]
    n = ctx.cells(1, 3)
    for c in ctx.positions(n):
        ang = ctx.rng.uniform(-0.5, 0.5) + (
            ctx.rng.uniform(-1, 1) if ctx.layout == "scatter" else 0
        )
        L = 1.05 / n
        ribbons = 3 + int(ctx.detail * 2)
        start = int(ctx.rng.integers(len(cols)))
        for k in range(ribbons):
            off = (k - ribbons / 2) * 0.035 / n
            path = sh.s_curve(
                (c[0], c[1] + off), L * (1 - 0.08 * k), 0.14 / n, ang + 0.06 * k, 1.0 + 0.15 * k
            )
            t = np.linspace(0, 1, len(path))
            wdt = 0.05 / n * np.sin(np.pi * np.clip(t * 1.1, 0, 1)) ** 0.5 * (1 - 0.6 * t) + 1e-4
            col = cols[(start + k) % len(cols)]
            outlined(cv, sh.ribbon(path, wdt), col, line, 0.0025)
            tip = path[-1]
            d = path[-1] - path[-4]
            d = d / (np.linalg.norm(d) + 1e-9)
            nrm = np.array([-d[1], d[0]])
            for f in (-1, 1):  # forked, fluttering tail
                end = tip + d * 0.05 / n + nrm * f * 0.02 / n
                mid = tip + d * 0.025 / n + nrm * f * 0.004 / n
                cv.polyline(np.array([tip, mid, end]), col, 0.008 / n + 0.002)
        # falling flowers the apsaras scatter
        for _ in range(2 + int(ctx.detail * 4)):
            fc = (c[0] + ctx.rng.uniform(-0.45, 0.45) / n, c[1] + ctx.rng.uniform(-0.45, 0.45) / n)
            fr = 0.025 / n + 0.004
            fcol = ctx.accent(cols[int(ctx.rng.integers(len(cols)))])
            for pt in sh.rosette_petals(fc, fr, 4, fr * 0.9, ctx.rng.uniform(0, 3), 0.0, 0.2):
                cv.poly(pt, fcol)
            cv.circle(fc, fr * 0.25, line)
        cc = (c[0] + 0.3 / n, c[1] + 0.32 / n)
        for p in sh.ruyi_cloud(0.14 / n):
            cv.polyline(p + cc, ctx.accent(cols[1 % len(cols)]), 0.005)
    return Drawn(
        ["apsaras_ribbon", "cloud_scroll"],
        (n - 1) / 2.0,
        layout_symmetry(ctx.layout, 0.35),
        ground,
        "aged",
    )


def _palmette(
    cv: TorusCanvas,
    base: tuple[float, float],
    ang: float,
    size: float,
    col: tuple[int, int, int],
    line: tuple[int, int, int],
    lobes: int,
) -> None:
    """A half-palmette of honeysuckle: lobes fanning from one point, curling back at the tips."""
    for j in range(lobes):
        a = ang + (j - (lobes - 1) / 2) * (1.5 / lobes)
        ln = size * (1.0 if j == lobes // 2 else 0.8)
        curl = 0.5 * (1 if j >= lobes / 2 else -1)
        lf = sh.leaf(ln, ln * 0.42, curl=curl)
        outlined(cv, sh.place(lf, base, 1, a), col, line, 0.002)


def honeysuckle(cv: TorusCanvas, ctx: Ctx) -> Drawn:
    """Honeysuckle scroll 忍冬纹: a wavy stem whose every bay holds a three- or four-lobed
    half-palmette curling back, alternating up and down, in horizontal borders separated by
    pearl-roundel bands 联珠纹."""
    ground = ctx.pick([AGED, LEAD_WHITE, OCHRE])
    cv.img[...] = ground
    line = ctx.outline(ctx.c(EARTH_RED))
    nb = ctx.cells(1, 3)
    waves = ctx.cells(2, 4)
    h = 1.0 / nb
    leafc = [ctx.c(MALACHITE), ctx.c(AZURITE), ctx.c(CINNABAR)]
    lobes = 3 + int(ctx.detail > 0.5)
    for b in range(nb):
        y = (b + 0.5) * h
        band = ctx.pick([EARTH_RED, AZURITE]) if ctx.rng.random() < 0.35 else ground
        cv.rect_band(y - h * 0.39, y + h * 0.39, band)
        phase = ctx.rng.random() * 2 * np.pi
        amp = h * 0.12
        stem = sh.wave_stem(y, amp, waves, phase)
        scol = ctx.c(AZURITE) if band == ground else ctx.c(LEAD_WHITE)
        cv.polyline(stem, scol, h * 0.03)
        for k in range(2 * waves):
            # extremes of the stem: sin = +1 (lowest) then -1 (highest)
            x = ((np.pi / 2 + np.pi * k - phase) / (2 * np.pi * waves)) % 1.0
            down = k % 2 == 0  # stem at its lowest: the palmette rises into the bay above
            yy = y + (amp if down else -amp)
            ang = -np.pi / 2 if down else np.pi / 2
            col = leafc[k % len(leafc)] if band == ground else ctx.c(LEAD_WHITE)
            _palmette(cv, (x, yy), ang + (0.35 if down else -0.35), h * 0.3, col, line, lobes)
            cv.circle((x, yy), h * 0.025, ctx.accent(scol))
        pearl_band(
            cv,
            b * h,
            h * 0.2,
            ctx.c(EARTH_RED),
            ctx.accent(ctx.c(LEAD_WHITE)),
            line,
            8 + int(16 * ctx.detail),
        )
    return Drawn(["honeysuckle_scroll", "pearl_roundel"], (nb - 1) / 2.0, 0.7, ground, "aged")


def _mandorla(c: tuple[float, float], w: float, h: float) -> np.ndarray:
    """A flame-shaped mandorla: round below, drawn up to an ogee point at the top."""
    t = np.linspace(0, 2 * np.pi, 90, endpoint=False)
    x = w * np.sin(t)
    y = -h * np.cos(t)
    top = np.cos(t) > 0
    x = np.where(top, x * (1 - 0.55 * np.cos(t) ** 3), x)
    y = np.where(top, y * (1 + 0.35 * np.cos(t) ** 6), y)
    return np.stack([x + c[0], y + c[1]], 1)


def flame_halo(cv: TorusCanvas, ctx: Ctx) -> Drawn:
    """Flame halo 火焰纹: nested flame-shaped mandorlas drawn up to a point, rimmed by curling
    tongues of fire, around a lotus-seat disc, with cloud scrolls 卷云纹 between them."""
    ground = ctx.ground(ctx.pick([AGED, AZURITE, LEAD_WHITE, MALACHITE]))
    cv.img[...] = ground
    line = ctx.outline(ctx.c(EARTH_RED))
    n = ctx.cells(1, 3)
    fire = [ctx.c(CINNABAR), ctx.c(OCHRE), ctx.c(LEAD_WHITE), ctx.c(MALACHITE), ctx.c(AZURITE)]
    for c in ctx.positions(n):
        w, hgt = 0.26 / n, 0.38 / n
        cc = (c[0], c[1] + 0.05 / n)
        # tongues of flame round the rim, curling upwards
        tongues = 12 + int(ctx.detail * 10)
        rim = _mandorla(cc, w, hgt)
        for k in range(tongues):
            p = rim[(k * len(rim)) // tongues]
            out = np.arctan2(p[1] - cc[1], p[0] - cc[0])
            a = out * 0.6 - np.pi / 2 * 0.4
            lf = sh.leaf(0.07 / n, 0.035 / n, curl=0.6 * np.sign(p[0] - cc[0] + 1e-9))
            outlined(cv, sh.place(lf, tuple(p), 1, a), ctx.accent(fire[k % 2]), line, 0.0015)
        for k in range(3):
            f = 1 - 0.25 * k
            outlined(
                cv,
                _mandorla(cc, w * f, hgt * f),
                fire[k + (1 if ground == fire[k] else 0)],
                line,
                0.002,
            )
        cv.circle((cc[0], cc[1] + hgt * 0.25), w * 0.38, ctx.accent(ctx.c(LEAD_WHITE)))
        cv.circle((cc[0], cc[1] + hgt * 0.25), w * 0.38, line, 0.003)
        for k in range(5):  # lotus seat
            a = np.pi / 2 + (k - 2) * 0.5
            outlined(
                cv,
                sh.place(
                    sh.petal(w * 0.55, w * 0.3, 0.7), (cc[0], cc[1] + hgt * 0.75), 1, a - np.pi
                ),
                fire[3],
                line,
                0.002,
            )
        for p in sh.ruyi_cloud(0.12 / n):
            cv.polyline(p + (c[0] + 0.5 / n, c[1] + 0.45 / n), ctx.accent(ctx.c(AZURITE)), 0.005)
    return Drawn(
        ["flame_halo", "cloud_scroll"],
        (n - 1) / 2.0,
        layout_symmetry(ctx.layout, 0.9),
        ground,
        "aged",
    )


def _curl_path(
    base: tuple[float, float], ang: float, length: float, sgn: int, turn: float, n: int = 40
) -> np.ndarray:
    """A curve that leaves `base` along `ang` and curls ever tighter: the spine of a
    curling acanthus leaf (clothoid-like: curvature grows along the curve)."""
    t = np.linspace(0, 1, n)
    theta = ang + sgn * 2 * np.pi * turn * t**2
    step = length / (n - 1)
    xy = np.cumsum(np.stack([np.cos(theta), np.sin(theta)], 1) * step, 0)
    return xy - xy[0] + base


def scrolling_vine(cv: TorusCanvas, ctx: Ctx) -> Drawn:
    """Tang scrolling vine 卷草纹: a lush S-scroll whose stem curls into spirals, clothed in
    big curling acanthus-like leaves shaded in nested bands of one hue (叠晕)."""
    ground = ctx.ground(ctx.pick([AGED, LEAD_WHITE, AZURITE]))
    cv.img[...] = ground
    line = ctx.outline(ctx.c(EARTH_RED))
    nb = ctx.cells(1, 2)
    waves = ctx.cells(1, 3)
    h = 1.0 / nb
    hues = [ctx.c(MALACHITE), ctx.c(AZURITE), ctx.c(CINNABAR), ctx.c(OCHRE)]
    hues = [c for c in hues if c != ground]
    for b in range(nb):
        y = (b + 0.5) * h
        phase = ctx.rng.random() * 2 * np.pi
        amp = h * 0.2
        stem = sh.wave_stem(y, amp, waves, phase)
        cv.polyline(stem, ctx.accent(ctx.c(OCHRE)), h * 0.035)
        for k in range(2 * waves):
            x = ((np.pi / 2 + np.pi * k - phase) / (2 * np.pi * waves)) % 1.0
            down = k % 2 == 0
            yy = y + (amp if down else -amp)
            sgn = -1 if down else 1
            hue = hues[k % len(hues)]
            tones = [
                mix(hue, (0, 0, 0), 0.2),
                hue,
                mix(hue, (255, 255, 255), 0.35),
                mix(hue, (255, 255, 255), 0.65),
            ][: 2 + int(ctx.detail * 2)]
            big = h * 0.55
            ang = np.pi / 2 * sgn * -1 + sgn * 0.5
            for length, a_off, turn in ((big, 0.0, 1.6), (big * 0.6, -sgn * 1.1, 1.2)):
                path = _curl_path((x, yy), ang + a_off, length, -sgn, turn)
                t = np.linspace(0, 1, len(path))
                wmax = length * 0.32
                for k, col in enumerate(tones):
                    f = 1.0 - 0.3 * k
                    wdt = wmax * f * np.sin(np.pi * np.clip(t * 1.05, 0, 1)) ** 0.7 * (1 - 0.5 * t)
                    band = sh.ribbon(path, wdt + 1e-4)
                    cv.poly(band, col)
                    if k == 0:
                        cv.polyline(np.concatenate([band, band[:1]]), line, 0.0018)
            # the stem curls into a spiral tendril in the bay
            tc = (x + 0.5 / (2 * waves) * 0.6, yy + sgn * amp * 0.2)
            cv.polyline(
                sh.spiral(tc, h * 0.09, 1.3, 0.0, 40, 1, h * 0.01),
                ctx.accent(ctx.c(OCHRE)),
                h * 0.02,
            )
            small = h * 0.2
            cv.poly(sh.place(sh.leaf(small, small * 0.45, -0.5 * sgn), tc, 1, ang + 2.2), tones[0])
    return Drawn(["scrolling_vine"], (nb - 1) / 1.0, 0.6, ground, "aged")


FAMILIES = [
    Family("caisson", ("caisson_lotus", "pearl_roundel"), caisson),
    Family("apsaras", ("apsaras_ribbon", "cloud_scroll"), apsaras),
    Family("honeysuckle", ("honeysuckle_scroll", "pearl_roundel"), honeysuckle, borders=False),
    Family("flame_halo", ("flame_halo", "cloud_scroll"), flame_halo),
    Family("scrolling_vine", ("scrolling_vine",), scrolling_vine),
]
