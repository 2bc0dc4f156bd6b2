"""Interactive mask refinement: the model's mask, the designer's strokes and box, GrabCut.

The model's probabilities seed GrabCut as *probable* foreground/background, so its colour
models start from a good guess; include/exclude strokes are hard constraints (GC_FGD /
GC_BGD) and everything outside the rectangle is background. The result is a binary mask
the studio saves with the project.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

Point = tuple[float, float]


def stroke_mask(shape: tuple[int, int], points: Sequence[Point], radius: float) -> np.ndarray:
    """A brush stroke (polyline of (x, y) points, `radius` px) as a bool HxW mask."""
    m = np.zeros(shape, np.uint8)
    pts = np.round(np.asarray(points, np.float64) * 16).astype(np.int32)
    if len(pts) == 1:
        cv2.circle(m, tuple(int(v) for v in pts[0]), max(1, round(radius * 16)), 1, -1, 8, 4)
    else:
        cv2.polylines(m, [pts], False, 1, max(1, round(2 * radius)), cv2.LINE_8, 4)
    return m.astype(bool)


def refine_mask(
    image: np.ndarray,
    prob: np.ndarray | None = None,
    rect: tuple[int, int, int, int] | None = None,
    include: np.ndarray | None = None,
    exclude: np.ndarray | None = None,
    iterations: int = 3,
    max_side: int = 640,
) -> np.ndarray:
    """Refined garment mask (uint8 HxW, 1 = garment) of an RGB photo.

    prob: model probabilities (HxW float); rect: (x0, y0, x1, y1), outside is background;
    include/exclude: bool HxW stroke masks. GrabCut runs at most `max_side` px for speed."""
    h, w = image.shape[:2]
    k = min(1.0, max_side / max(h, w))
    sw, sh = max(1, round(w * k)), max(1, round(h * k))

    def small(a: np.ndarray, interp: int = cv2.INTER_NEAREST) -> np.ndarray:
        return cv2.resize(a, (sw, sh), interpolation=interp) if k < 1 else a

    img = small(cv2.cvtColor(image, cv2.COLOR_RGB2BGR), cv2.INTER_AREA)
    gc = np.full((sh, sw), cv2.GC_PR_FGD if prob is None else cv2.GC_PR_BGD, np.uint8)
    if prob is not None:
        p = small(prob.astype(np.float32), cv2.INTER_LINEAR)
        gc[p >= 0.5] = cv2.GC_PR_FGD
    if rect is not None:
        x0, y0, x1, y1 = (round(v * k) for v in rect)
        outside = np.ones((sh, sw), bool)
        outside[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)] = False
        gc[outside] = cv2.GC_BGD
    inc = small(include.astype(np.uint8)).astype(bool) if include is not None else None
    exc = small(exclude.astype(np.uint8)).astype(bool) if exclude is not None else None
    if inc is not None:
        gc[inc] = cv2.GC_FGD
    if exc is not None:
        gc[exc] = cv2.GC_BGD
    fg = np.isin(gc, (cv2.GC_FGD, cv2.GC_PR_FGD))
    if not fg.any():
        return np.zeros((h, w), np.uint8)
    if fg.all():  # GrabCut needs some background to model: assume the image border
        gc[[0, -1], :] = cv2.GC_PR_BGD
        gc[:, [0, -1]] = cv2.GC_PR_BGD
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.grabCut(img, gc, (0, 0, 1, 1), bgd, fgd, iterations, cv2.GC_INIT_WITH_MASK)
    out = np.isin(gc, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.uint8)
    if k < 1:  # back to full size along the soft edge, then re-apply the hard strokes
        big = cv2.resize(out.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
        out = (big > 0.5).astype(np.uint8)
        if include is not None:
            out[include.astype(bool)] = 1
        if exclude is not None:
            out[exclude.astype(bool)] = 0
    return out


def mask_to_png(mask: np.ndarray) -> bytes:
    """A refined mask as a small 1-bit-looking PNG, for saving with the project."""
    ok, buf = cv2.imencode(".png", (mask > 0).astype(np.uint8) * 255)
    if not ok:
        raise ValueError("cannot encode the mask as PNG")
    return buf.tobytes()


def mask_from_png(data: bytes) -> np.ndarray:
    """The mask saved by `mask_to_png` (uint8 HxW, 1 = garment)."""
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    if img is None:
        raise ValueError("not a PNG mask")
    return (img > 127).astype(np.uint8)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.astype(bool), b.astype(bool)
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0
