"""Distribution metrics in CLIP image space."""

from __future__ import annotations

import numpy as np


def frechet_distance(a: np.ndarray, b: np.ndarray, eps: float = 1e-6) -> float:
    """Fréchet distance between Gaussians fitted to embeddings a [N, D] and b [M, D].

    With fewer samples than dimensions the covariances are singular; a small ridge keeps
    the matrix square root defined (figures are then comparable only at equal N)."""
    from scipy import linalg

    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    mu1, mu2 = a.mean(0), b.mean(0)
    s1 = np.atleast_2d(np.cov(a, rowvar=False)) + eps * np.eye(a.shape[1])
    s2 = np.atleast_2d(np.cov(b, rowvar=False)) + eps * np.eye(a.shape[1])
    covmean = linalg.sqrtm(s1 @ s2)
    covmean = np.real(covmean)
    d = float(((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean))
    return max(d, 0.0)


def mean_pairwise_distance(emb: np.ndarray) -> float:
    """Mean cosine distance 1 − cos over distinct pairs of unit embeddings [N, D]."""
    e = np.asarray(emb, dtype=np.float64)
    n = len(e)
    if n < 2:
        return 0.0
    e = e / np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-12)
    sim = e @ e.T
    return float((1 - sim)[~np.eye(n, dtype=bool)].mean())
