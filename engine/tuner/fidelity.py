"""Cultural-fidelity terms for the tuner's reward: pluggable, named in the report.

`MahalanobisFidelity` (default, fast): how well w stays inside its region's data support —
Mahalanobis distance to the logged w of that region. `ClassifierFidelity`: the CLIP region
classifier on rendered images (needs the generator and encoder; slow on a CPU).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np


class Fidelity(Protocol):
    """score: smooth per-sample fidelity in [0, 1] (reward term); accuracy: points 0–100."""

    name: str
    description: str

    def score(self, z: np.ndarray, region: np.ndarray, base_idx: np.ndarray) -> np.ndarray: ...

    def accuracy(self, z: np.ndarray, region: np.ndarray, base_idx: np.ndarray) -> float: ...


@dataclass
class MahalanobisFidelity:
    """Support of each region's logged w: a Gaussian with the region's mean and the pooled,
    shrunk within-region covariance. score = χ²_k survival of d²; accuracy = % of samples
    inside the region's 95% ellipsoid (≈ 95 for the logged variants themselves)."""

    means: np.ndarray  # [R, k]
    precision: np.ndarray  # [k, k]
    dof: int
    name: str = "mahalanobis"
    description: str = (
        "fidelity proxy: Mahalanobis distance of w to the logged variants of its "
        "region (% inside the region's 95% support ellipsoid)"
    )

    @staticmethod
    def fit(z: np.ndarray, region: np.ndarray, R: int, shrink: float = 0.1) -> MahalanobisFidelity:
        k = z.shape[1]
        means = np.zeros((R, k))
        resid = np.empty_like(z, dtype=np.float64)
        for j in range(R):
            m = region == j
            if m.any():
                means[j] = z[m].mean(0)
                resid[m] = z[m] - means[j]
        cov = resid.T @ resid / max(len(z) - len(np.unique(region)), 1)
        cov = (1 - shrink) * cov + shrink * np.diag(np.diag(cov)) + 1e-6 * np.eye(k)
        return MahalanobisFidelity(
            means.astype(np.float32), np.linalg.inv(cov).astype(np.float32), k
        )

    def d2(self, z: np.ndarray, region: np.ndarray) -> np.ndarray:
        d = z - self.means[region]
        return ((d @ self.precision) * d).sum(1)

    def score(self, z: np.ndarray, region: np.ndarray, base_idx: np.ndarray) -> np.ndarray:
        from scipy.special import gammaincc

        return gammaincc(self.dof / 2.0, self.d2(z, region) / 2.0)

    def accuracy(self, z: np.ndarray, region: np.ndarray, base_idx: np.ndarray) -> float:
        from scipy.stats import chi2

        return 100.0 * float(np.mean(self.d2(z, region) <= chi2.ppf(0.95, self.dof)))


@dataclass
class ClassifierFidelity:
    """The region classifier on rendered images: score = probability of the intended region,
    accuracy = % classified as it. `render(ws [B, num_ws, w_dim]) -> uint8 NHWC`,
    `classify(images) -> [B, 8]` probabilities in REGION_IDS order."""

    render: Callable[[np.ndarray], np.ndarray]
    classify: Callable[[np.ndarray], np.ndarray]
    ws_base: Callable[[np.ndarray], np.ndarray]  # base_idx -> ws [B, num_ws, w_dim]
    z_base: np.ndarray  # [N, k] z of the logged variants
    to_w_offset: Callable[[np.ndarray], np.ndarray]  # z offsets [B, k] -> w offsets [B, w_dim]
    name: str = "classifier"
    description: str = "cultural accuracy: the CLIP region classifier on rendered images"

    def _probs(self, z: np.ndarray, base_idx: np.ndarray) -> np.ndarray:
        ws = self.ws_base(base_idx) + self.to_w_offset(z - self.z_base[base_idx])[:, None, :]
        return np.asarray(self.classify(self.render(ws.astype(np.float32))))

    def score(self, z: np.ndarray, region: np.ndarray, base_idx: np.ndarray) -> np.ndarray:
        p = self._probs(z, base_idx)
        return p[np.arange(len(region)), region]

    def accuracy(self, z: np.ndarray, region: np.ndarray, base_idx: np.ndarray) -> float:
        p = self._probs(z, base_idx)
        return 100.0 * float(np.mean(p.argmax(1) == region))


def fidelity_guard(
    fid: Fidelity,
    z: np.ndarray,
    region: np.ndarray,
    mu: np.ndarray,
    trained: np.ndarray,
    max_drop: float,
    seed: int = 0,
    sample: int = 4096,
) -> np.ndarray:
    """Per-region scale in (0, 1] of the policy mean so fidelity drops ≤ `max_drop` points.

    The reward already trades fidelity against the surrogate; this makes the promise hard.
    """
    rng = np.random.default_rng(seed)
    scale = np.ones(len(trained), np.float32)
    n = sample if isinstance(fid, MahalanobisFidelity) else 128
    steps = 12 if isinstance(fid, MahalanobisFidelity) else 5
    for j in np.flatnonzero(trained):
        idx = np.flatnonzero(region == j)
        if len(idx) > n:
            idx = rng.choice(idx, n, replace=False)
        r = region[idx]
        before = fid.accuracy(z[idx], r, idx)

        if before - fid.accuracy(z[idx] + mu[idx], r, idx) <= max_drop:
            continue
        lo, hi = 0.0, 1.0
        for _ in range(steps):
            mid = 0.5 * (lo + hi)
            ok = before - fid.accuracy(z[idx] + mid * mu[idx], r, idx) <= max_drop
            lo, hi = (mid, hi) if ok else (lo, mid)
        scale[j] = lo
    return scale
