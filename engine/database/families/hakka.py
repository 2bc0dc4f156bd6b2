"""Hakka 客家: peony flower cloth, tulou rings seen from above, woven flower bands, cool hats
and lanterns."""

# numpy arrays plus tuples below are vector additions, not concatenations

from __future__ import annotations

import numpy as np

from engine.database import shapes as sh
from engine.database.canvas import TorusCanvas
from engine.database.context import Ctx, Drawn, Family, layout_symmetry
from engine.database.families._draw import outlined
from engine.database.palette import mix

BLUE, RED, PINK, GREEN, BLACK, EARTH = (
    "#2A4B7C",
    "#D7261E",
    "#E75480",
    "#3A7D44",
    "#1A1A1A",
    "#C9A66B",
)


def peony(cv: TorusCanvas, ctx: Ctx) -> Drawn:
    """Hakka flower cloth 花布 peony 牡丹: big layered blooms with ruffled petal rings in pink
    and red, with green leaves, on bright red or Hakka blue cotton."""
    ground = ctx.pick([RED, BLUE, BLUE, BLACK])
    cv.img[...] = ground
    pink = ctx.c(PINK)
    red = ctx.c(RED) if ground != ctx.c(RED) else mix(ctx.c(RED), (255, 255, 255), 0.35)
    white = mix(pink, (255, 255, 255), 0.75)
    green = ctx.c(GREEN)
    n = ctx.cells(1, 3)
    for c in ctx.positions(n):
        r = 0.32 / n
        ang = ctx.rng.uniform(0, 2 * np.pi)
        for k in range(3):  # leaves behind the bloom
            a = ang + 2.1 * k
            outlined(
                cv,
                sh.place(sh.leaf(r * 1.3, r * 0.7, 0.3), c, 1, a),
                green,
                mix(green, (0, 0, 0), 0.35),
                0.003,
            )
        layers = 3 + int(ctx.detail * 2)
        for L in range(layers):
            rr = r * (1 - L / (layers + 0.5))
            col = [red, pink, white, pink, red][L % 5] if ground != ctx.c(BLUE) or L else pink
            t = np.linspace(0, 2 * np.pi, 160)
            lobes = 7 + L
            rad = rr * (
                0.82
                + 0.18 * np.abs(np.sin(lobes * t / 2 + L)) ** 0.6
                + 0.03 * np.sin(5 * lobes * t)
            )
            pts = np.stack([c[0] + rad * np.cos(t + ang), c[1] + rad * np.sin(t + ang)], 1)
            outlined(cv, pts, col, mix(col, (0, 0, 0), 0.3), 0.002)
        cv.circle(c, r * 0.12, ctx.accent(ctx.c(EARTH)))
    return Drawn(
        ["peony_flower_cloth"], (n - 1) / 2.0, layout_symmetry(ctx.layout, 0.6), ground, "cloth"
    )


