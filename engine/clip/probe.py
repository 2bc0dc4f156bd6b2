"""Linear region probe on image embeddings, saved next to the model (`probe.safetensors`).

Zero-shot prompts need no training data; a probe fitted on the database's embeddings is a
cheap extra that `classify` prefers when it is present.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

from engine.atomic import atomic_path

PROBE_FILE = "probe.safetensors"


def fit_probe(
    emb: torch.Tensor,
    labels: torch.Tensor,
    n_classes: int,
    steps: int = 400,
    weight_decay: float = 1e-4,
    seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Multinomial logistic regression (full-batch Adam); returns (weight [C, D], bias [C])."""
    g = torch.Generator().manual_seed(seed)
    d = emb.shape[1]
    w = (torch.randn(n_classes, d, generator=g) * 0.01).requires_grad_(True)
    b = torch.zeros(n_classes, requires_grad=True)
    opt = torch.optim.Adam([w, b], lr=0.1)
    x = emb.detach().float()
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(x @ w.T + b, labels) + weight_decay * (w * w).sum()
        loss.backward()
        opt.step()
    return w.detach(), b.detach()


def save_probe(
    model_dir: str | Path,
    weight: torch.Tensor,
    bias: torch.Tensor,
    classes: tuple[str, ...],
    model_hash: str,
) -> Path:
    from safetensors.torch import save_file

    path = Path(model_dir) / PROBE_FILE
    with atomic_path(path) as tmp:
        save_file(
            {"weight": weight.contiguous(), "bias": bias.contiguous()},
            str(tmp),
            metadata={"classes": ",".join(classes), "model_hash": model_hash},
        )
    return path


def load_probe(
    model_dir: str | Path, classes: tuple[str, ...], model_hash: str | None = None
) -> tuple[torch.Tensor, torch.Tensor] | None:
    """The saved probe, or None when absent or made for other classes / another model."""
    from safetensors import safe_open

    path = Path(model_dir) / PROBE_FILE
    if not path.is_file():
        return None
    with safe_open(str(path), framework="pt") as fh:
        meta = fh.metadata() or {}
        if meta.get("classes") != ",".join(classes):
            return None
        if model_hash and meta.get("model_hash") not in (None, "", model_hash):
            return None
        return fh.get_tensor("weight").float(), fh.get_tensor("bias").float()
