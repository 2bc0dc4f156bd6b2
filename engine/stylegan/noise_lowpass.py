"""Band-limited synthesis noise: a periodic Gaussian low-pass on a layer's noise map.

StyleGAN2 adds per-pixel white noise in every synthesis layer. Our 256 px generator draws its
motifs from the 32 px layer's noise, and three 2x upsamplings later the noise's energy near
that layer's Nyquist frequency shows as a grid: the jump between neighbouring pixels is
largest across the 8 px block boundaries (up to 12% above the mean), the tile's wrap edge is
one of them, and the seam ratio fails. Blurring the noise of layers below the output
resolution removes that energy (measured on the shipped network, session 17: σ = 0.7 layer
pixels flattens the 8 px phase profile and brings the wrap edge to 1.07 of the interior); a
network must be trained with it, since it draws fewer, larger blobs from smoother noise.

The taps have unit energy (Σ k² = 1), so white noise of unit variance stays unit variance and
`noise_strength` keeps its meaning. Numpy and torch versions give the same numbers (the torch
one is imported lazily: `numpy_render` uses this module before torch has loaded).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch


def check_sigma(sigma: float) -> float:
    """σ as a float, or ValueError if it is negative or not finite."""
    s = float(sigma)
    if not math.isfinite(s) or s < 0:
        raise ValueError(f"noise_lowpass must be a finite σ >= 0 (layer pixels), not {sigma!r}")
    return s


def taps(sigma: float) -> np.ndarray:
    """Unit-energy 1-D Gaussian taps [2r+1], r = ceil(3σ); [1.0] for σ = 0 (white noise)."""
    s = check_sigma(sigma)
    if s == 0:
        return np.ones(1, np.float64)
    r = math.ceil(3 * s)
    t = np.arange(-r, r + 1, dtype=np.float64)
    k = np.exp(-(t**2) / (2 * s * s))
    return k / np.sqrt(np.square(k).sum())


def lowpass_np(noise: np.ndarray, sigma: float) -> np.ndarray:
    """Periodic separable blur of the last two axes of `noise` (float32); σ = 0 returns it."""
    k = taps(sigma)
    if len(k) == 1:
        return noise
    r = len(k) // 2
    out = noise.astype(np.float64)
    for axis in (-2, -1):
        acc = np.zeros_like(out)
        for i, tap in enumerate(k):
            acc += tap * np.roll(out, i - r, axis=axis)
        out = acc
    return out.astype(np.float32)


def lowpass(noise: torch.Tensor, sigma: float) -> torch.Tensor:
    """The torch twin of `lowpass_np` (same taps, same wrap), in `noise`'s dtype and device."""
    import torch

    k = taps(sigma)
    if len(k) == 1:
        return noise
    r = len(k) // 2
    out = noise.to(torch.float32)
    for dim in (-2, -1):
        acc = torch.zeros_like(out)
        for i, tap in enumerate(k.tolist()):
            acc.add_(torch.roll(out, i - r, dims=dim), alpha=tap)
        out = acc
    return out.to(noise.dtype)
