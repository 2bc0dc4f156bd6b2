"""A request's final latent from its parts: base ws, style mix, slider offsets, policy offset.

Numpy only, shared by the torch `Renderer` and the torch-free `numpy_render`, so the two
apply a design's edits identically.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# (unit direction [w_dim], strength, (first w row, end w row))
Offset = tuple[np.ndarray, float, tuple[int, int]]


def fit_rows(base: np.ndarray, num_ws: int, w_dim: int) -> np.ndarray:
    """base as ws [num_ws, w_dim] float32 (a copy), for a latent saved with another model.

    Why: a design projected onto one generator keeps its W+ latent, one row per layer, coarse
    to fine. Another generator of the same w space may have more or fewer layers (the 256 px
    model grown from the 128 px one has two more). Rows map by layer from the coarse end: the
    last row repeats for layers the latent has no row for (as one w broadcast to every layer
    would), and rows for layers this model lacks are dropped. A single w [w_dim] broadcasts.
    Raises ValueError when the widths differ: then the latent means nothing to this model.
    """
    arr = np.asarray(base, dtype=np.float32)
    if arr.ndim == 1:
        arr = arr[None]
    if arr.ndim != 2 or arr.shape[1] != w_dim or arr.shape[0] == 0:
        raise ValueError(
            f"a latent of shape {list(np.shape(base))} does not fit this generator "
            f"(w_dim {w_dim}, {num_ws} layers): it was made with another model"
        )
    k = arr.shape[0]
    if k >= num_ws:
        return arr[:num_ws].copy()
    return np.concatenate([arr, np.repeat(arr[-1:], num_ws - k, axis=0)])


def final_ws(
    base: np.ndarray,
    num_ws: int,
    w_dim: int,
    mix_ws: np.ndarray | None = None,
    mix_from_layer: int | None = None,
    offsets: Sequence[Offset] = (),
    policy_offset: np.ndarray | None = None,
) -> np.ndarray:
    """ws [num_ws, w_dim] float32: rows from `mix_from_layer` on taken from `mix_ws`, each
    offset added to its row range, the policy offset to every row."""
    ws = fit_rows(base, num_ws, w_dim)
    if mix_ws is not None and mix_from_layer is not None:
        mix = np.broadcast_to(np.asarray(mix_ws, dtype=np.float32), (num_ws, w_dim))
        k = max(0, min(num_ws, int(mix_from_layer)))
        ws[k:] = mix[k:]
    for direction, strength, (a, b) in offsets:
        vec = np.asarray(direction, dtype=np.float32).reshape(w_dim)
        ws[max(0, a) : min(num_ws, b)] += np.float32(strength) * vec
    if policy_offset is not None:
        ws += np.broadcast_to(np.asarray(policy_offset, dtype=np.float32), (num_ws, w_dim))
    return ws
