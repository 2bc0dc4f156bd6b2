"""Seam metric for tileable images: is the wrap edge as smooth as the inside of the tile?

A tile that repeats without a visible join has about the same mean absolute difference across
its wrap edge (last row → first row, last column → first column) as between neighbouring rows
and columns inside it; a tile cut out of a larger image has a much bigger jump there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SeamError:
    """`seam`: mean |Δ| across the wrap edges; `interior`: mean |Δ| between interior neighbours;
    `ratio` = seam / interior (≈ 1 for a seamless tile, ≫ 1 for a visible join)."""

    seam: float
    interior: float
    ratio: float


def seam_error(image: np.ndarray) -> SeamError:
    """Measure the wrap-edge jump of an HxW or HxWxC image against its interior neighbours."""
    a = np.asarray(image)
    if a.ndim not in (2, 3) or a.shape[0] < 3 or a.shape[1] < 3:
        raise ValueError(f"expected an HxW or HxWxC image of at least 3x3, got shape {a.shape}")
    a = a.astype(np.float32)
    if a.ndim == 2:
        a = a[:, :, None]
    rows = np.abs(np.diff(a, axis=0))  # (H-1) interior row pairs
    cols = np.abs(np.diff(a, axis=1))
    wrap_r = np.abs(a[0] - a[-1])
    wrap_c = np.abs(a[:, 0] - a[:, -1])
    seam = float((wrap_r.sum() + wrap_c.sum()) / (wrap_r.size + wrap_c.size))
    interior = float((rows.sum() + cols.sum()) / (rows.size + cols.size))
    # a flat image is seamless unless the edge itself jumps
    flat = 1.0 if seam <= 1e-9 else float("inf")
    ratio = seam / interior if interior > 1e-9 else flat
    return SeamError(seam=seam, interior=interior, ratio=ratio)


def grid_ratio(image: np.ndarray, period: int = 8) -> float:
    """Mean |Δ| across the interior lines every `period` px, over the mean |Δ| of all
    interior neighbours (≈ 1 without a grid).

    Why: a generator upsampling white noise from a low layer jumps most across its block
    edges (8 px for the 32 px layer of a 256 px tile); the wrap edge is one of them, so such a
    grid fails the seam ratio though nothing is wrong at the join itself (session 17)."""
    a = np.asarray(image)
    if a.ndim not in (2, 3) or min(a.shape[:2]) <= period:
        raise ValueError(f"expected an HxW or HxWxC image larger than {period} px, got {a.shape}")
    a = a.astype(np.float32)
    if a.ndim == 2:
        a = a[:, :, None]
    rows = np.abs(np.diff(a, axis=0)).mean(axis=(1, 2))  # [H-1]: row k -> k+1
    cols = np.abs(np.diff(a, axis=1)).mean(axis=(0, 2))  # [W-1]
    on = np.concatenate([rows[period - 1 :: period], cols[period - 1 :: period]])
    every = np.concatenate([rows, cols])
    mean = float(every.mean())
    return float(on.mean()) / mean if mean > 1e-9 else 1.0
