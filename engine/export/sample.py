"""A deterministic, seamless, anti-aliased test tile (flat inks, curved edges, a little
shading) for the export benchmark and tests, so they need neither a model nor a database."""

from __future__ import annotations

import cv2
import numpy as np

_INKS = np.array(
    [[245, 236, 215], [46, 94, 140], [178, 34, 34], [212, 160, 23], [30, 30, 30], [90, 140, 90]],
    np.uint8,
)


def synthetic_tile(size: int = 128, seed: int = 0, shading: bool = True) -> np.ndarray:
    """[size, size, 3] uint8; tiles seamlessly (shapes are drawn on a 3×3 torus)."""
    rng = np.random.default_rng(seed)
    ss = 4  # draw 4× larger, then area-downsample: anti-aliased edges like a GAN tile
    big = size * ss
    canvas = np.zeros((3 * big, 3 * big, 3), np.uint8)
    canvas[:] = _INKS[0]
    for _ in range(10):
        cx, cy = rng.uniform(0, big, 2)
        r = rng.uniform(0.06, 0.22) * big
        colour = tuple(int(v) for v in _INKS[rng.integers(1, len(_INKS))])
        ring = rng.random() < 0.4
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                c = (int(cx + big + dx * big), int(cy + big + dy * big))
                if ring:
                    cv2.circle(canvas, c, int(r), colour, thickness=max(2, int(r * 0.25)))
                else:
                    cv2.circle(canvas, c, int(r), colour, thickness=-1)
    tile = canvas[big : 2 * big, big : 2 * big]
    tile = cv2.resize(tile, (size, size), interpolation=cv2.INTER_AREA).astype(np.float32)
    if shading:
        y, x = np.mgrid[0:size, 0:size] / size * 2 * np.pi
        tile += (4 * np.sin(x) * np.cos(y))[..., None]
    return np.clip(np.round(tile), 0, 255).astype(np.uint8)