def tulou(cv: TorusCanvas, ctx: Ctx) -> Drawn:
    """Tulou 土楼 from above: a round rammed-earth house — dark tiled roof ring with radial
    room divisions, inner galleries and an open courtyard with the ancestral hall."""
    ground = ctx.pick([GREEN, EARTH])
    cv.img[...] = ground
    earth = ctx.c(EARTH) if ground != ctx.c(EARTH) else mix(ctx.c(EARTH), (255, 255, 255), 0.3)
    roof = mix(ctx.c(BLACK), earth, 0.3)
    n = ctx.cells(1, 3)
    for c in ctx.positions(n):
        r = 0.42 / n
        cv.circle(c, r, roof)
        rooms = 24 + int(ctx.detail * 24)
        for k in range(rooms):
            a = 2 * np.pi * k / rooms
            cv.line(
                (c[0] + r * 0.72 * np.cos(a), c[1] + r * 0.72 * np.sin(a)),
                (c[0] + r * np.cos(a), c[1] + r * np.sin(a)),
                earth,
                0.0025,
            )
        cv.circle(c, r * 0.7, earth)
        cv.circle(c, r * 0.62, roof, r * 0.05)
        cv.circle(c, r * 0.5, mix(earth, (255, 255, 255), 0.2))
        if ctx.detail > 0.3:
            cv.circle(c, r * 0.36, roof, r * 0.04)
            for k in range(rooms // 2):
                a = 4 * np.pi * k / rooms
                cv.line(
                    (c[0] + r * 0.3 * np.cos(a), c[1] + r * 0.3 * np.sin(a)),
                    (c[0] + r * 0.38 * np.cos(a), c[1] + r * 0.38 * np.sin(a)),
                    roof,
                    0.002,
                )
        cv.poly(
            sh.rect(c[0] - r * 0.1, c[1] - r * 0.08, c[0] + r * 0.1, c[1] + r * 0.08),
            ctx.accent(ctx.c(RED)),
        )
    return Drawn(["tulou_rings"], (n - 1) / 2.0, layout_symmetry(ctx.layout, 1.0), ground, "paper")


def flower_band(cv: TorusCanvas, ctx: Ctx) -> Drawn:
    """Hakka woven flower bands 花带 on indigo cloth 蓝衫: narrow stripes of colourful
    geometric weave — diamonds, zigzags and small stars — between plain indigo."""
    ground = ctx.c(BLUE)
    cv.img[...] = ground
    nb = ctx.cells(1, 4)
    cols = [
        ctx.c(RED),
        ctx.c(PINK),
        ctx.c(GREEN),
        mix(ctx.c(EARTH), (255, 255, 255), 0.5),
        ctx.c(BLACK),
    ]
    h = 1.0 / nb
    for b in range(nb):
        y = (b + 0.5) * h
        bh = h * 0.45
        bgc = cols[(b + 4) % 5]
        cv.rect_band(y - bh / 2, y + bh / 2, bgc)
        cv.rect_band(y - bh / 2, y - bh / 2 + bh * 0.08, cols[0])
        cv.rect_band(y + bh / 2 - bh * 0.08, y + bh / 2, cols[0])
        m = int(6 + 10 * ctx.detail)
        kind = (b + int(ctx.rng.integers(3))) % 3
        for i in range(m):
            x = (i + 0.5) / m
            col = ctx.accent(cols[(i + b) % 3])
            if kind == 0:
                cv.poly(sh.diamond((x, y), 0.5 / m, bh * 0.32), col)
                cv.poly(sh.diamond((x, y), 0.25 / m, bh * 0.16), bgc)
            elif kind == 1:
                zz = np.array(
                    [[x - 0.5 / m, y + bh * 0.25], [x, y - bh * 0.25], [x + 0.5 / m, y + bh * 0.25]]
                )
                cv.polyline(zz, col, bh * 0.1)
            else:
                cv.poly(sh.star((x, y), min(0.45 / m, bh * 0.33), min(0.18 / m, bh * 0.13), 8), col)
    return Drawn(["flower_band", "indigo_cloth"], (nb - 1) / 3.0, 0.75, ground, "cloth")


def hat_lantern(cv: TorusCanvas, ctx: Ctx) -> Drawn:
    """Hakka cool hat 凉帽 and lanterns 灯笼: the round bamboo brim with its pleated cloth
    fringe (a ring of radial pleats), alternating with red lanterns with gold caps and tassels."""
    ground = ctx.pick([BLUE, EARTH, BLACK])
    cv.img[...] = ground
    straw = ctx.c(EARTH) if ground != ctx.c(EARTH) else mix(ctx.c(EARTH), (255, 255, 255), 0.4)
    cloth = ctx.pick([BLUE, BLACK], avoid=[ground])
    n = ctx.cells(1, 3)
    for k, c in enumerate(ctx.positions(n)):
        r = 0.36 / n
        if k % 2 == 0:
            cv.circle(c, r, cloth)
            pleats = 36 + int(36 * ctx.detail)
            for p in range(pleats):
                a = 2 * np.pi * p / pleats
                cv.line(
                    (c[0] + r * 0.62 * np.cos(a), c[1] + r * 0.62 * np.sin(a)),
                    (c[0] + r * np.cos(a), c[1] + r * np.sin(a)),
                    mix(cloth, (255, 255, 255), 0.3),
                    0.0025,
                )
            cv.circle(c, r * 0.6, straw)
            cv.circle(c, r * 0.25, ground)
            cv.circle(c, r * 0.6, mix(straw, (0, 0, 0), 0.3), 0.003)
        else:
            red = ctx.c(RED)
            cv.ellipse(c, (r * 0.6, r * 0.75), 0, red)
            for t in (-0.3, 0.0, 0.3):  # ribs
                cv.ellipse(
                    c,
                    (r * 0.6 * abs(np.cos(t * 3)) + 1e-3, r * 0.75),
                    0,
                    mix(red, (0, 0, 0), 0.25),
                    0.002,
                )
            cap = ctx.accent(ctx.c(EARTH))
            cv.poly(sh.rect(c[0] - r * 0.3, c[1] - r * 0.85, c[0] + r * 0.3, c[1] - r * 0.68), cap)
            cv.poly(sh.rect(c[0] - r * 0.3, c[1] + r * 0.68, c[0] + r * 0.3, c[1] + r * 0.85), cap)
            for t in np.linspace(-0.15, 0.15, 5):
                cv.line(
                    (c[0] + r * t, c[1] + r * 0.85), (c[0] + r * t, c[1] + r * 1.15), cap, 0.002
                )
    return Drawn(
        ["cool_hat", "lantern"], (n - 1) / 2.0, layout_symmetry(ctx.layout, 0.9), ground, "cloth"
    )


FAMILIES = [
    Family("peony", ("peony_flower_cloth",), peony),
    Family("tulou", ("tulou_rings",), tulou),
    Family("flower_band", ("flower_band",), flower_band, borders=False),
    Family("hat_lantern", ("cool_hat", "lantern"), hat_lantern),
]
