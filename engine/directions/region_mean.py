"""Truncation toward a region's own mean w instead of the global one.

A conditional StyleGAN's w_avg is the mean over every condition: truncating a Miao tile
toward it pulls the tile toward a blend of all regions. Mapping many z with the region's
conditions and averaging gives the region's centre; ψ then trades diversity for typicality
within the region (cf. conditional truncation, Kang et al. 2021 / Mokady et al. 2022).

The centre must be estimated under the conditions the studio renders with. With a condition
prior (engine/stylegan/condition_prior.py) a prompt reaches the mapping as a nearby training
tile's image embedding, not as the raw text embedding; means of raw-text samples sit where
no studio latent comes from. Passing the renderer's prior maps every sample's condition
through it, seed by seed, as the renderer does. Measured on the 256 px generator (`wenyang
eval gen`, held-out prompts): CLIP-classifier accuracy 0.745 → 0.768, independent
0.568 → 0.599, FD 0.231 → 0.226, diversity 0.57 → 0.56.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from engine.directions.latents import sample_w


def condition_mean(
    G: Any, conditions: np.ndarray | None, n: int = 2048, seed: int = 0
) -> np.ndarray:
    """Mean w [w_dim] over n z mapped with the given conditions [M, c_dim] (cycled)."""
    return sample_w(G, n, conditions, seed=seed).mean(0).astype(np.float32)


def region_condition_set(
    encoder: Any, region_id: str, image_embeddings: np.ndarray | None = None
) -> np.ndarray:
    """The conditions that stand for a region: text prompts in both languages and, when
    given, CLIP image embeddings of its database tiles (what training conditioned on)."""
    from engine.culture import get_region
    from engine.directions.conditions import region_prompt

    reg = get_region(region_id)
    prompts = [region_prompt(region_id), reg.name_zh, f"{reg.name_en} {reg.motifs[0].name_en}"]
    prompts += [f"{reg.name_en} pattern, {m.name_en}" for m in reg.motifs[:4]]
    rows = encoder.encode_text(prompts).embeddings.detach().cpu().numpy().astype(np.float32)
    if image_embeddings is not None and len(image_embeddings):
        rows = np.concatenate([rows, np.asarray(image_embeddings, dtype=np.float32)])
    return rows


Prior = Callable[..., np.ndarray]  # ConditionPrior: (c [D], seed, region) -> condition [D]


def renderer_prior(renderer: Any) -> Prior | None:
    """The condition prior a renderer applies to prompts (None: none, or switched off)."""
    prior = getattr(renderer, "prior", None)
    return prior if prior is not None and getattr(renderer, "use_prior", True) else None


def through_prior(
    rows: np.ndarray, n: int, prior: Prior | None, region: str | None = None
) -> np.ndarray:
    """The n conditions the samples get: rows cycled, each passed through the prior with the
    sample's index as its seed (a seed-picked neighbour among `region`'s tiles, as the
    renderer picks); the rows themselves without a prior."""
    rows = np.asarray(rows, dtype=np.float32)
    if prior is None:
        return rows
    return np.stack([prior(rows[i % len(rows)], i, region) for i in range(n)]).astype(np.float32)


def region_means(
    G: Any,
    encoder: Any | None,
    n: int = 2048,
    image_embeddings: dict[str, np.ndarray] | None = None,
    prior: Prior | None = None,
) -> dict[str, np.ndarray]:
    """{region_id: mean w}; without a CLIP model (or for an unconditional generator) every
    region gets the global mean of the mapping. `prior`: the renderer's condition prior, so
    the means are taken under the conditions the studio renders with (see above)."""
    from engine.culture import REGION_IDS

    if G.c_dim == 0 or encoder is None:
        g = condition_mean(G, None, n)
        return {r: g for r in REGION_IDS}
    out = {}
    for r in REGION_IDS:
        emb = image_embeddings.get(r) if image_embeddings else None
        rows = through_prior(region_condition_set(encoder, r, emb), n, prior, r)
        out[r] = condition_mean(G, rows, n)
    return out


def truncate(ws: np.ndarray, w_avg: np.ndarray, psi: float) -> np.ndarray:
    """w_avg + ψ (ws − w_avg), for ws [.., w_dim]."""
    return (w_avg + float(psi) * (np.asarray(ws) - w_avg)).astype(np.float32)
