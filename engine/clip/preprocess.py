"""Image preprocessing shared by training, inference and the GAN's differentiable use.

One torch code path (antialiased bilinear resize, then the model's mean/std) for uint8 tiles
and for generator output in [-1, 1], so the encoder sees the same thing in training, in the
studio and inside GAN losses, and gradients flow back to the pixels.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F


def to_unit_range(images: np.ndarray | torch.Tensor | Sequence[np.ndarray]) -> torch.Tensor:
    """Float NCHW in [0, 1] from NHWC/HWC uint8 numpy, NCHW uint8 torch or NCHW [-1, 1] torch.

    Float torch input keeps its autograd graph.
    """
    if isinstance(images, list | tuple):
        images = np.stack([np.asarray(im) for im in images])
    if isinstance(images, np.ndarray):
        arr = images
        if arr.ndim == 3:
            arr = arr[None]
        if arr.ndim != 4 or arr.shape[-1] != 3:
            raise ValueError(f"expected NHWC RGB images, got array of shape {arr.shape}")
        if arr.dtype != np.uint8:
            raise ValueError(f"expected uint8 images, got {arr.dtype}")
        return torch.from_numpy(np.ascontiguousarray(arr)).permute(0, 3, 1, 2).float() / 255.0
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"unsupported image type {type(images).__name__}")
    x = images
    if x.ndim == 3:
        x = x[None]
    if x.ndim != 4 or x.shape[1] != 3:
        raise ValueError(f"expected NCHW RGB tensor, got shape {tuple(x.shape)}")
    if x.dtype == torch.uint8:
        return x.float() / 255.0
    return (x.float() + 1.0) * 0.5


def resize(x: torch.Tensor, size: int) -> torch.Tensor:
    """Antialiased bilinear resize of an NCHW float batch to size×size (differentiable)."""
    if x.shape[-2:] == (size, size):
        return x
    return F.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False)


def normalize(x01: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """Apply the model's channel mean/std to a [0, 1] batch."""
    m = torch.tensor(mean, dtype=x01.dtype, device=x01.device).view(1, 3, 1, 1)
    s = torch.tensor(std, dtype=x01.dtype, device=x01.device).view(1, 3, 1, 1)
    return (x01 - m) / s


def resize_uint8(images: np.ndarray, size: int) -> torch.Tensor:
    """NHWC uint8 → NCHW uint8 at the model's input size (for preloading a training set)."""
    x = resize(to_unit_range(images), size)
    return (x * 255.0).round().clamp(0, 255).to(torch.uint8)
