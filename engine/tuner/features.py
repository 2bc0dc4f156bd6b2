"""Whitened principal coordinates of w: the space the surrogate, fidelity and policy share.

Working in the top-k principal directions of the logged w (whitened) keeps the policy where
the data varies: an offset of 1 in z is one standard deviation of what the generator makes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class LatentSpace:
    """z = (w − mean) @ basisᵀ / scale ; w offset = (a · scale) @ basis."""

    mean: np.ndarray  # [w_dim]
    basis: np.ndarray  # [k, w_dim] orthonormal rows
    scale: np.ndarray  # [k] standard deviation along each row
    explained: float  # fraction of the variance of w the k directions hold

    @property
    def k(self) -> int:
        return int(self.basis.shape[0])

    @staticmethod
    def fit(w: np.ndarray, max_k: int = 64, var_kept: float = 0.995) -> LatentSpace:
        w = np.asarray(w, np.float64)
        mean = w.mean(0)
        x = w - mean
        if len(w) > w.shape[1]:  # covariance eigh: far cheaper than an SVD of [N, w_dim]
            evals, evecs = np.linalg.eigh(x.T @ x / max(len(w) - 1, 1))
            order = np.argsort(evals)[::-1]
            var, vt = np.maximum(evals[order], 0.0), evecs[:, order].T
        else:
            _, sv, vt = np.linalg.svd(x, full_matrices=False)
            var = sv**2 / max(len(w) - 1, 1)
        frac = np.cumsum(var) / max(var.sum(), 1e-30)
        k = int(min(max_k, len(w) - 1, int(np.searchsorted(frac, var_kept)) + 1, len(var)))
        k = max(k, 1)
        scale = np.sqrt(np.maximum(var[:k], 1e-12))
        return LatentSpace(
            mean.astype(np.float32),
            vt[:k].astype(np.float32),
            scale.astype(np.float32),
            float(frac[k - 1]),
        )

    def to_z(self, w: np.ndarray) -> np.ndarray:
        return ((np.asarray(w, np.float32) - self.mean) @ self.basis.T) / self.scale

    def offset_to_w(self, a: np.ndarray) -> np.ndarray:
        """A z-space offset as a w-space offset (same for every layer)."""
        return (np.asarray(a, np.float32) * self.scale) @ self.basis


@dataclass
class EmbeddingSpace:
    """A few whitened principal coordinates of the CLIP image embeddings (fixed per variant)."""

    mean: np.ndarray
    basis: np.ndarray
    scale: np.ndarray

    @staticmethod
    def fit(e: np.ndarray, k: int = 16) -> EmbeddingSpace:
        e = np.asarray(e, np.float64)
        mean = e.mean(0)
        _, sv, vt = np.linalg.svd(e - mean, full_matrices=False)
        k = max(1, min(k, len(e) - 1, len(sv)))
        scale = np.maximum(sv[:k] / np.sqrt(max(len(e) - 1, 1)), 1e-6)
        return EmbeddingSpace(
            mean.astype(np.float32), vt[:k].astype(np.float32), scale.astype(np.float32)
        )

    def to_e(self, e: np.ndarray) -> np.ndarray:
        return ((np.asarray(e, np.float32) - self.mean) @ self.basis.T) / self.scale


def one_hot(idx: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros((len(idx), n), np.float32)
    out[np.arange(len(idx)), idx] = 1.0
    return out
