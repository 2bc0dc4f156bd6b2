"""Light and shape of cloth: rasterised silhouettes, a height field, shading and sheen.

A garment is lit as a height field: a rounded volume from the distance to its outline (so
the sides turn away from the light), tapered ridges and valleys along its fold lines, soft
low-frequency noise for the drape, and a fine fabric texture. The same height field gives
the displacement map, so the printed pattern bends exactly where the shading shows a fold.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from engine.mockup.shapes import Fold, Garment

LIGHT = np.array([-0.45, -0.65, 1.0]) / np.linalg.norm([-0.45, -0.65, 1.0])

# material -> (volume height, fold height, noise height, texture amplitude, specular, shininess)
MATERIALS: dict[str, tuple[float, float, float, float, float, float]] = {
    "cotton": (40.0, 30.0, 2.5, 0.025, 0.05, 12.0),
    "jersey": (38.0, 22.0, 3.0, 0.03, 0.03, 10.0),
    "fleece": (55.0, 26.0, 3.0, 0.018, 0.02, 8.0),
    "silk": (30.0, 30.0, 3.5, 0.008, 0.30, 30.0),
    "canvas": (18.0, 8.0, 1.5, 0.06, 0.02, 8.0),
    "plastic": (22.0, 0.0, 0.0, 0.0, 0.55, 60.0),
}


def to_px(poly: np.ndarray, h: int, w: int) -> np.ndarray:
    return np.round(np.asarray(poly) * [w, h] * 16).astype(np.int32)


def raster(polys: list[np.ndarray], h: int, w: int) -> np.ndarray:
    """Anti-aliased coverage in [0, 1] of filled polygons (unit coordinates)."""
    img = np.zeros((h, w), np.uint8)
    for p in polys:  # one call per polygon: fillPoly would XOR overlapping ones
        cv2.fillPoly(img, [to_px(p, h, w)], 255, lineType=cv2.LINE_AA, shift=4)
    return img.astype(np.float32) / 255.0


def stroke(polys: list[np.ndarray], h: int, w: int, width: float, closed: bool) -> np.ndarray:
    img = np.zeros((h, w), np.uint8)
    t = max(1, round(width * w))
    cv2.polylines(img, [to_px(p, h, w) for p in polys], closed, 255, t, cv2.LINE_AA, 4)
    return img.astype(np.float32) / 255.0


def smooth_noise(h: int, w: int, rng: np.random.Generator, scale: float) -> np.ndarray:
    """Zero-mean, unit-std noise with features about `scale` pixels across."""
    sh, sw = max(2, int(h / scale) + 2), max(2, int(w / scale) + 2)
    small = rng.standard_normal((sh, sw)).astype(np.float32)
    big = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    return (big - big.mean()) / (big.std() + 1e-6)


def fold_field(folds: list[Fold], h: int, w: int) -> np.ndarray:
    """Sum of tapered Gaussian ridges; computed at quarter size then upsampled (folds are soft)."""
    q = 4
    hh, ww = max(2, h // q), max(2, w // q)
    ys, xs = np.mgrid[0:hh, 0:ww].astype(np.float32)
    px, py = (xs + 0.5) / ww, (ys + 0.5) / hh
    out = np.zeros((hh, ww), np.float32)
    for f in folds:
        ax, ay = f.a
        dx, dy = f.b[0] - ax, f.b[1] - ay
        ln2 = dx * dx + dy * dy + 1e-9
        t = ((px - ax) * dx + (py - ay) * dy) / ln2
        tc = np.clip(t, 0.0, 1.0)
        d2 = (px - ax - tc * dx) ** 2 + (py - ay - tc * dy) ** 2
        taper = np.sin(np.pi * np.clip(t, 0.02, 0.98)) ** 0.6
        out += f.amp * np.exp(-d2 / (f.width**2)) * taper
    return cv2.resize(out, (w, h), interpolation=cv2.INTER_CUBIC)


def texture(material: str, h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """Multiplicative fabric grain around 1.0 (knit, weave, fleece, nothing for plastic)."""
    amp = MATERIALS[material][3]
    if amp == 0:
        return np.ones((h, w), np.float32)
    fine: np.ndarray = rng.standard_normal((h, w)).astype(np.float32)
    if material == "canvas":
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
        weave = np.sin(xs * 2.1) * np.sin(ys * 2.1)
        fine = 0.6 * weave + 0.5 * cv2.GaussianBlur(fine, (0, 0), 0.7)
    elif material == "fleece":
        fine = cv2.GaussianBlur(fine, (0, 0), 0.8)
    else:
        fine = cv2.GaussianBlur(fine, (0, 0), 0.6)
    fine += 0.15 * smooth_noise(h, w, rng, 24)
    return (1.0 + amp * fine / (fine.std() + 1e-6)).astype(np.float32)


@dataclass
class Drape:
    """Everything the renderer and the base image need, all float32 HxW."""

    masks: dict[str, np.ndarray]  # printable coverage per region
    cover: np.ndarray  # whole garment incl. trims
    shading: np.ndarray  # diffuse light x grain, ~0..1 (1 = fully lit white)
    spec: np.ndarray  # additive sheen, 0..1
    disp: np.ndarray  # fold height in [-1, 1] (displacement source)


def drape(g: Garment, h: int, w: int, rng: np.random.Generator, light: np.ndarray = LIGHT) -> Drape:
    """Rasterise the garment and light it."""
    vol_h, fold_h, noise_h, _, ks, shin = MATERIALS[g.material]
    scale = w / 1024.0  # heights are tuned at 1024 px; keep slopes the same at any size
    masks = {k: raster(v, h, w) for k, v in g.parts.items()}
    cover = np.maximum.reduce(list(masks.values()))
    solid_trims = [t.poly for t in g.trims if t.kind in ("rib", "solid", "gloss", "dark")]
    if solid_trims:
        cover = np.maximum(cover, raster(solid_trims, h, w))
    # volume: every printable part is a rounded cushion of its own
    vol = np.zeros((h, w), np.float32)
    for m in [*masks.values()]:
        d = cv2.distanceTransform((m > 0.5).astype(np.uint8), cv2.DIST_L2, 5)
        r = 0.09 * w if g.material != "plastic" else 0.03 * w
        x = np.clip(d / r, 0.0, 1.0)
        vol = np.maximum(vol, np.sqrt(1.0 - (1.0 - x) ** 2))
    folds = fold_field(g.folds, h, w) if g.folds else np.zeros((h, w), np.float32)
    noise = smooth_noise(h, w, rng, 140 * scale) * 0.8 + smooth_noise(h, w, rng, 50 * scale) * 0.2
    if g.material == "plastic":
        noise *= 0
    height: np.ndarray = (vol * vol_h + folds * fold_h + noise * noise_h) * scale
    height = cv2.GaussianBlur(height, (0, 0), 1.5 * scale + 0.5)
    gy, gx = np.gradient(height)
    nz = 1.0 / np.sqrt(gx * gx + gy * gy + 1.0)
    nx, ny = -gx * nz, -gy * nz
    lam = np.clip(nx * light[0] + ny * light[1] + nz * light[2], 0.0, 1.0)
    lam /= light[2]  # a surface facing the camera reads as fully lit
    # ambient occlusion: cavities (below their surroundings) and the garment's rim darken
    local = height - cv2.GaussianBlur(height, (0, 0), 12 * scale + 1)
    ao = np.clip(1.0 + 0.025 * local / scale, 0.55, 1.08)
    shading = (0.28 + 0.72 * lam) * ao * texture(g.material, h, w, rng)
    hv = light + np.array([0.0, 0.0, 1.0])
    hv /= np.linalg.norm(hv)
    spec = ks * np.clip(nx * hv[0] + ny * hv[1] + nz * hv[2], 0.0, 1.0) ** shin
    if g.material == "plastic":  # a soft window reflection across a glossy case
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
        band = np.exp(-(((xs / w - 0.55) + (ys / h - 0.5) * 0.6) ** 2) / 0.004)
        spec = spec + 0.18 * band
    disp = folds * fold_h + noise * noise_h
    disp = disp / (np.abs(disp).max() + 1e-6)
    return Drape(
        masks=masks,
        cover=cover,
        shading=np.clip(shading, 0.0, 1.0).astype(np.float32),
        spec=np.clip(spec, 0.0, 1.0).astype(np.float32),
        disp=disp.astype(np.float32),
    )
