"""Distribution metrics in CLIP image space, and intervals for accuracies."""

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


def grouped_bootstrap_ci(
    ok: np.ndarray, groups: np.ndarray, draws: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """95% interval of the mean of `ok` (one 0/1 per tile), resampling whole groups.

    Tiles of one prompt share a condition and are not independent, so the prompts, not the
    tiles, are resampled: with few prompts the interval is honestly wide. Seeded, so the
    same report gives the same interval."""
    x = np.asarray(ok, dtype=np.float64).reshape(-1)
    g = np.asarray(groups).reshape(-1)
    if len(x) != len(g) or len(x) == 0:
        raise ValueError(f"need one group per value, got {len(x)} values and {len(g)} groups")
    uniq, inv = np.unique(g, return_inverse=True)
    sums = np.bincount(inv, weights=x, minlength=len(uniq))
    counts = np.bincount(inv, minlength=len(uniq)).astype(np.float64)
    pick = np.random.default_rng(seed).integers(0, len(uniq), size=(draws, len(uniq)))
    means = sums[pick].sum(1) / counts[pick].sum(1)
    lo, hi = np.quantile(means, [0.025, 0.975])
    return float(lo), float(hi)


def paired_difference_ci(
    a: np.ndarray, b: np.ndarray, draws: int = 2000, seed: int = 0
) -> tuple[float, float, float]:
    """(mean of a − b, 95% interval) for paired per-group values (e.g. each prompt's accuracy
    under two networks), resampling the pairs: shared prompt difficulty cancels out."""
    x = np.asarray(a, dtype=np.float64).reshape(-1)
    y = np.asarray(b, dtype=np.float64).reshape(-1)
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"need paired values, got {len(x)} and {len(y)}")
    d = x - y
    pick = np.random.default_rng(seed).integers(0, len(d), size=(draws, len(d)))
    lo, hi = np.quantile(d[pick].mean(1), [0.025, 0.975])
    return float(d.mean()), float(lo), float(hi)
