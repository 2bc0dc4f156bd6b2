"""Convergence helpers from issue 5, both built on the frozen CLIP image encoder.

* Vision-aided discriminator head (Kumari et al., 2022; cf. Projected GANs): a small trainable
  MLP on frozen CLIP image features of the (augmented) image, plus a projection term with
  the condition; its logit adds a second, semantically informed discriminator.
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
    """Differentiable image -> unit CLIP embedding; the CLIP weights stay frozen.

    Works on the open_clip model inside engine.clip's encoder (attribute `model`), doing the
    preprocessing on tensors so gradients reach the generator.
    """

    def __init__(self, encoder: Any) -> None:
        super().__init__()
        model = getattr(encoder, "model", None)
        if model is None or not hasattr(model, "encode_image"):
            raise TypeError("the CLIP encoder exposes no open_clip model (.model)")
        self.model = model
        self.model.eval().requires_grad_(False)
        visual = getattr(model, "visual", None)
        cfg = dict(getattr(visual, "preprocess_cfg", {}) or {})
        size = cfg.get("size") or getattr(visual, "image_size", 224)
        if isinstance(size, (tuple, list)):
            size = size[0]
        self.size = int(size)
        mean = getattr(encoder, "mean", None) or cfg.get("mean") or OPENAI_MEAN
        std = getattr(encoder, "std", None) or cfg.get("std") or OPENAI_STD
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1))
        self.embed_dim = int(getattr(encoder, "embed_dim", 0) or 0)

    def train(self, mode: bool = True) -> ClipImageFeatures:  # CLIP stays in eval mode
        super().train(mode)
        self.model.eval()
        return self

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        x = (img.float() + 1) / 2
        if x.shape[-1] != self.size or x.shape[-2] != self.size:
            x = F.interpolate(
                x,
                size=(self.size, self.size),
                mode="bilinear",
                align_corners=False,
                antialias=x.shape[-1] > self.size,
            )
        x = (x - self.mean) / self.std
        f = self.model.encode_image(x)
        return F.normalize(f.float(), dim=1)


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


def contrastive_loss(img_emb: torch.Tensor, c: torch.Tensor, tau: float) -> torch.Tensor:
    """LAFITE L_ConG: -tau * mean_i log softmax_j(cos(f(x_j), c_i) / tau)[i]."""
    logits = F.normalize(c, dim=1) @ F.normalize(img_emb, dim=1).t() / tau  # [cond, image]
    target = torch.arange(logits.shape[0], device=logits.device)
    return tau * F.cross_entropy(logits, target)
