"""Synthetic garment photos with exact masks, for training and evaluating segmentation.

Every composite is a pure function of its seed: a jittered garment (shapes.py) wearing a
database pattern (or a plain colour), lit and folded (drape.py), placed with a random pose on
a background of gradients, noise, other patterns and clutter, under a random light, with
occluders, sensor noise, blur and JPEG. Training seeds count from 0; evaluation seeds start
at EVAL_SEED_BASE, so the held-out set never overlaps what the model saw.
"""

from __future__ import annotations

import cv2
import numpy as np

from engine.export.repeat import tile_canvas
from engine.mockup.drape import LIGHT, drape, raster, smooth_noise
from engine.mockup.shapes import GARMENTS, garment

EVAL_SEED_BASE = 10_000_000
POOL_SEED_BASE = 5_000  # database seeds of the pattern pool (fixed, any split)


class PatternPool:
    """A few dozen database tiles rendered once and reused with colour/scale changes."""

    def __init__(self, n: int = 32, size: int = 128) -> None:
        from engine.culture import REGION_IDS
        from engine.database import render_sample

        self.tiles = [
            render_sample(REGION_IDS[i % len(REGION_IDS)], POOL_SEED_BASE + i, size).image
            for i in range(n)
        ]

    def pick(self, rng: np.random.Generator) -> np.ndarray:
        t = self.tiles[int(rng.integers(len(self.tiles)))]
        if rng.random() < 0.5:  # recolour: a hue rotation keeps the motif, changes the palette
            hsv = cv2.cvtColor(t, cv2.COLOR_RGB2HSV)
            hsv[..., 0] = (hsv[..., 0].astype(int) + int(rng.integers(180))) % 180
            t = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
        return t


