"""Lingnan 岭南 (Guangdong): kapok flowers, lychee clusters, banana leaves, Manchurian
window panes."""

# numpy arrays plus tuples below are vector additions, not concatenations

from __future__ import annotations

import numpy as np

from engine.database import shapes as sh
from engine.database.canvas import TorusCanvas
from engine.database.context import Ctx, Drawn, Family, layout_symmetry
from engine.database.families._draw import outlined
from engine.database.palette import mix

KAPOK, LYCHEE, JADE, BROWN, TURQ, WHITE = (
    "#C8342B",
    "#B3242E",
    "#2E8B57",
    "#3B2A22",
    "#1FA39B",
    "#FAFAF5",
)


def kapok(cv: TorusCanvas, ctx: Ctx) -> Drawn:
    """Kapok 木棉花: five thick fleshy red petals opening in a cup around a tuft of stamens,
    on bare dark branches (the flower blooms before the leaves)."""
    ground = ctx.ground(ctx.pick([WHITE, BROWN, TURQ]))
    cv.img[...] = ground
    red = ctx.c(KAPOK)
    dark = ctx.outline(mix(red, (0, 0, 0), 0.35))
    branch = ctx.c(BROWN) if ground != ctx.c(BROWN) else mix(ctx.c(BROWN), (255, 255, 255), 0.25)
    n = ctx.cells(1, 4)
    for c in ctx.positions(n):
        r = 0.3 / n
        ang = ctx.rng.uniform(0, 2 * np.pi)
        # a branch through the flower
        p0 = np.array(c) + sh.rot(np.array([[-0.9 * 1.5 * r, 0.5 * r]]), ang)[0]
        p1 = np.array(c) + sh.rot(np.array([[0.0, 0.0]]), ang)[0]
        cv.line(p0, p1, branch, r * 0.12)
        for k in range(5):
            a = ang + 2 * np.pi * k / 5
            pt = sh.place(sh.petal(r, r * 0.62, 0.15), c, 1, a)
            outlined(cv, pt, red, dark, 0.003)
            cv.line(
                np.array(c) + 0.2 * r * np.array([np.cos(a), np.sin(a)]),
                np.array(c) + 0.8 * r * np.array([np.cos(a), np.sin(a)]),
                dark,
                0.002,
            )
        cv.circle(c, r * 0.22, ctx.accent(mix(red, (255, 220, 120), 0.55)))
        for k in range(12 if ctx.detail > 0.4 else 6):
            a = 2 * np.pi * k / 12
            cv.circle(
                (c[0] + r * 0.2 * np.cos(a), c[1] + r * 0.2 * np.sin(a)),
                r * 0.04,
                ctx.accent(mix(red, (255, 230, 140), 0.7)),
            )
        # a bud
        b = np.array(c) + sh.rot(np.array([[-0.55 * 1.5 * r, 0.3 * r]]), ang)[0]
        cv.ellipse(b, (r * 0.16, r * 0.1), np.degrees(ang), dark)
    return Drawn(["kapok"], (n - 1) / 3.0, layout_symmetry(ctx.layout, 0.7), ground, "silk")


