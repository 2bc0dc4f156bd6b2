"""Zero-shot region classifier: one averaged prompt-ensemble text embedding per region."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from engine.clip.text import region_prompts
from engine.clip.towers import encode_text_tokens


@torch.no_grad()
def zero_shot_weights(
    model: Any,
    tokenizer: Callable[..., torch.Tensor],
    device: str | torch.device = "cpu",
) -> torch.Tensor:
    """[8, D] unit vectors in REGION_IDS order."""
    from engine.culture import REGION_IDS

    rows = []
    for region in REGION_IDS:
        emb = encode_text_tokens(model, tokenizer(region_prompts(region)).to(device))
        rows.append(F.normalize(emb.mean(dim=0), dim=-1))
    return torch.stack(rows)
