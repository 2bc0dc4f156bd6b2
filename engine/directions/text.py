"""Text directions ("more gold", "less dense", "更繁复") by StyleCLIP global directions.

Patashnik et al. (2021) precompute, once per model, how each latent channel moves the CLIP
image embedding (ΔI), then answer any text edit Δt with the channels whose ΔI points along
Δt, weighted by relevance ΔI·Δt — no optimisation, applying it is one synthesis pass.
Here the channels are the top SeFa directions of each layer range (a compact W basis the
renderer can offset directly); ΔI_k is the mean CLIP embedding change over a few latents
for ±1 step along basis vector k.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.directions.base import Direction, unit
from engine.errors import UserInputError

Progress = Callable[[str, int, int], None]
NEUTRAL = "pattern"


@dataclass
class TextBasis:
    """Precomputed relevance of each basis direction to CLIP image space."""

    vectors: np.ndarray  # [K, w_dim] unit
    scales: np.ndarray  # [K] W units per step
    layers: np.ndarray  # [K, 2] int (first, last exclusive)
    delta_i: np.ndarray  # [K, D] mean CLIP image-embedding change per step

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {
            "text_basis/vectors": self.vectors,
            "text_basis/scales": self.scales,
            "text_basis/layers": self.layers.astype(np.float32),
            "text_basis/delta_i": self.delta_i,
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> TextBasis | None:
        try:
            return cls(
                arrays["text_basis/vectors"],
                arrays["text_basis/scales"],
                arrays["text_basis/layers"].astype(np.int64),
                arrays["text_basis/delta_i"],
            )
        except KeyError:
            return None


def build_text_basis(
    renderer: Any,
    encoder: Any,
    basis: list[Direction],
    base_ws: list[np.ndarray],
    step: float = 1.0,
    progress: Progress | None = None,
) -> TextBasis:
    """ΔI_k = mean over `base_ws` of E(G(w + step·d_k)) − E(G(w − step·d_k)), per 2·step."""
    from engine.stylegan.render import RenderRequest

    deltas = []
    for k, d in enumerate(basis):
        reqs = [RenderRequest(ws=w, offsets=[d.offset(s)]) for w in base_ws for s in (step, -step)]
        imgs = np.stack([r.image for r in renderer.render_batch(reqs)])
        emb = encoder.encode_image(imgs).detach().cpu().numpy().astype(np.float64)
        deltas.append((emb[0::2] - emb[1::2]).mean(0) / (2 * step))
        if progress:
            progress("text basis", k + 1, len(basis))
    return TextBasis(
        vectors=np.stack([d.vector for d in basis]).astype(np.float32),
        scales=np.asarray([d.scale for d in basis], dtype=np.float32),
        layers=np.asarray([d.layers for d in basis], dtype=np.int64),
        delta_i=np.stack(deltas).astype(np.float32),
    )


_MORE = re.compile(r"^\s*(more|increase|add|更多|更加|更|多一?点|增加)\s*", re.IGNORECASE)
_LESS = re.compile(r"^\s*(less|fewer|reduce|decrease|更少|少一?点|减少|不那么)\s*", re.IGNORECASE)


def parse_edit(text: str) -> tuple[str, float]:
    """("gold", +1.0) for "more gold"; ("dense", −1.0) for "less dense" / "少一点dense"."""
    t = text.strip()
    for pattern, sign in ((_LESS, -1.0), (_MORE, 1.0)):
        m = pattern.match(t)
        if m:
            phrase = t[m.end() :].strip()
            if not phrase:
                break
            return phrase, sign
    if not t:
        raise UserInputError('expected "more X" or "less X"', field="text")
    return t, 1.0


def text_delta(encoder: Any, phrase: str) -> np.ndarray:
    """Δt = normalise(E("<phrase> pattern") − E("pattern")) [D]."""
    emb = encoder.encode_text([f"{phrase} {NEUTRAL}", NEUTRAL]).embeddings
    e = emb.detach().cpu().numpy().astype(np.float64)
    return unit(e[0] - e[1])


def text_directions(
    basis: TextBasis, encoder: Any, text: str, beta: float = 0.1
) -> list[Direction]:
    """One Direction per layer range for an edit like "more gold"; step 1 moves the most
    relevant basis direction by one step, the others in proportion to their relevance.

    Basis directions with |relevance| below `beta` × the largest are dropped (StyleCLIP's
    disentanglement threshold)."""
    phrase, sign = parse_edit(text)
    dt = text_delta(encoder, phrase) * sign
    di = basis.delta_i.astype(np.float64)
    norms = np.linalg.norm(di, axis=1)
    rel = (di @ dt) / np.maximum(norms, 1e-12)  # cosine of each ΔI_k with Δt
    top = float(np.abs(rel).max()) if rel.size else 0.0
    if top <= 1e-9:
        return []
    rel = np.where(np.abs(rel) >= beta * top, rel / top, 0.0)
    out = []
    groups: dict[tuple[int, int], np.ndarray] = {}
    for k in np.flatnonzero(rel):
        key = (int(basis.layers[k][0]), int(basis.layers[k][1]))
        v = rel[k] * float(basis.scales[k]) * basis.vectors[k].astype(np.float64)
        groups[key] = groups.get(key, 0) + v
    for (a, b), v in sorted(groups.items()):
        scale = float(np.linalg.norm(v))
        if scale <= 1e-12:
            continue
        out.append(
            Direction(
                name=text,
                kind="text",
                vector=unit(v),
                scale=scale,
                layers=(a, b),
                meta={"phrase": phrase, "sign": sign},
            )
        )
    return out


def condition_text_direction(
    G: Any,
    encoder: Any,
    c: np.ndarray,
    text: str,
    alpha: float = 0.5,
    n: int = 256,
    seed: int = 0,
) -> Direction:
    """A text edit through the generator's own CLIP condition (our generator is conditioned
    on CLIP embeddings, LAFITE-style): Δw = mean over z of mapping(z, ĉ') − mapping(z, c)
    with ĉ' = normalise(c + α Δt). One mapping batch to compute, an ordinary W offset on
    every layer to apply; step 1 = the shift the condition change gives on average."""
    from engine.directions.latents import sample_w

    phrase, sign = parse_edit(text)
    dt = text_delta(encoder, phrase) * sign
    c0 = np.asarray(c, dtype=np.float64).reshape(-1)
    c1 = unit(c0 + alpha * dt)
    w0 = sample_w(G, n, c0[None].astype(np.float32), seed=seed)
    w1 = sample_w(G, n, c1[None], seed=seed)  # same z: the change is the condition's alone
    delta = (w1 - w0).mean(0)
    scale = float(np.linalg.norm(delta))
    return Direction(
        name=text,
        kind="text",
        vector=unit(delta),
        scale=scale,
        layers=(0, int(G.num_ws)),
        layer_range="all",
        meta={"phrase": phrase, "sign": sign, "method": "condition", "alpha": alpha},
    )
