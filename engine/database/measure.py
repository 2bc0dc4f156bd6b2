"""Attributes measured from pixels, so that annotations are true of the image.

The same functions annotate generated tiles and imported photographs:
- gold: share of pixels within ΔE of one of the region's metallic colours;
- complexity: edge density (share of strong-gradient pixels at a fixed 128 px analysis size);
- warmth: chroma-weighted balance of warm hues (reds, ochres, yellows) against cool ones.
Density and symmetry of generated tiles come from the layout that drew them; for imported
images they are estimated from pixels (`estimate_density`, `estimate_symmetry`).
"""

from __future__ import annotations

import cv2
import numpy as np

from engine.database.palette import GOLD_DELTA_E, region_palette, to_lab

ANALYSIS_SIZE = 128
EDGE_THRESHOLD = 48.0  # Sobel magnitude (0..255 grey scale, 3x3 kernel / 4)
# edge density that maps to complexity 1.0; calibrated on generated tiles (see report)
EDGE_FULL = 0.6
GOLD_FULL = 0.15  # gold share that reads as "all gold" (annotation saturates there)


def _small(image: np.ndarray) -> np.ndarray:
    if image.shape[0] == ANALYSIS_SIZE and image.shape[1] == ANALYSIS_SIZE:
        return image
    return cv2.resize(image, (ANALYSIS_SIZE, ANALYSIS_SIZE), interpolation=cv2.INTER_AREA)


def gold_share(image: np.ndarray, region_id: str) -> float:
    """Share of pixels in the region's metallic tones (0 when the region has none)."""
    met = region_palette(region_id).metallic
    if not met:
        return 0.0
    lab = to_lab(_small(image)).reshape(-1, 3)
    ml = to_lab(np.array([c.rgb for c in met]))
    d = np.linalg.norm(lab[:, None, :] - ml[None, :, :], axis=-1).min(axis=1)
    mask = (d < GOLD_DELTA_E).reshape(ANALYSIS_SIZE, ANALYSIS_SIZE).astype(np.uint8)
    # an opening drops 1-px chains: antialiased blends of light and dark inks that happen
    # to pass through a metallic tone (grey edges read as silver) are not metal
    mask = np.pad(mask, 1, mode="wrap")
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))[1:-1, 1:-1]
    return float(mask.mean())


def edge_density(image: np.ndarray) -> float:
    """Share of pixels with a strong luminance or colour gradient at the analysis size."""
    small = np.pad(_small(image).astype(np.float32), ((1, 1), (1, 1), (0, 0)), mode="wrap")
    mags = []
    for ch in range(3):
        gx = cv2.Sobel(small[..., ch], cv2.CV_32F, 1, 0, ksize=3)[1:-1, 1:-1]
        gy = cv2.Sobel(small[..., ch], cv2.CV_32F, 0, 1, ksize=3)[1:-1, 1:-1]
        mags.append(np.hypot(gx, gy) / 4.0)
    mag = np.max(mags, axis=0)
    return float((mag > EDGE_THRESHOLD).mean())


def warmth(image: np.ndarray) -> float:
    """Warm vs cool ink balance in [0, 1]; 0.5 for a neutral (black/white/grey) image."""
    hsv = cv2.cvtColor(_small(image), cv2.COLOR_RGB2HSV).reshape(-1, 3).astype(np.float32)
    h = hsv[:, 0] * 2.0  # degrees
    w = (hsv[:, 1] / 255.0) * (hsv[:, 2] / 255.0)
    warm = w[(h < 70) | (h >= 320)].sum()
    cool = w[(h >= 90) & (h < 290)].sum()
    # yellow-green / violet boundary hues count half each way
    mid = w[((h >= 70) & (h < 90)) | ((h >= 290) & (h < 320))].sum() * 0.5
    warm, cool = warm + mid, cool + mid
    tot = warm + cool
    if tot < 1e-3 * w.size:
        return 0.5
    return float(warm / tot)


def complexity_from_edges(ed: float) -> float:
    return float(np.clip(ed / EDGE_FULL, 0.0, 1.0) ** 0.8)


def gold_from_share(share: float) -> float:
    return float(np.clip(share / GOLD_FULL, 0.0, 1.0) ** 0.7)


def estimate_density(image: np.ndarray) -> float:
    """Packed small motifs vs large sparse ones, from the spectral centroid of luminance."""
    g = cv2.cvtColor(_small(image), cv2.COLOR_RGB2GRAY).astype(np.float32)
    f = np.abs(np.fft.fft2(g - g.mean()))
    fy = np.fft.fftfreq(g.shape[0])[:, None]
    fx = np.fft.fftfreq(g.shape[1])[None, :]
    r = np.hypot(fx, fy)
    tot = f.sum()
    if tot <= 1e-6:
        return 0.0
    centroid = float((f * r).sum() / tot)  # 0..~0.7 cycles/px
    return float(np.clip((centroid - 0.05) / 0.25, 0.0, 1.0))


def estimate_symmetry(image: np.ndarray) -> float:
    """Best mirror similarity (left-right or top-bottom, any axis position on the torus)."""
    g = cv2.cvtColor(_small(image), cv2.COLOR_RGB2GRAY).astype(np.float32)
    g = g - g.mean()
    denom = float((g * g).sum()) or 1.0
    best = 0.0
    for arr in (g, g.T):
        flipped = arr[:, ::-1]
        # circular cross-correlation over horizontal shifts finds the best mirror axis
        cc = np.fft.ifft(np.fft.fft(arr, axis=1) * np.conj(np.fft.fft(flipped, axis=1)), axis=1)
        best = max(best, float(cc.real.sum(axis=0).max()) / denom)
    return float(np.clip(best, 0.0, 1.0))


def measure(image: np.ndarray, region_id: str) -> dict[str, float]:
    """The pixel-measured quantities and the attributes they give."""
    gs = gold_share(image, region_id)
    ed = edge_density(image)
    return {
        "gold_share": gs,
        "edge_density": ed,
        "gold": gold_from_share(gs),
        "complexity": complexity_from_edges(ed),
        "warmth": warmth(image),
    }
