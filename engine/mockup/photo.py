"""A designer's own garment photo as a mockup template.

The photo's luminance inside the garment mask holds both its light (folds, shadows) and its
old print. Light changes brightness but not hue; a print changes hue. So the garment's colours
are clustered on chromaticity, each pixel's L is divided by its colour's median
L (removing the print's own lightness and leaving the light), and a median filter and a
low-pass then wipe out what the clusters missed (e.g. a black print on white). The band
between a fine and a wide low-pass of that light is the fold height that displaces the new
print. Blurs are normalised by the mask so the background never bleeds in.
"""

from __future__ import annotations

import cv2
import numpy as np

from engine.errors import UserInputError
from engine.mockup.template import Region, Template


def _masked_blur(x: np.ndarray, m: np.ndarray, sigma: float) -> np.ndarray:
    num = cv2.GaussianBlur(x * m, (0, 0), sigma)
    den = cv2.GaussianBlur(m, (0, 0), sigma)
    return num / np.maximum(den, 1e-4)


def _relief(image: np.ndarray, lab: np.ndarray, inside: np.ndarray, k: int = 5) -> np.ndarray:
    """L divided by the median L of the pixel's colour cluster (1 = that colour, unlit).

    Colours are compared by chromaticity RGB / (R + G + B), which a change of light (a
    factor on every channel, also after the sRGB gamma) leaves alone."""
    lum = lab[..., 0].astype(np.float32)
    rgb = image.astype(np.float32) + 1.0
    chroma = rgb / rgb.sum(-1, keepdims=True)
    feats = np.ascontiguousarray(chroma[..., :2] * 255.0)
    pts = feats[inside]
    rel = np.ones(lum.shape, np.float32)
    if len(pts) < 4 * k:
        return rel
    step = max(1, len(pts) // 20000)
    cv2.setRNGSeed(0)  # same photo, same maps
    crit = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.5)
    _, _, centres = cv2.kmeans(  # type: ignore[call-overload]
        pts[::step], k, None, crit, 1, cv2.KMEANS_PP_CENTERS
    )
    d = ((pts[:, None, :] - centres[None]) ** 2).sum(-1)
    label = d.argmin(1)
    lv = lum[inside]
    ref = np.array([np.median(lv[label == i]) if (label == i).any() else 1.0 for i in range(k)])
    rel[inside] = lv / np.maximum(ref[label], 1.0).astype(np.float32)
    return rel


def photo_maps(image: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(shading 0..1, displacement -1..1, highlights 0..1) from the luminance inside `mask`."""
    h, w = image.shape[:2]
    size = max(h, w)
    m = (mask > 0.5).astype(np.float32)
    inside = m > 0
    lab = cv2.cvtColor(image, cv2.COLOR_RGB2LAB)
    rel = _relief(image, lab, inside)
    # a median wipes out thin outlines of the old motifs and small achromatic motifs
    k = max(3, int(0.02 * size) | 1)
    med = cv2.medianBlur(np.clip(rel * 128, 0, 255).astype(np.uint8), k)
    flat = np.where(inside, med.astype(np.float32) / 128.0, 1.0)
    fine = _masked_blur(flat, m, max(1.0, 0.006 * size))
    broad = _masked_blur(flat, m, max(2.0, 0.05 * size))
    # the garment's own key-light fall-off, from L itself at a very wide scale
    lum = lab[..., 0].astype(np.float32) / 255.0
    wide = _masked_blur(lum, m, max(2.0, 0.15 * size))
    ref = float(np.percentile(wide[inside], 95)) if inside.any() else 1.0
    light = np.clip(wide / max(ref, 1e-3), 0.0, 1.0) ** 0.35
    shading = np.clip(0.92 * fine * light, 0.0, 1.0)
    spec = np.clip((broad * 0.5 + fine * 0.5 - 1.2) / 0.5, 0.0, 1.0) * 0.6 * m
    band = (fine - broad) * m
    disp = np.clip(band / 0.2, -1.0, 1.0)  # a 20 % change of light = a full fold
    return shading.astype(np.float32), disp.astype(np.float32), spec.astype(np.float32)


def photo_template(
    image: np.ndarray, mask: np.ndarray, width_cm: float = 50.0, name: str = "photo"
) -> Template:
    """A one-region template from an RGB photo and its garment mask (float 0..1 or 0/1)."""
    if image.ndim != 3 or image.shape[2] != 3:
        raise UserInputError(f"expected an RGB photo, got shape {image.shape}")
    if mask.shape != image.shape[:2]:
        raise UserInputError(f"mask is {mask.shape[::-1]} px, the photo {image.shape[1::-1]}")
    m = mask.astype(np.float32)
    if m.max() > 1.0:
        m /= 255.0
    ys, xs = np.nonzero(m > 0.5)
    if xs.size < 16:
        raise UserInputError("no garment found in the photo (the mask is empty)", field="--photo")
    bbox = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    bw, bh = bbox[2] - bbox[0], bbox[3] - bbox[1]
    shading, disp, spec = photo_maps(image, m)
    soft = cv2.GaussianBlur(m, (0, 0), 0.8)  # anti-aliased edge for a hard mask
    size = max(image.shape[:2])
    return Template(
        name=name,
        title="Photo",
        base=np.ascontiguousarray(image),
        regions=[Region("garment", soft, bbox, (width_cm, width_cm * bh / bw))],
        shading=shading,
        displacement=disp,
        displacement_px=(0.008 * size, 0.006 * size),
        spec=spec,
    )
