"""Secondary accents: a border band of another motif of the region, laid across the field.

Textiles and murals frame a field pattern with borders (pearl roundels round a Dunhuang
caisson, a key-meander hem on a Mongolian robe, a zigzag band on a Miao sleeve); a band
across the tile repeats as such a border when the tile is tiled.
"""

from __future__ import annotations

# numpy arrays plus tuples below are vector additions, not concatenations
from collections.abc import Callable

import numpy as np

from engine.database import shapes as sh
from engine.database.canvas import TorusCanvas
from engine.database.context import Ctx
from engine.database.families._draw import pearl_band
from engine.database.palette import RGB, mix


def _edges(cv: TorusCanvas, y: float, h: float, col: RGB) -> None:
    cv.rect_band(y - h / 2, y - h / 2 + h * 0.1, col)
    cv.rect_band(y + h / 2 - h * 0.1, y + h / 2, col)


def _dunhuang(cv: TorusCanvas, ctx: Ctx, y: float, h: float) -> str:
    pearl_band(
        cv,
        y,
        h,
        ctx.c("#9C4A3A"),
        ctx.accent(ctx.c("#EFE6D2")),
        ctx.c("#2E5E8C"),
        int(10 + 14 * ctx.detail),
    )
    return "pearl_roundel"


def _miao(cv: TorusCanvas, ctx: Ctx, y: float, h: float) -> str:
    ground = ctx.c("#1A1A1A")
    cv.rect_band(y - h / 2, y + h / 2, ground)
    m = int(8 + 12 * ctx.detail)
    cols = [ctx.c("#C8102E"), ctx.c("#F2C12E"), ctx.c("#2E7D32"), ctx.c("#C2185B")]
    for i in range(m):
        x0, x1 = i / m, (i + 1) / m
        cv.poly(
            np.array([[x0, y + h * 0.35], [(x0 + x1) / 2, y - h * 0.35], [x1, y + h * 0.35]]),
            cols[i % len(cols)],
        )
        cv.poly(
            np.array(
                [
                    [(x0 + x1) / 2, y - h * 0.35],
                    [x1, y + h * 0.35],
                    [x1 + (x1 - x0) / 2, y - h * 0.35],
                ]
            ),
            cols[(i + 2) % len(cols)],
        )
    _edges(cv, y, h, ctx.accent(ctx.c("#F1F1EE")))
    return "zigzag_band"


def _tibetan(cv: TorusCanvas, ctx: Ctx, y: float, h: float) -> str:
    ground = ctx.pick(["#7B1E1E", "#26619C"])
    cv.rect_band(y - h / 2, y + h / 2, ground)
    m = int(5 + 8 * ctx.detail)
    flame = ctx.accent(ctx.c("#E8A317"))
    for i in range(m):
        c = ((i + 0.5) / m, y + h * 0.1)
        cv.polyline(sh.spiral(c, h * 0.3, 1.2, np.pi / 2, 30, 1, h * 0.04), flame, h * 0.08)
        tip = sh.leaf(h * 0.45, h * 0.2, 0.4)
        cv.poly(sh.place(tip, (c[0] + 0.5 / m, y + h * 0.3), 1, -np.pi / 2 - 0.3), flame)
    _edges(cv, y, h, ctx.c("#30A5A0"))
    return "cloud_flame_border"


def _mongolian(cv: TorusCanvas, ctx: Ctx, y: float, h: float) -> str:
    ground = ctx.pick(["#C1272D", "#2F6EBA", "#1A1A1A"])
    cv.rect_band(y - h / 2, y + h / 2, ground)
    col = ctx.accent(ctx.c("#FFFFFF"))
    m = max(4, round(1.0 / (h * 0.9)))
    s = 1.0 / m
    k = h * 0.75
    w = k * 0.1
    for i in range(m):
        x = i * s
        path = np.array(
            [
                [0.0, 1.0],
                [0.0, 0.0],
                [0.8, 0.0],
                [0.8, 0.65],
                [0.3, 0.65],
                [0.3, 0.35],
                [0.55, 0.35],
            ]
        )
        path = path * (s * 0.9, k * 0.8) + (x + s * 0.05, y - k * 0.4)
        cv.polyline(path, col, w)
        cv.line((x, y + k * 0.4), (x + s, y + k * 0.4), col, w)
    return "key_meander"


def _lingnan(cv: TorusCanvas, ctx: Ctx, y: float, h: float) -> str:
    ground = ctx.c("#FAFAF5")
    cv.rect_band(y - h / 2, y + h / 2, ground)
    m = int(3 + 4 * ctx.detail)
    for i in range(m):
        c = ((i + 0.5) / m, y)
        cart = sh.ring(c, 0.35 / m, 40, h * 0.32)
        cv.poly(cart, ctx.c("#1FA39B"))
        cv.polyline(np.concatenate([cart, cart[:1]]), ctx.accent(ctx.c("#C8342B")), 0.004)
        for pt in sh.rosette_petals(c, h * 0.22, 5, h * 0.18, 0.3, 0.0, 0.1):
            cv.poly(pt, ctx.c("#C8342B"))
    _edges(cv, y, h, ctx.accent(ctx.c("#2E8B57")))
    return "canton_porcelain"


def _hakka(cv: TorusCanvas, ctx: Ctx, y: float, h: float) -> str:
    bg = ctx.c("#1A1A1A")
    cv.rect_band(y - h / 2, y + h / 2, bg)
    m = int(8 + 10 * ctx.detail)
    cols = [
        ctx.c("#D7261E"),
        ctx.c("#E75480"),
        ctx.c("#3A7D44"),
        mix(ctx.c("#C9A66B"), (255, 255, 255), 0.4),
    ]
    for i in range(m):
        cv.poly(sh.diamond(((i + 0.5) / m, y), 0.45 / m, h * 0.32), cols[i % len(cols)])
    _edges(cv, y, h, ctx.c("#D7261E"))
    return "flower_band"


def _xinjiang(cv: TorusCanvas, ctx: Ctx, y: float, h: float) -> str:
    bg = ctx.pick(["#111111", "#1E4FA3", "#D7263D"])
    cv.rect_band(y - h / 2, y + h / 2, bg)
    col = ctx.pick(["#F4B400", "#FFFFFF", "#009B77"], avoid=[bg])
    m = int(6 + 8 * ctx.detail)
    for sgn in (-1, 1):  # two zigzag straps crossing: a simple interlace
        pts = np.array(
            [[(i + 0.5) / m, y + sgn * h * 0.28 * (1 if i % 2 else -1)] for i in range(-1, m + 2)]
        )
        cv.polyline(pts, col, h * 0.08)
    for i in range(m):
        cv.circle(((i + 0.5) / m, y), h * 0.1, ctx.pick(["#D7263D", "#009B77"], avoid=[bg]))
    _edges(cv, y, h, col)
    return "geometric_interlace"


BORDERS: dict[str, Callable[[TorusCanvas, Ctx, float, float], str]] = {
    "dunhuang": _dunhuang,
    "miao": _miao,
    "tibetan": _tibetan,
    "mongolian": _mongolian,
    "lingnan": _lingnan,
    "hakka": _hakka,
    "xinjiang": _xinjiang,
}


def add_border(cv: TorusCanvas, ctx: Ctx) -> str | None:
    """Lay one border band of a secondary motif across the tile; its motif id, or None."""
    fn = BORDERS.get(ctx.region_id)
    if fn is None:
        return None
    h = 0.09 + 0.07 * ctx.rng.random()
    y = 0.2 + 0.6 * ctx.rng.random()
    return fn(cv, ctx, y, h)