def lychee(cv: TorusCanvas, ctx: Ctx) -> Drawn:
    """Lychee 荔枝 clusters: round red fruits with a bumpy, scaly rind (dotted ring of tubercles)
    hanging in bunches among slender jade-green leaves."""
    ground = ctx.ground(ctx.pick([WHITE, BROWN, JADE]))
    cv.img[...] = ground
    red = ctx.c(LYCHEE)
    dark = mix(red, (0, 0, 0), 0.4)
    leafc = ctx.c(JADE) if ground != ctx.c(JADE) else mix(ctx.c(JADE), (255, 255, 255), 0.35)
    n = ctx.cells(1, 4)
    for c in ctx.positions(n):
        r = 0.09 / n
        ang = ctx.rng.uniform(-0.8, 0.8)
        for k in range(3):
            lf = sh.leaf(r * 4.5, r * 1.3, 0.2)
            outlined(
                cv,
                sh.place(lf, (c[0], c[1] - r * 2), 1, -np.pi / 2 + ang + (k - 1) * 0.8),
                leafc,
                mix(leafc, (0, 0, 0), 0.3),
                0.002,
            )
        m = 5 + int(ctx.detail * 4)
        for k in range(m):
            a = k * 2.4
            rr = r * 1.3 * np.sqrt(k)
            p = (c[0] + rr * np.cos(a), c[1] + rr * np.sin(a) * 0.8 + r)
            cv.line((c[0], c[1] - r * 2), p, dark, 0.002)
            cv.circle(p, r, red)
            cv.circle(p, r, dark, 0.0025)
            for t in np.linspace(0, 2 * np.pi, 9, endpoint=False):  # bumpy rind
                cv.circle(
                    (p[0] + r * 0.55 * np.cos(t + k), p[1] + r * 0.55 * np.sin(t + k)),
                    r * 0.12,
                    dark,
                )
            cv.circle(
                (p[0] - r * 0.35, p[1] - r * 0.35),
                r * 0.18,
                ctx.accent(mix(red, (255, 255, 255), 0.4)),
            )
    return Drawn(["lychee"], (n - 1) / 3.0, layout_symmetry(ctx.layout, 0.4), ground, "silk")


