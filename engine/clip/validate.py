"""Figures of a model on an in-memory database split (per-epoch validation and eval)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from engine.clip.data import ClipData
from engine.clip.metrics import accuracy, precision_at_k, recall_at_k
from engine.clip.preprocess import to_unit_range
from engine.clip.towers import encode_text_tokens, logit_scale, model_input, visual_forward
from engine.clip.zeroshot import zero_shot_weights


@torch.no_grad()
def embed_images(
    model: Any,
    images: torch.Tensor,
    batch: int = 128,
    device: str | torch.device = "cpu",
) -> torch.Tensor:
    """Unit embeddings of uint8 NCHW images."""
    out = []
    for i in range(0, images.shape[0], batch):
        x = model_input(model, to_unit_range(images[i : i + batch].to(device)))
        out.append(F.normalize(visual_forward(model, x).embedding, dim=-1))
    return torch.cat(out)


@torch.no_grad()
def embed_captions(
    model: Any,
    tokenizer: Callable[..., torch.Tensor],
    texts: list[str],
    batch: int = 256,
    device: str | torch.device = "cpu",
) -> torch.Tensor:
    out = []
    for i in range(0, len(texts), batch):
        out.append(encode_text_tokens(model, tokenizer(texts[i : i + batch]).to(device)))
    return torch.cat(out)


@torch.no_grad()
def evaluate_split(
    model: Any,
    tokenizer: Callable[..., torch.Tensor],
    data: ClipData,
    device: str | torch.device = "cpu",
) -> dict[str, Any]:
    """Loss, exact-pair recall, zero-shot accuracy and (region, motif) precision@10."""
    was_training = model.training
    model.eval()
    img = embed_images(model, data.images, device=device)
    txt_en = embed_captions(model, tokenizer, data.captions_en, device=device)
    txt_zh = embed_captions(model, tokenizer, data.captions_zh, device=device)
    scale = logit_scale(model)
    sim = txt_en @ img.T  # text → image
    labels = torch.arange(len(data))
    loss = 0.5 * (F.cross_entropy(scale * sim, labels) + F.cross_entropy(scale * sim.T, labels))
    zs = zero_shot_weights(model, tokenizer, device)
    probs = torch.softmax(scale * img @ zs.T, dim=1)
    t2i = recall_at_k(sim)
    i2t = recall_at_k(sim.T)
    out = {
        "val_loss": float(loss),
        "t2i_R@1": t2i.get("R@1", float("nan")),
        "i2t_R@1": i2t.get("R@1", float("nan")),
        "zero_shot_acc": accuracy(probs, data.regions.to(probs.device)),
        "p@10_en": precision_at_k(sim, data.keys, data.keys),
        "p@10_zh": precision_at_k(txt_zh @ img.T, data.keys, data.keys),
    }
    model.train(was_training)
    return out