def _colour(rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(0, 1, 3).astype(np.float32)


def _fill(rng: np.random.Generator, pool: PatternPool, s: int) -> np.ndarray:
    """An RGB float canvas: a pattern repeat (mostly), stripes, or a plain colour."""
    r = rng.random()
    if r < 0.65:
        rep = int(rng.integers(max(8, s // 10), s // 2 + 1))
        img: np.ndarray = tile_canvas(pool.pick(rng), s, s, "full", rep).astype(np.float32) / 255
        if rng.random() < 0.3:
            m = cv2.getRotationMatrix2D((s / 2, s / 2), rng.uniform(0, 360), 1.0)
            img = cv2.warpAffine(img, m, (s, s), borderMode=cv2.BORDER_WRAP)
        return img
    if r < 0.8:
        xs = np.arange(s, dtype=np.float32)
        period = rng.uniform(4, s / 4)
        band = (np.sin(xs * 2 * np.pi / period) > rng.uniform(-0.5, 0.5)).astype(np.float32)
        a, b = _colour(rng), _colour(rng)
        img = a * band[:, None, None] + b * (1 - band[:, None, None])
        img = np.broadcast_to(img, (s, s, 3)).copy()
        if rng.random() < 0.5:
            img = img.transpose(1, 0, 2).copy()
        return img
    return np.broadcast_to(_colour(rng), (s, s, 3)).copy()


def _background(rng: np.random.Generator, pool: PatternPool, s: int) -> np.ndarray:
    kind = rng.random()
    ys, xs = np.mgrid[0:s, 0:s].astype(np.float32) / s
    if kind < 0.3:  # gradient, e.g. a studio sweep or a wall
        a, b = _colour(rng), _colour(rng)
        ang = rng.uniform(0, 2 * np.pi)
        t = np.clip(0.5 + (xs - 0.5) * np.cos(ang) + (ys - 0.5) * np.sin(ang), 0, 1)[..., None]
        bg = a * (1 - t) + b * t
    elif kind < 0.55:  # coloured noise: floors, carpets, foliage
        bg = np.stack([smooth_noise(s, s, rng, rng.uniform(3, 40)) for _ in range(3)], -1)
        bg = _colour(rng) + 0.12 * bg
    elif kind < 0.8:  # another pattern, blurred or not
        bg = _fill(rng, pool, s)
        if rng.random() < 0.5:
            bg = cv2.GaussianBlur(bg, (0, 0), rng.uniform(0.5, 4))
    else:  # plain
        bg = np.broadcast_to(_colour(rng), (s, s, 3)).copy()
    for _ in range(int(rng.integers(0, 7))):  # clutter
        _blob(rng, pool, bg, s)
    return np.clip(bg, 0, 1).astype(np.float32)


def _blob(rng: np.random.Generator, pool: PatternPool, img: np.ndarray, s: int) -> np.ndarray:
    """Draw a random shape (ellipse, box, polygon) in place; return its coverage."""
    m = np.zeros((s, s), np.uint8)
    cx, cy = rng.uniform(0, s, 2)
    r = rng.uniform(0.05, 0.35) * s
    k = rng.random()
    if k < 0.35:
        cv2.ellipse(
            m,
            (int(cx), int(cy)),
            (int(r), int(r * rng.uniform(0.2, 1))),
            rng.uniform(0, 180),
            0,
            360,
            255,
            -1,
            cv2.LINE_AA,
        )
    elif k < 0.7:
        box = cv2.boxPoints(((cx, cy), (r * 2, r * rng.uniform(0.1, 1.5)), rng.uniform(0, 90)))
        cv2.fillPoly(m, [box.astype(np.int32)], 255, cv2.LINE_AA)
    else:
        pts = np.stack(
            [
                cx + r * rng.uniform(0.3, 1, 7) * np.cos(np.linspace(0, 6.28, 7)),
                cy + r * rng.uniform(0.3, 1, 7) * np.sin(np.linspace(0, 6.28, 7)),
            ],
            1,
        )
        cv2.fillPoly(m, [pts.astype(np.int32)], 255, cv2.LINE_AA)
    a = (m.astype(np.float32) / 255)[..., None]
    fill = _fill(rng, pool, s) if rng.random() < 0.4 else _colour(rng)
    shade = 0.75 + 0.25 * smooth_noise(s, s, rng, s / 3)[..., None] * 0.5
    img[:] = img * (1 - a) + fill * shade * a
    return a[..., 0]


def composite(
    seed: int, size: int = 192, pool: PatternPool | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(image uint8 HxWx3 RGB, mask uint8 HxW in {0, 1}) for one seed."""
    pool = pool or PatternPool()
    rng = np.random.default_rng([int(seed), 77])
    s = size
    name = GARMENTS[int(rng.integers(len(GARMENTS)))]
    g = garment(name, rng)
    light = LIGHT + rng.normal(0, 0.25, 3) * np.array([1, 1, 0.3])
    d = drape(g, s, s, rng, light / np.linalg.norm(light))
    # pose: scale, rotation, translation, mirror (one affine for every layer)
    sc = rng.uniform(0.45, 1.15)
    m = np.asarray(cv2.getRotationMatrix2D((s / 2, s / 2), rng.normal(0, 12), sc), np.float64)
    m[:, 2] += rng.uniform(-0.3, 0.3, 2) * s
    if rng.random() < 0.5:
        m[0] = -m[0]
        m[0, 2] += s

    def warp(x: np.ndarray) -> np.ndarray:
        return cv2.warpAffine(x, m, (s, s), flags=cv2.INTER_LINEAR)

    bg = _background(rng, pool, s)
    cover = warp(d.cover)
    # cast shadow on the background
    sh = cv2.GaussianBlur(np.roll(cover, (int(s * 0.02), int(s * 0.015)), (0, 1)), (0, 0), s * 0.02)
    bg = bg * (1 - rng.uniform(0.1, 0.45) * sh)[..., None]
    cloth = _fill(rng, pool, s)
    if rng.random() < 0.3:  # the garment's own plain colour around the print
        base = np.broadcast_to(_colour(rng), (s, s, 3))
        printable = np.maximum.reduce(list(d.masks.values()))[..., None]
        cloth = cloth * printable + base * (1 - printable)
    trims = [t.poly for t in g.trims if t.kind != "seam"]
    if trims:
        ta = raster(trims, s, s)[..., None]
        cloth = cloth * (1 - ta) + _colour(rng) * ta
    lit = cloth * d.shading[..., None] * rng.uniform(0.85, 1.15)
    lit = 1 - (1 - lit) * (1 - d.spec[..., None])
    lit = warp(np.ascontiguousarray(lit))
    img = bg * (1 - cover[..., None]) + lit * cover[..., None]
    mask = (cover > 0.5).astype(np.uint8)
    if rng.random() < 0.3:  # an occluder in front (a hand, a hanger, a bag)
        occ = _blob(rng, pool, img, s)
        mask[occ > 0.5] = 0
    # global light: a brightness ramp, colour cast, gamma
    ys, xs = np.mgrid[0:s, 0:s].astype(np.float32) / s
    ramp = 1 + rng.uniform(-0.35, 0.35) * (xs - 0.5) + rng.uniform(-0.35, 0.35) * (ys - 0.5)
    img = img * ramp[..., None] * rng.uniform(0.85, 1.15, 3).astype(np.float32)
    img = np.clip(img, 0, 1) ** rng.uniform(0.7, 1.4)
    if rng.random() < 0.4:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 1.2))
    img = img + rng.normal(0, rng.uniform(0, 0.03), img.shape).astype(np.float32)
    out = np.clip(img * 255 + 0.5, 0, 255).astype(np.uint8)
    if rng.random() < 0.4:
        _, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(40, 95))])
        out = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    return out, mask
