"""Convergence helpers from issue 5, both built on the frozen CLIP image encoder.

* Vision-aided discriminator head (Kumari et al., 2022; cf. Projected GANs): a small trainable
  MLP on frozen CLIP image features of the (augmented) image, plus a projection term with
  the condition; its logit adds a second, semantically informed discriminator.
* Patch heads (`--clip-patch`, session 14; cf. Projected GANs, Sauer et al., 2021): small
  trainable convolutional heads on the frozen tower's intermediate feature maps, one patch
  logit per position, with a projection term per scale. The pooled head judges a tile as a
  whole; these judge its motif parts and textures, which is where the generated tiles fall
  furthest from the database (texture-only region accuracy ~0.19 against the held-out
  tiles' 0.65, session 9).
* LAFITE contrastive loss (Zhou et al., 2022): InfoNCE between the CLIP embedding of each
  generated tile and the condition it was generated from, over the batch.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

OPENAI_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_STD = (0.26862954, 0.26130258, 0.27577711)


class ClipImageFeatures(nn.Module):
    """Differentiable image -> CLIP features; the CLIP weights stay frozen.

    Uses engine.clip's `encode_image_tensor` (unit embedding) and `image_features` (pooled
    features before the projection) when the encoder offers them; otherwise it preprocesses
    tensors itself for the open_clip model in `encoder.model`.
    """

    def __init__(self, encoder: Any) -> None:
        super().__init__()
        model = getattr(encoder, "model", None)
        self.encoder = encoder
        if isinstance(model, nn.Module):
            model.eval().requires_grad_(False)
        self._embed = getattr(encoder, "encode_image_tensor", None)
        self._feats = getattr(encoder, "image_features", None)
        if self._embed is None:
            if model is None or not hasattr(model, "encode_image"):
                raise TypeError(
                    "the CLIP encoder exposes neither encode_image_tensor nor an "
                    "open_clip model (.model)"
                )
            self.model = model
            visual = getattr(model, "visual", None)
            cfg = dict(getattr(visual, "preprocess_cfg", {}) or {})
            size = cfg.get("size") or getattr(visual, "image_size", 224)
            if isinstance(size, tuple | list):
                size = size[0]
            self.size = int(size or 224)
            mean = cfg.get("mean") or OPENAI_MEAN
            std = cfg.get("std") or OPENAI_STD
            self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1))
            self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1))

    def _fallback(self, img: torch.Tensor) -> torch.Tensor:
        x = (img.float() + 1) / 2
        if x.shape[-1] != self.size or x.shape[-2] != self.size:
            x = F.interpolate(
                x,
                size=(self.size, self.size),
                mode="bilinear",
                align_corners=False,
                antialias=x.shape[-1] > self.size,
            )
        mean, std = self.get_buffer("mean"), self.get_buffer("std")
        return self.model.encode_image((x - mean) / std).float()

    def embed(self, img: torch.Tensor) -> torch.Tensor:
        """Unit CLIP image embeddings [N, D] (the space the conditions live in)."""
        if self._embed is not None:
            return self._embed(img.float())
        return F.normalize(self._fallback(img), dim=1)

    def features(self, img: torch.Tensor) -> torch.Tensor:
        """Features for the discriminator head (pooled, before the projection if offered)."""
        if self._feats is not None:
            return self._feats(img.float()).float()
        return self.embed(img)

    def features_and_maps(self, img: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """(pooled features as `features`, [feature maps of the tower's stages]) in one pass."""
        fn = getattr(self.encoder, "image_feature_maps", None)
        if fn is None:
            raise TypeError("the CLIP encoder offers no feature maps (image_feature_maps)")
        pooled, maps = fn(img.float())
        return pooled.float(), [m.float() for m in maps]


class VisionHead(nn.Module):
    """Trainable logit on frozen CLIP features: MLP(f) + <P f, c> (projection conditioning)."""

    def __init__(self, feat_dim: int, c_dim: int, hidden: int = 256) -> None:
        super().__init__()
        self.mlp = nn.Sequential(
            nn.Linear(feat_dim, hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, 1),
        )
        self.proj = nn.Linear(feat_dim, c_dim, bias=False) if c_dim > 0 else None

    def forward(self, feats: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        logit = self.mlp(feats)
        if self.proj is not None:
            logit = logit + (self.proj(feats) * c).sum(dim=1, keepdim=True)
        return logit


class PatchHeads(nn.Module):
    """Per feature map [N, C_k, H_k, W_k]: 1×1 conv → LeakyReLU → 3×3 conv → LeakyReLU → 1×1
    conv to one logit per position, plus <P_k h, c> per position (projection conditioning).
    Returns [N, sum_k H_k·W_k] patch logits; the logistic losses average over patches."""

    def __init__(self, channels: list[int], c_dim: int, hidden: int = 64) -> None:
        super().__init__()
        self.trunks = nn.ModuleList(
            nn.Sequential(
                nn.Conv2d(ch, hidden, 1),  # mix the frozen channels
                nn.LeakyReLU(0.2),
                nn.Conv2d(hidden, hidden, 3, padding=1),  # a 3×3 neighbourhood of parts
                nn.LeakyReLU(0.2),
            )
            for ch in channels
        )
        self.logits = nn.ModuleList(nn.Conv2d(hidden, 1, 1) for _ in channels)
        self.projs = (
            nn.ModuleList(nn.Conv2d(hidden, c_dim, 1, bias=False) for _ in channels)
            if c_dim > 0
            else None
        )

    def forward(self, maps: list[torch.Tensor], c: torch.Tensor) -> torch.Tensor:
        if len(maps) != len(self.trunks):
            raise ValueError(f"expected {len(self.trunks)} feature maps, got {len(maps)}")
        out = []
        for k, m in enumerate(maps):
            h = self.trunks[k](m)
            logit = self.logits[k](h)[:, 0]  # [N, H, W]
            if self.projs is not None:
                logit = logit + torch.einsum("nchw,nc->nhw", self.projs[k](h), c)
            out.append(logit.flatten(1))
        return torch.cat(out, dim=1)


def contrastive_loss(img_emb: torch.Tensor, c: torch.Tensor, tau: float) -> torch.Tensor:
    """LAFITE L_ConG: -tau * mean_i log softmax_j(cos(f(x_j), c_i) / tau)[i]."""
    logits = F.normalize(c, dim=1) @ F.normalize(img_emb, dim=1).t() / tau  # [cond, image]
    target = torch.arange(logits.shape[0], device=logits.device)
    return tau * F.cross_entropy(logits, target)
