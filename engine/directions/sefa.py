"""Unsupervised directions by closed-form factorisation (SeFa, Shen & Zhou 2021).

Each style affine maps w to per-channel styles s = A w + b, so the unit w-direction that
changes the styles of a group of layers most is the top eigenvector of AᵀA, A being their
affine weights stacked (rows normalised, as in SeFa). Done per layer range (coarse / middle
/ fine) it gives structure, layout and colour/texture sliders with no labels and no sampling:
an eigendecomposition of a w_dim×w_dim matrix, well under a second, cached per model.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from engine.directions.base import Direction, fix_sign, spread_along

_CACHE: dict[tuple, dict[str, list[Direction]]] = {}
_LOCK = threading.Lock()


def affine_rows(G: Any) -> list[list[np.ndarray]]:
    """For each w row, the effective affine weight matrices [out, w_dim] of the layers reading it.

    Row layout of the official synthesis network: a block's conv0 reads row i, conv1 row i+1
    (the 4×4 block has conv1 only, at row i) and its toRGB the row after its convs, shared
    with the next block's conv0.
    """
    syn = G.synthesis
    rows: list[list[np.ndarray]] = [[] for _ in range(int(G.num_ws))]
    idx = 0
    for res in syn.block_resolutions:
        b = getattr(syn, f"b{res}")
        layers = [b.conv1] if b.in_channels == 0 else [b.conv0, b.conv1]
        for j, layer in enumerate(layers):
            rows[idx + j].append(_effective(layer.affine))
        if getattr(b, "num_torgb", 0):
            rows[idx + b.num_conv].append(_effective(b.torgb.affine))
        idx += b.num_conv
    return rows


def _effective(fc: Any) -> np.ndarray:
    return (fc.weight.detach().float().cpu().numpy() * float(fc.weight_gain)).astype(np.float64)


def factorise(weights: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(eigenvalues descending [w_dim], eigenvectors as rows [w_dim, w_dim]) of AᵀA."""
    A = np.concatenate(weights, axis=0)
    A = A / np.maximum(np.linalg.norm(A, axis=1, keepdims=True), 1e-12)
    vals, vecs = np.linalg.eigh(A.T @ A)
    order = np.argsort(vals)[::-1]
    vecs = np.stack([fix_sign(vecs[:, i]) for i in order])
    return vals[order], vecs


def sefa_directions(
    G: Any,
    layer_ranges: dict[str, tuple[int, int]],
    k: int = 8,
    ws_sample: np.ndarray | None = None,
    cache_key: str | None = None,
) -> dict[str, list[Direction]]:
    """The top-k SeFa directions per layer range ({"coarse": [...], ...}).

    `ws_sample` [N, w_dim] sets each direction's step (spread of ws along it); without it a
    step is 1 W unit. Results are cached under `cache_key` (use the model hash).
    """
    key = (cache_key, k, tuple(sorted(layer_ranges.items())), ws_sample is not None)
    if cache_key is not None:
        with _LOCK:
            hit = _CACHE.get(key)
        if hit is not None:
            return hit
    rows = affine_rows(G)
    out: dict[str, list[Direction]] = {}
    for name, (a, b) in layer_ranges.items():
        mats = [m for r in range(a, b) for m in rows[r]]
        if not mats:
            out[name] = []
            continue
        vals, vecs = factorise(mats)
        total = float(vals.sum()) or 1.0
        dirs = []
        for i in range(min(k, len(vals))):
            v = vecs[i].astype(np.float32)
            scale = spread_along(ws_sample, v) if ws_sample is not None else 1.0
            dirs.append(
                Direction(
                    name=f"{name}_{i}",
                    kind="sefa",
                    vector=v,
                    scale=scale,
                    layers=(int(a), int(b)),
                    layer_range=name,
                    meta={"eigenvalue": float(vals[i]), "share": float(vals[i]) / total},
                )
            )
        out[name] = dirs
    if cache_key is not None:
        with _LOCK:
            _CACHE[key] = out
    return out
