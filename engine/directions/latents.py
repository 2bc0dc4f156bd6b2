"""Sampling ws from a generator's mapping network (the statistics every slider needs)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch


@torch.no_grad()
def sample_w(
    G: Any, n: int, conditions: np.ndarray | None = None, seed: int = 0, batch: int = 1024
) -> np.ndarray:
    """n mapped w [n, w_dim] (one row of ws; mapping broadcasts the same w to every layer).

    `conditions` [M, c_dim] are cycled over the samples (None: zeros, or nothing for an
    unconditional model). Runs on the CPU: the mapping network is a small MLP.
    """
    mapping = G.mapping
    dev = next(mapping.parameters()).device
    rng = np.random.RandomState(seed)
    z = torch.from_numpy(rng.randn(n, G.z_dim).astype(np.float32))
    c_all: torch.Tensor | None = None
    if G.c_dim > 0:
        if conditions is None:
            c_all = torch.zeros(n, G.c_dim)
        else:
            cond = torch.as_tensor(np.asarray(conditions, dtype=np.float32)).reshape(-1, G.c_dim)
            c_all = cond[torch.arange(n) % cond.shape[0]]
    out = []
    for i in range(0, n, batch):
        c = c_all[i : i + batch].to(dev) if c_all is not None else None
        ws = mapping(z[i : i + batch].to(dev), c, update_emas=False)
        out.append(ws[:, 0].float().cpu())
    return torch.cat(out).numpy()


def model_key(G: Any) -> str:
    """The id caches use for a generator: its weights hash, else its object id (unsaved)."""
    h = str(getattr(G, "model_hash", "") or "")
    return h[:16] if h else f"mem-{id(G):x}"
