"""Tracing one ink's mask into SVG paths with vtracer (native, offline).

The product card named svgtrace, but its trace() fails with the current install-playwright
(TypeError) and it downloads a browser at run time, so it cannot serve offline; vtracer
(Rust, a Python wheel) traces in-process. The mask is traced with a wrap margin (the tile
padded by wrapping) so shapes that cross the tile edge are traced whole and continue exactly
in the next repeat; only paths that touch the tile are kept.
"""

from __future__ import annotations

import re

import cv2
import numpy as np

_PATH = re.compile(r'<path d="([^"]*)"[^>]*?transform="translate\(([-\d.e]+),([-\d.e]+)\)"')
_NUM = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?")
TRACE_MODES = ("spline", "polygon")


def _vtracer_svg(mask: np.ndarray, mode: str) -> str:
    import vtracer

    img = np.where(mask, 0, 255).astype(np.uint8)  # binary mode traces the dark pixels
    ok, buf = cv2.imencode(".png", img)
    if not ok:
        raise RuntimeError("could not encode the ink mask for tracing")
    return str(
        vtracer.convert_raw_image_to_svg(
            buf.tobytes(),
            img_format="png",
            colormode="binary",
            mode=mode,
            filter_speckle=0,
            corner_threshold=60,
            length_threshold=3.0,
            splice_threshold=45,
            path_precision=2,
        )
    )


def _shift_d(
    d: str, dx: float, dy: float, scale: float = 1.0
) -> tuple[str, tuple[float, float, float, float]]:
    """Bake a translation (then a scale) into absolute path data (vtracer writes M/L/C/Z)."""
    nums = [float(v) for v in _NUM.findall(d)]
    xs, ys = (np.array(nums[0::2]) + dx) * scale, (np.array(nums[1::2]) + dy) * scale
    it = iter(range(len(nums)))

    def repl(m: re.Match[str]) -> str:
        i = next(it)
        v = (float(m.group(0)) + (dx if i % 2 == 0 else dy)) * scale
        return f"{v:.3f}".rstrip("0").rstrip(".")

    bbox = (float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max()))
    return _NUM.sub(repl, d).strip(), bbox


def trace_mask(
    mask: np.ndarray, mode: str = "spline", margin: int | None = None, scale: float = 1.0
) -> list[str]:
    """Path data for the True pixels of a tileable mask, in mask pixels × `scale` (a mask
    traced at 4× the tile size with scale 1/4 gives tile-pixel coordinates)."""
    h, w = mask.shape
    if not mask.any():
        return []
    if mask.all():
        return [f"M0 0 L{w * scale:g} 0 L{w * scale:g} {h * scale:g} L0 {h * scale:g} Z"]
    pad = margin if margin is not None else max(8, min(h, w) // 4)
    padded = np.pad(mask, pad, mode="wrap")
    svg = _vtracer_svg(padded, mode)
    paths = []
    for d, tx, ty in _PATH.findall(svg):
        if not _NUM.search(d):
            continue  # vtracer emits an empty path for degenerate clusters
        shifted, (x0, y0, x1, y1) = _shift_d(d, float(tx) - pad, float(ty) - pad, scale)
        if x1 < 0 or y1 < 0 or x0 > w * scale or y0 > h * scale:
            continue  # lies wholly in the margin: another repeat draws it
        paths.append(shifted)
    return paths
