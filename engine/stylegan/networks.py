"""StyleGAN2 Generator and Discriminator, written for Wenyang Studio.

Constructor arguments, parameter/buffer names and numerics match NVIDIA's StyleGAN2-ADA
PyTorch release, so a state dict moves both ways with `strict=True` and renders the same
image (noise_mode='const', tileable off). Our additions are switches that default to the
official behaviour: `tileable` (seamless tiles) and `impl` (op implementation).
"""

from __future__ import annotations

from typing import Any

import torch

from engine.stylegan.discriminator import (
    Discriminator,
    DiscriminatorBlock,
    DiscriminatorEpilogue,
)
from engine.stylegan.layers import (
    Conv2dLayer,
    FullyConnectedLayer,
    MinibatchStdLayer,
    modulated_conv2d,
    normalize_2nd_moment,
)
from engine.stylegan.mapping import MappingNetwork
from engine.stylegan.synthesis import (
    SynthesisBlock,
    SynthesisLayer,
    SynthesisNetwork,
    ToRGBLayer,
)

__all__ = [
    "Conv2dLayer",
    "Discriminator",
    "DiscriminatorBlock",
    "DiscriminatorEpilogue",
    "FullyConnectedLayer",
    "Generator",
    "MappingNetwork",
    "MinibatchStdLayer",
    "SynthesisBlock",
    "SynthesisLayer",
    "SynthesisNetwork",
    "ToRGBLayer",
    "modulated_conv2d",
    "normalize_2nd_moment",
]


class Generator(torch.nn.Module):
    """G(z [N, z_dim], c [N, c_dim]) -> images [N, img_channels, R, R], roughly in [-1, 1]."""

    def __init__(
        self,
        z_dim: int,  # latent z width
        c_dim: int,  # condition width (CLIP embedding width), 0 = unconditional
        w_dim: int,  # intermediate latent width
        img_resolution: int,  # output resolution
        img_channels: int,  # output channels
        mapping_kwargs: dict[str, Any] | None = None,  # more MappingNetwork arguments
        synthesis_kwargs: dict[str, Any] | None = None,  # more SynthesisNetwork arguments
        tileable: bool = False,  # seamless (periodic) synthesis; off = official numerics
        **extra_synthesis_kwargs: Any,  # as in the official code: folded into synthesis
    ) -> None:
        super().__init__()
        # constructor arguments as given: checkpoints store them to rebuild the network
        self.init_kwargs: dict[str, Any] = {
            "z_dim": z_dim,
            "c_dim": c_dim,
            "w_dim": w_dim,
            "img_resolution": img_resolution,
            "img_channels": img_channels,
            "mapping_kwargs": dict(mapping_kwargs or {}),
            "synthesis_kwargs": {**(synthesis_kwargs or {}), **extra_synthesis_kwargs},
            "tileable": tileable,
        }
        self.z_dim = z_dim
        self.c_dim = c_dim
        self.w_dim = w_dim
        self.img_resolution = img_resolution
        self.img_channels = img_channels
        syn = {**(synthesis_kwargs or {}), **extra_synthesis_kwargs}
        syn.setdefault("tileable", tileable)
        self.tileable = bool(syn["tileable"])
        self.synthesis = SynthesisNetwork(
            w_dim=w_dim, img_resolution=img_resolution, img_channels=img_channels, **syn
        )
        self.num_ws = self.synthesis.num_ws
        self.mapping = MappingNetwork(
            z_dim=z_dim, c_dim=c_dim, w_dim=w_dim, num_ws=self.num_ws, **(mapping_kwargs or {})
        )

    def forward(
        self,
        z: torch.Tensor,
        c: torch.Tensor | None,
        truncation_psi: float = 1.0,
        truncation_cutoff: int | None = None,
        update_emas: bool | None = None,
        **synthesis_kwargs: Any,
    ) -> torch.Tensor:
        ws = self.mapping(
            z,
            c,
            truncation_psi=truncation_psi,
            truncation_cutoff=truncation_cutoff,
            update_emas=update_emas,
        )
        return self.synthesis(ws, **synthesis_kwargs)
