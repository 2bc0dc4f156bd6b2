"""Helpers for the evaluation tests (a unique module name: pytest puts this folder on
sys.path, and several test folders have a conftest.py)."""

from __future__ import annotations

import torch


def make_generator(c_dim: int = 0, seed: int = 0):
    from engine.stylegan.config import generator_kwargs
    from engine.stylegan.networks import Generator

    torch.manual_seed(seed)
    G = Generator(**generator_kwargs("tiny", c_dim=c_dim)).eval().requires_grad_(False)
    with torch.no_grad():
        for name, p in G.named_parameters():
            if name.endswith("noise_strength"):
                p.fill_(0.1)
    return G