def banana_leaf(cv: TorusCanvas, ctx: Ctx) -> Drawn:
    """Banana leaves 芭蕉: huge broad oblong leaves with blunt tips, a strong midrib and close
    parallel side veins, split into tatters along the veins, overlapping on a diagonal, as in
    Lingnan garden painting and Canton embroidery."""
    ground = ctx.pick([WHITE, BROWN, TURQ])
    cv.img[...] = ground
    n = ctx.cells(1, 3)
    greens = [
        ctx.c(JADE),
        mix(ctx.c(JADE), (255, 255, 255), 0.25),
        mix(ctx.c(JADE), (0, 0, 0), 0.25),
    ]
    layout = "scatter" if ctx.layout == "scatter" else "half_drop"
    for k, c in enumerate(ctx.positions(n, layout)):
        ang = -np.pi / 4 + ctx.rng.uniform(-0.5, 0.5) + (np.pi if k % 2 else 0)
        L = 1.1 / n
        W = L * 0.42
        col = greens[k % 3]
        vein = mix(col, (0, 0, 0), 0.3)
        light = mix(col, (255, 255, 255), 0.25)
        blade = sh.petal(L, W, 0.0) - (L / 2, 0)
        pts = sh.place(blade, c, 1, ang)
        outlined(cv, pts, col, vein, 0.002)
        # one half of the blade a shade lighter: the fold along the midrib catches light
        half = blade[: len(blade) // 2 + 1]
        cv.poly(sh.place(np.concatenate([half, [[L / 2, 0.0], [-L / 2, 0.0]]]), c, 1, ang), light)
        nv = int(14 + 22 * ctx.detail)
        segs = []
        for i in range(1, nv):
            x = -L / 2 + L * i / nv
            hw = W / 2 * np.sin(np.pi * i / nv) ** 0.9 * 0.97
            for sgn in (-1, 1):
                segs.append(sh.place(np.array([[x, 0.0], [x + hw * 0.35, sgn * hw]]), c, 1, ang))
        cv.polylines(segs, vein, 0.0012)
        for _ in range(int(2 + 4 * ctx.detail)):  # tatters: splits along the veins
            i = int(ctx.rng.integers(2, nv - 2))
            x = -L / 2 + L * i / nv
            hw = W / 2 * np.sin(np.pi * i / nv) ** 0.9
            sgn = 1 if ctx.rng.random() < 0.5 else -1
            depth = ctx.rng.uniform(0.3, 0.8)
            tear = np.array(
                [
                    [x + hw * 0.35 * (1 - depth), sgn * hw * (1 - depth)],
                    [x + hw * 0.35 * 1.05, sgn * hw * 1.05],
                ]
            )
            cv.polyline(sh.place(tear, c, 1, ang), ground, 0.004)
        mid = sh.place(np.array([[-L / 2 - L * 0.15, 0], [L / 2 - L * 0.02, 0]]), c, 1, ang)
        cv.polyline(mid, ctx.accent(mix(col, (255, 255, 200), 0.45)), 0.006)
    return Drawn(["banana_leaf"], (n - 1) / 2.0, 0.2, ground, "silk")


def manchurian_window(cv: TorusCanvas, ctx: Ctx) -> Drawn:
    """Manchurian window 满洲窗: coloured glass panes (red, turquoise, jade, gold, white) set in
    a dark geometric timber lattice with an octagonal centre and corner diamonds."""
    frame = ctx.c(BROWN)
    cv.img[...] = frame
    n = ctx.cells(1, 3)
    s = 1.0 / n
    glass = [ctx.c(KAPOK), ctx.c(TURQ), ctx.c(JADE), ctx.c(WHITE), ctx.c("#26619C")]
    w = s * 0.025
    for i in range(n):
        for j in range(n):
            x0, y0 = i * s + s * 0.5, j * s + s * 0.5
            c = (x0 + s / 2, y0 + s / 2)
            g = int(ctx.rng.integers(5))
            m = 3 if ctx.detail < 0.5 else 4
            q = (s - w) / m
            for a in range(m):
                for b in range(m):
                    col = glass[(a + b + g) % len(glass)]
                    col = ctx.accent(col) if (a + b) % 3 == 0 else col
                    cv.poly(
                        sh.rect(x0 + w + a * q, y0 + w + b * q, x0 + (a + 1) * q, y0 + (b + 1) * q),
                        col,
                    )
            octa = sh.ring(c, s * 0.26, 8, a0=np.pi / 8)
            outlined(cv, octa, glass[(g + 3) % 5], frame, w)
            cv.circle(c, s * 0.1, glass[(g + 1) % 5])
            cv.circle(c, s * 0.1, frame, w * 0.6)
            for sx in (-1, 1):  # corner diamonds
                for sy in (-1, 1):
                    d = sh.diamond((c[0] + sx * s * 0.36, c[1] + sy * s * 0.36), s * 0.07, s * 0.07)
                    outlined(cv, d, glass[(g + 2) % 5], frame, w * 0.6)
            # a faint frosted flower etched on the glass
            if ctx.detail > 0.4:
                for k in range(6):
                    pa = 2 * np.pi * k / 6
                    p = sh.place(sh.petal(s * 0.08, s * 0.04), c, 1, pa)
                    cv.polyline(
                        np.concatenate([p, p[:1]]),
                        mix(glass[(g + 1) % 5], (255, 255, 255), 0.5),
                        0.002,
                    )
    return Drawn(["manchurian_window"], (n - 1) / 2.0, 1.0, frame, "none")


def xiangyunsha(cv: TorusCanvas, ctx: Ctx) -> Drawn:
    """Xiangyunsha 香云纱: yam-dyed silk lacquered black-brown on the face, with faint
    tone-on-tone jacquard motifs (small florals and cloud sprigs) and the glossy mottled
    sheen of the mud-coated finish."""
    ground = ctx.c(BROWN)
    cv.img[...] = ground
    tone = mix(ground, (255, 235, 200), 0.12 + 0.08 * ctx.detail)
    dark = mix(ground, (0, 0, 0), 0.25)
    n = ctx.cells(2, 6)
    for k, c in enumerate(ctx.positions(n)):
        r = 0.28 / n
        if k % 2 == 0:
            for pt in sh.rosette_petals(c, r, 5, r * 0.8, ctx.rng.uniform(0, 1), r * 0.15, 0.1):
                cv.poly(pt, tone)
            cv.circle(c, r * 0.18, dark)
        else:
            for p in sh.ruyi_cloud(r * 1.4):
                cv.polyline(p + c, tone, 0.004)
    return Drawn(["xiangyunsha"], (n - 2) / 4.0, layout_symmetry(ctx.layout, 0.7), ground, "silk")


FAMILIES = [
    Family("kapok", ("kapok",), kapok),
    Family("lychee", ("lychee",), lychee),
    Family("banana_leaf", ("banana_leaf",), banana_leaf),
    Family("manchurian_window", ("manchurian_window",), manchurian_window, borders=False),
    Family("xiangyunsha", ("xiangyunsha",), xiangyunsha, borders=False),
]
