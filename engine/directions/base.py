"""The `Direction` record shared by every kind of slider, and small statistics helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

Offset = tuple[np.ndarray, float, tuple[int, int]]


@dataclass
class Direction:
    """A slider: unit `vector` [w_dim] moved by `scale` W units per step over w rows `layers`.

    `scale` is the spread of sampled ws along the vector (one step ≈ one standard deviation),
    so that steps −3…+3 mean the same amount of change for every kind of direction.

    `by_region` (region id -> (unit vector, scale)): a named slider may act differently in
    each region (InterFaceGAN's conditional case): what makes a Miao design more "gold" is
    its silver, not the yellow that does it in a Tibetan one. `for_region` picks the
    region's own; `vector` is then their mean, for callers that know no region.
    """

    name: str
    kind: str  # "sefa", "named", "text"
    vector: np.ndarray
    scale: float
    layers: tuple[int, int]
    layer_range: str = ""  # "coarse", "middle", "fine", "all"
    meta: dict[str, Any] = field(default_factory=dict)
    by_region: dict[str, tuple[np.ndarray, float]] = field(default_factory=dict)

    def for_region(self, region: str | None) -> Direction:
        """This slider as it acts in `region` (itself when it has no per-region vectors)."""
        if region is None or region not in self.by_region:
            return self
        vec, scale = self.by_region[region]
        return Direction(self.name, self.kind, vec, scale, self.layers, self.layer_range, self.meta)

    def offset(self, step: float) -> Offset:
        """A `RenderRequest.offsets` entry for slider position `step`."""
        return (self.vector.astype(np.float32), float(step) * self.scale, self.layers)

    def to_json(self) -> dict[str, Any]:
        """Everything but the vectors (those go to safetensors)."""
        out: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "scale": float(self.scale),
            "layers": [int(self.layers[0]), int(self.layers[1])],
            "layer_range": self.layer_range,
            "meta": self.meta,
        }
        if self.by_region:
            out["region_scales"] = {r: float(s) for r, (_, s) in sorted(self.by_region.items())}
        return out


def unit(v: np.ndarray) -> np.ndarray:
    """v / |v| as float32 (zeros stay zeros)."""
    v = np.asarray(v, dtype=np.float64).reshape(-1)
    n = float(np.linalg.norm(v))
    return (v / n if n > 1e-12 else v).astype(np.float32)


def fix_sign(v: np.ndarray) -> np.ndarray:
    """Make the largest-magnitude component positive (eigenvectors have no natural sign)."""
    i = int(np.argmax(np.abs(v)))
    return v if v[i] >= 0 else -v


def spread_along(ws: np.ndarray, vector: np.ndarray) -> float:
    """Standard deviation of the projections of sample ws [N, w_dim] on a unit vector."""
    p = np.asarray(ws, dtype=np.float64) @ np.asarray(vector, dtype=np.float64)
    return float(p.std()) if p.size > 1 else 1.0


def rankdata(x: np.ndarray) -> np.ndarray:
    """Average ranks (ties share their mean rank), as scipy.stats.rankdata."""
    x = np.asarray(x, dtype=np.float64)
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x), dtype=np.float64)
    ranks[order] = np.arange(len(x), dtype=np.float64)
    xs = x[order]
    i = 0
    while i < len(xs):
        j = i
        while j + 1 < len(xs) and xs[j + 1] == xs[i]:
            j += 1
        if j > i:
            ranks[order[i : j + 1]] = (i + j) / 2.0
        i = j + 1
    return ranks


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman rank correlation; 0 when either side is constant (no monotone trend)."""
    rx, ry = rankdata(np.asarray(x)), rankdata(np.asarray(y))
    rx -= rx.mean()
    ry -= ry.mean()
    d = float(np.sqrt((rx * rx).sum() * (ry * ry).sum()))
    return float((rx * ry).sum() / d) if d > 1e-12 else 0.0
