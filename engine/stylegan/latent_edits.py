"""A request's final latent from its parts: base ws, style mix, slider offsets, policy offset.

Numpy only, shared by the torch `Renderer` and the torch-free `numpy_render`, so the two
apply a design's edits identically.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# (unit direction [w_dim], strength, (first w row, end w row))
Offset = tuple[np.ndarray, float, tuple[int, int]]


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
    ws = np.asarray(base, dtype=np.float32).reshape(num_ws, w_dim).copy()
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
