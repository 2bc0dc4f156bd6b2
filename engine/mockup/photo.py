"""A designer's own garment photo as a mockup template.

The photo's luminance inside the garment mask holds both its light (folds, shadows) and its
old print. A low-pass of L at about 1 % of the image keeps folds and drops fine print; dividing
by a much wider low-pass removes the garment's own colour, so a dark or printed garment still
gives a usable light map. The band between the two low-passes is the fold height that
displaces the new print. Blurs are normalised by the mask so the background never bleeds in.
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


def photo_maps(image: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(shading in 0..1, displacement in -1..1) from the photo's luminance inside `mask`."""
    h, w = image.shape[:2]
    size = max(h, w)
    m = (mask > 0.5).astype(np.float32)
    lum = cv2.cvtColor(image, cv2.COLOR_RGB2LAB)[..., 0].astype(np.float32) / 255.0
    fine = _masked_blur(lum, m, max(1.0, 0.008 * size))  # folds, without the old print
    broad = _masked_blur(lum, m, max(2.0, 0.08 * size))  # the garment's colour and key light
    inside = m > 0
    ref = float(np.percentile(broad[inside], 95)) if inside.any() else 1.0
    relief = fine / np.maximum(broad, 1e-3)
    light = (broad / max(ref, 1e-3)) ** 0.35  # keep some of the large light fall-off
    shading = np.clip(0.92 * relief * light, 0.0, 1.0)
    band = (fine - broad) * m
    peak = float(np.percentile(np.abs(band[inside]), 99)) if inside.any() else 1.0
    disp = np.clip(band / max(peak, 1e-4), -1.0, 1.0)
    return shading.astype(np.float32), disp.astype(np.float32)


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
    shading, disp = photo_maps(image, m)
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
    )
