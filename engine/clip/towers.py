"""Thin functions over any open_clip model: preprocessing, image/text towers, local tokens.

Kept model-agnostic so a user's ViT-B-32 works like our small model; for open_clip's
VisionTransformer we also expose the pooled pre-projection features (a discriminator head
uses them) and the projected patch tokens (local alignment). Other towers (our ModifiedResNet)
give their embedding as the pooled features and no tokens; local alignment then encodes crops.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from engine.clip.preprocess import normalize, resize

_DEFAULT_MEAN = (0.48145466, 0.4578275, 0.40821073)
_DEFAULT_STD = (0.26862954, 0.26130258, 0.27577711)


@dataclass
class VisualOutput:
    """Image tower outputs: pooled pre-projection, projected embedding, local embeddings."""

    pooled: torch.Tensor  # [N, W] before the projection
    embedding: torch.Tensor  # [N, D] not normalised
    tokens: torch.Tensor | None  # [N, g, g, D] projected patch tokens (ViT only)


def image_size(model: Any) -> int:
    size = getattr(model.visual, "image_size", 224)
    return int(size[0] if isinstance(size, tuple | list) else size)


def model_input(model: Any, x01: torch.Tensor) -> torch.Tensor:
    """[0, 1] NCHW → resized, normalised input for the image tower."""
    cfg = getattr(model.visual, "preprocess_cfg", None) or {}
    mean = cfg.get("mean", _DEFAULT_MEAN)
    std = cfg.get("std", _DEFAULT_STD)
    return normalize(resize(x01, image_size(model)), mean, std)


def _is_plain_vit(visual: Any) -> bool:
    from open_clip.transformer import VisionTransformer

    return isinstance(visual, VisionTransformer) and getattr(visual, "attn_pool", None) is None


def visual_forward(model: Any, x: torch.Tensor, want_tokens: bool = False) -> VisualOutput:
    """Run the image tower on preprocessed input, keeping intermediate outputs when we can."""
    visual = model.visual
    if not _is_plain_vit(visual):
        emb = model.encode_image(x)
        return VisualOutput(pooled=emb, embedding=emb, tokens=None)
    h = visual._embeds(x)
    h = visual.transformer(h)
    pooled, tokens = visual._pool(h)
    proj = visual.proj
    emb = pooled @ proj if proj is not None else pooled
    local = None
    if want_tokens and tokens is not None and tokens.ndim == 3:
        n, t, _ = tokens.shape
        g = round(t**0.5)
        if g * g == t:
            if visual.final_ln_after_pool:
                tokens = visual.ln_post(tokens)
            local = (tokens @ proj if proj is not None else tokens).reshape(n, g, g, -1)
    return VisualOutput(pooled=pooled, embedding=emb, tokens=local)


def visual_feature_maps(model: Any, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """(pooled features [N, W], feature maps [N, C, H, W] of the image tower's stages) in one
    pass over preprocessed input: a ModifiedResNet's layer1-layer3 outputs, or a plain ViT's
    patch tokens as one map. The pooled features equal `visual_forward(...).pooled`.

    Why: a discriminator head on the pooled vector judges a tile as a whole; heads on the
    stages' maps judge motif parts and textures (as Projected GANs do with a frozen trunk)."""
    from open_clip.modified_resnet import ModifiedResNet

    visual = model.visual
    if isinstance(visual, ModifiedResNet):
        h = visual.stem(x)
        maps = []
        for layer in (visual.layer1, visual.layer2, visual.layer3):
            h = layer(h)
            maps.append(h)
        return visual.attnpool(visual.layer4(h)), maps
    if _is_plain_vit(visual):
        h = visual.transformer(visual._embeds(x))
        pooled, tokens = visual._pool(h)
        n, t, c = tokens.shape
        g = round(t**0.5)
        if g * g == t:
            return pooled, [tokens.transpose(1, 2).reshape(n, c, g, g)]
    raise TypeError(
        f"no feature maps for a {type(visual).__name__} image tower "
        "(a ModifiedResNet or a plain VisionTransformer is needed)"
    )


def encode_text_tokens(model: Any, tokens: torch.Tensor) -> torch.Tensor:
    """Unit text embeddings for tokenised input.

    For open_clip's built-in text tower (causal mask, end-of-text pooling) the trailing
    padding is cut first: with a causal mask no kept token attends to it, so the result is
    the same and short descriptors encode several times faster.
    """
    if _trimmable(model):
        used = int((tokens != 0).sum(dim=1).max())
        length = max(1, min(tokens.shape[1], used))
        t = tokens[:, :length]
        x = model.token_embedding(t) + model.positional_embedding[:length]
        x = model.transformer(x, attn_mask=model.attn_mask[:length, :length])
        x = model.ln_final(x)
        x = x[torch.arange(x.shape[0], device=x.device), t.argmax(dim=-1)]
        proj = model.text_projection
        x = proj(x) if isinstance(proj, torch.nn.Linear) else x @ proj
        return F.normalize(x, dim=-1)
    return F.normalize(model.encode_text(tokens), dim=-1)


def _trimmable(model: Any) -> bool:
    from open_clip.model import CLIP

    return (
        isinstance(model, CLIP)
        and getattr(model, "text_pool_type", "") == "argmax"
        and isinstance(getattr(model, "attn_mask", None), torch.Tensor)
        and getattr(model, "text_projection", None) is not None
        and model.token_embedding.weight.dtype == torch.float32
    )


def logit_scale(model: Any) -> float:
    return float(model.logit_scale.detach().exp().clamp(max=100.0))
