"""StyleGAN2 loss terms (Karras et al. 2020): non-saturating logistic loss, R1 on reals,
path-length regularisation and style mixing, written as small functions of tensors."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F


def mapping_kwarg(G: Any) -> str | None:
    """Name of the mapping argument that turns w_avg tracking on/off (it varies by release)."""
    try:
        params = inspect.signature(G.mapping.forward).parameters
    except (TypeError, ValueError):
        return None
    if "update_emas" in params:
        return "update_emas"
    if "skip_w_avg_update" in params:
        return "skip_w_avg_update"
    return None


def run_mapping(
    G: Any, z: torch.Tensor, c: torch.Tensor, update_emas: bool, kwarg: str | None
) -> torch.Tensor:
    if kwarg == "update_emas":
        return G.mapping(z, c, update_emas=update_emas)
    if kwarg == "skip_w_avg_update":
        return G.mapping(z, c, skip_w_avg_update=not update_emas)
    return G.mapping(z, c)


def style_mix(
    G: Any, ws: torch.Tensor, z: torch.Tensor, c: torch.Tensor, prob: float, kwarg: str | None
) -> torch.Tensor:
    """With probability `prob`, layers >= a random cutoff take the w of a second latent.

    The cutoff and coin are drawn from the CPU generator (no device sync on CUDA).
    """
    if prob <= 0 or ws.shape[1] < 2:
        return ws
    cutoff = int(torch.randint(1, ws.shape[1], ()))
    if float(torch.rand(())) >= prob:
        return ws
    ws2 = run_mapping(G, torch.randn_like(z), c, False, kwarg)
    return torch.cat([ws[:, :cutoff], ws2[:, cutoff:]], dim=1)


def d_logistic(fake_logits: torch.Tensor, real_logits: torch.Tensor) -> torch.Tensor:
    """softplus(D(fake)) + softplus(-D(real)), averaged over the batch."""
    return F.softplus(fake_logits).mean() + F.softplus(-real_logits).mean()


def g_nonsaturating(fake_logits: torch.Tensor) -> torch.Tensor:
    return F.softplus(-fake_logits).mean()


def r1_penalty(real_logits: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """|grad_x D(x)|^2 per real image (x requires grad; create_graph for the D update)."""
    (grads,) = torch.autograd.grad(real_logits.sum(), real, create_graph=True, only_inputs=True)
    return grads.square().sum(dim=[1, 2, 3])


def path_length(img: torch.Tensor, ws: torch.Tensor) -> torch.Tensor:
    """|J_w^T y| for y ~ N(0, I)/sqrt(HW): the per-image path length of the synthesis."""
    noise = torch.randn_like(img) / np.sqrt(img.shape[2] * img.shape[3])
    (grads,) = torch.autograd.grad((img * noise).sum(), ws, create_graph=True, only_inputs=True)
    return grads.square().sum(dim=2).mean(dim=1).sqrt()
