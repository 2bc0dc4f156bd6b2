"""Hand-made colour and texture features of a tile, for the independent region classifier.

Deliberately unlike CLIP (no learned features): a generator tuned against CLIP could fool
CLIP's classifier without looking regional; it is much harder to fool both. Features, all
computed at 64×64 on the torus (wrap padding): a joint Lab colour histogram, colour moments,
uniform LBP histograms at two scales, a magnitude-weighted gradient-orientation histogram,
Gabor energies (4 orientations × 3 wavelengths) and a radial power spectrum.
"""

from __future__ import annotations

import cv2
import numpy as np

SIZE = 64
FEATURE_VERSION = 1
_L_BINS, _AB_BINS = 4, 6
# the feature vector is the colour block, then the texture block
COLOUR_FEATURES = _L_BINS * _AB_BINS**2 + 15  # joint histogram + Lab mean/std/percentiles
FEATURE_GROUPS = ("all", "colour", "texture")


def group_columns(group: str) -> slice:
    """The columns of `tile_features` a feature group uses ("all", "colour" or "texture")."""
    if group == "all":
        return slice(None)
    if group == "colour":
        return slice(0, COLOUR_FEATURES)
    if group == "texture":
        return slice(COLOUR_FEATURES, None)
    raise ValueError(f"feature group is {group!r}, expected one of {', '.join(FEATURE_GROUPS)}")


def _prep(image: np.ndarray) -> np.ndarray:
    img = np.asarray(image)
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"expected an HxWx3 image, got shape {img.shape}")
    if img.dtype != np.uint8:
        img = np.clip(img, 0, 255).astype(np.uint8)
    if img.shape[:2] != (SIZE, SIZE):
        img = cv2.resize(img, (SIZE, SIZE), interpolation=cv2.INTER_AREA)
    return img


def colour_features(img: np.ndarray) -> np.ndarray:
    """Joint Lab histogram (4 L × 6 a × 6 b, 144 bins) + Lab mean/std/percentiles (15)."""
    lab = cv2.cvtColor(img, cv2.COLOR_RGB2LAB).reshape(-1, 3).astype(np.float32)
    li = np.minimum(lab[:, 0] * _L_BINS / 256.0, _L_BINS - 1).astype(int)
    ai = np.clip((lab[:, 1] - 64) * _AB_BINS / 128.0, 0, _AB_BINS - 1).astype(int)
    bi = np.clip((lab[:, 2] - 64) * _AB_BINS / 128.0, 0, _AB_BINS - 1).astype(int)
    hist = np.bincount((li * _AB_BINS + ai) * _AB_BINS + bi, minlength=_L_BINS * _AB_BINS**2)
    hist = np.sqrt(hist / len(lab))  # Hellinger: rare accent colours still count
    lab01 = lab / 255.0
    moments = np.concatenate(
        [lab01.mean(0), lab01.std(0), *np.percentile(lab01, [10, 50, 90], axis=0)]
    )
    return np.concatenate([hist, moments]).astype(np.float32)


def _lbp_hist(gray: np.ndarray, radius: int) -> np.ndarray:
    """Rotation-variant uniform LBP (8 neighbours): 9 uniform codes by bit count + 1 other."""
    g = np.pad(gray, radius, mode="wrap")
    h, w = gray.shape
    c = g[radius : radius + h, radius : radius + w]
    offs = [(-1, -1), (-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1)]
    bits = [
        (
            g[
                radius + dy * radius : radius + dy * radius + h,
                radius + dx * radius : radius + dx * radius + w,
            ]
            >= c
        )
        for dy, dx in offs
    ]
    b = np.stack(bits).astype(np.int8)  # [8, H, W]
    transitions = np.abs(np.diff(np.concatenate([b, b[:1]]), axis=0)).sum(0)
    ones = b.sum(0)
    code = np.where(transitions <= 2, ones, 9)
    return np.bincount(code.reshape(-1), minlength=10) / code.size


def texture_features(img: np.ndarray) -> np.ndarray:
    """LBP (2 scales), gradient orientations, edge density, Gabor energies, radial spectrum."""
    gray = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32)
    parts = [_lbp_hist(gray, 1), _lbp_hist(gray, 2)]
    p = np.pad(gray, 1, mode="wrap")
    gx = cv2.Sobel(p, cv2.CV_32F, 1, 0, ksize=3)[1:-1, 1:-1]
    gy = cv2.Sobel(p, cv2.CV_32F, 0, 1, ksize=3)[1:-1, 1:-1]
    mag = np.hypot(gx, gy)
    ang = (np.arctan2(gy, gx) % np.pi) / np.pi  # orientation, sign-free
    ori = np.bincount(np.minimum((ang * 8).astype(int), 7).reshape(-1), mag.reshape(-1), 8)
    parts.append(ori / (ori.sum() + 1e-6))
    parts.append(np.array([(mag > t).mean() for t in (20.0, 60.0, 120.0)]))
    parts.append(np.array([mag.mean() / 255.0, gray.std() / 128.0]))
    gab = []
    big = np.pad(gray / 255.0, 8, mode="wrap")
    for lam in (4.0, 8.0, 16.0):
        for k in range(4):
            kern = cv2.getGaborKernel((17, 17), lam * 0.5, k * np.pi / 4, lam, 0.5, 0)
            kern -= kern.mean()
            resp = cv2.filter2D(big, cv2.CV_32F, kern)[8:-8, 8:-8]
            gab.append(float(np.abs(resp).mean()))
    parts.append(np.asarray(gab) / (np.sum(gab) + 1e-6))
    parts.append(np.asarray([np.log1p(np.sum(gab))]))
    f = np.abs(np.fft.fft2(gray - gray.mean()))
    fy = np.fft.fftfreq(SIZE)[:, None]
    fx = np.fft.fftfreq(SIZE)[None, :]
    r = np.minimum((np.hypot(fx, fy) / 0.5 * 8).astype(int), 7)
    rad = np.bincount(r.reshape(-1), f.reshape(-1), 8)
    parts.append(rad / (rad.sum() + 1e-6))
    return np.concatenate(parts).astype(np.float32)


def tile_features(image: np.ndarray) -> np.ndarray:
    """The full feature vector of one HxWx3 uint8 tile."""
    img = _prep(image)
    return np.concatenate([colour_features(img), texture_features(img)])


def batch_features(images: list[np.ndarray] | np.ndarray) -> np.ndarray:
    """[N, F] features of N tiles."""
    return np.stack([tile_features(im) for im in images])
