"""Mapping network: z (+ condition c) → w, with the running average of w for truncation.

The `embed` layer turns c (a unit CLIP text embedding in Wenyang Studio) into the w space;
it is the CLIP adaptation layer.
"""

from __future__ import annotations

import torch

from engine.stylegan.layers import FullyConnectedLayer, normalize_2nd_moment


class MappingNetwork(torch.nn.Module):
    """MLP from normalised [z, embed(c)] to w, broadcast to `num_ws` copies."""

    def __init__(
        self,
        z_dim: int,  # latent z width, 0 = none
        c_dim: int,  # condition width, 0 = unconditional
        w_dim: int,  # intermediate latent width
        num_ws: int | None,  # copies of w to output, None = no broadcast
        num_layers: int = 8,  # dense layers
        embed_features: int | None = None,  # embed(c) width, None = w_dim
        layer_features: int | None = None,  # hidden width, None = w_dim
        activation: str = "lrelu",  # hidden activation
        lr_multiplier: float = 0.01,  # learning-rate multiplier of the dense layers
        w_avg_beta: float | None = 0.995,  # decay of the running w average, None = no tracking
    ) -> None:
        super().__init__()
        self.z_dim = z_dim
        self.c_dim = c_dim
        self.w_dim = w_dim
        self.num_ws = num_ws
        self.num_layers = num_layers
        self.w_avg_beta = w_avg_beta
        if embed_features is None:
            embed_features = w_dim
        if c_dim == 0:
            embed_features = 0
        if layer_features is None:
            layer_features = w_dim
        widths = [z_dim + embed_features] + [layer_features] * (num_layers - 1) + [w_dim]
        if c_dim > 0:
            self.embed = FullyConnectedLayer(c_dim, embed_features)
        for i in range(num_layers):
            layer = FullyConnectedLayer(
                widths[i], widths[i + 1], activation=activation, lr_multiplier=lr_multiplier
            )
            setattr(self, f"fc{i}", layer)
        self.w_avg: torch.Tensor  # running mean of w (a buffer; absent without tracking)
        if num_ws is not None and w_avg_beta is not None:
            self.register_buffer("w_avg", torch.zeros([w_dim]))

    def embed_input(self, z: torch.Tensor | None, c: torch.Tensor | None) -> torch.Tensor:
        """Normalised concatenation of z and embed(c), the input of fc0."""
        parts = []
        if self.z_dim > 0:
            if z is None or z.ndim != 2 or z.shape[1] != self.z_dim:
                raise ValueError(f"z must be [N, {self.z_dim}]")
            parts.append(normalize_2nd_moment(z.to(torch.float32)))
        if self.c_dim > 0:
            if c is None or c.ndim != 2 or c.shape[1] != self.c_dim:
                raise ValueError(f"c must be [N, {self.c_dim}]")
            parts.append(normalize_2nd_moment(self.embed(c.to(torch.float32))))
        return torch.cat(parts, dim=1) if len(parts) > 1 else parts[0]

    def forward(
        self,
        z: torch.Tensor | None,
        c: torch.Tensor | None,
        truncation_psi: float = 1.0,
        truncation_cutoff: int | None = None,
        update_emas: bool | None = None,
        skip_w_avg_update: bool = False,
    ) -> torch.Tensor:
        """w [N, w_dim], or ws [N, num_ws, w_dim] when broadcasting.

        The running average of w updates in training mode unless `skip_w_avg_update` (the
        StyleGAN2-ADA rule); an explicit `update_emas` (the StyleGAN3 name) overrides that.
        """
        x = self.embed_input(z, c)
        for i in range(self.num_layers):
            x = getattr(self, f"fc{i}")(x)
        update = self.training and not skip_w_avg_update
        if update_emas is not None:
            update = update_emas
        if self.w_avg_beta is not None and update:
            self.w_avg.copy_(x.detach().mean(dim=0).lerp(self.w_avg, self.w_avg_beta))
        if self.num_ws is not None:
            x = x.unsqueeze(1).repeat([1, self.num_ws, 1])
        if truncation_psi != 1:
            if self.w_avg_beta is None:
                raise ValueError("truncation needs a tracked w_avg (w_avg_beta is None)")
            if self.num_ws is None or truncation_cutoff is None:
                x = self.w_avg.lerp(x, truncation_psi)
            else:
                x[:, :truncation_cutoff] = self.w_avg.lerp(x[:, :truncation_cutoff], truncation_psi)
        return x
