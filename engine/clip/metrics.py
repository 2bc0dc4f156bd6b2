"""Retrieval and classification figures (training's validation and `wenyang eval clip`).

Precision@k counts the top-k items sharing the query's (region, primary motif) and divides
by min(k, number of such items), so a small held-out set cannot cap it below 1.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


def recall_at_k(sim: torch.Tensor, ks: Sequence[int] = (1, 5, 10)) -> dict[str, float]:
    """Exact-pair recall: query i's match is item i (sim is [N, N])."""
    n = sim.shape[0]
    target = sim.diagonal().unsqueeze(1)
    rank = (sim > target).sum(dim=1)  # how many items beat the true one
    return {f"R@{k}": float((rank < k).float().mean()) for k in ks if k <= n}


def precision_at_k(
    sim: torch.Tensor,
    query_keys: Sequence[str],
    item_keys: Sequence[str],
    k: int = 10,
    exclude_self: bool = False,
) -> float:
    """Mean fraction of the top-k items whose key equals the query's key (capped, see top)."""
    q = len(query_keys)
    if q == 0:
        return float("nan")
    keys = sorted(set(item_keys) | set(query_keys))
    idx = {key: i for i, key in enumerate(keys)}
    qk = torch.tensor([idx[x] for x in query_keys])
    ik = torch.tensor([idx[x] for x in item_keys])
    s = sim.clone()
    if exclude_self:
        s.fill_diagonal_(float("-inf"))
    kk = min(k, s.shape[1] - (1 if exclude_self else 0))
    top = s.topk(kk, dim=1).indices
    hits = (ik[top] == qk[:, None]).float().sum(dim=1)
    counts = torch.bincount(ik, minlength=len(keys)).float()[qk]
    if exclude_self:
        counts = counts - 1
    denom = counts.clamp(min=1).clamp(max=kk)
    valid = counts > 0
    return float((hits[valid] / denom[valid]).mean()) if valid.any() else float("nan")


def accuracy(probs: torch.Tensor, labels: torch.Tensor) -> float:
    return float((probs.argmax(dim=1) == labels).float().mean())


def per_class_accuracy(
    probs: torch.Tensor, labels: torch.Tensor, names: Sequence[str]
) -> dict[str, float]:
    pred = probs.argmax(dim=1)
    out = {}
    for i, name in enumerate(names):
        m = labels == i
        if m.any():
            out[name] = float((pred[m] == i).float().mean())
    return out


def local_scores(text: torch.Tensor, local: torch.Tensor, tau: float = 0.05) -> torch.Tensor:
    """LACLIP-style weighted local similarity: for each text and image, the softmax-weighted
    (by similarity / tau) mean of the similarities to the image's regions.

    text [Q, D] unit, local [N, R, D] unit → [Q, N].
    """
    s = torch.einsum("qd,nrd->qnr", text, local)
    w = torch.softmax(s / tau, dim=-1)
    return (w * s).sum(dim=-1)


def combined_scores(
    text: torch.Tensor,
    global_: torch.Tensor,
    local: torch.Tensor | None,
    local_weight: float,
    tau: float = 0.05,
) -> torch.Tensor:
    """(1 − λ)·global similarity + λ·local alignment score."""
    g = text @ global_.T
    if local is None or local_weight <= 0:
        return g
    return (1.0 - local_weight) * g + local_weight * local_scores(text, local, tau)
