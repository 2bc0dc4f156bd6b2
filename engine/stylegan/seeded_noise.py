"""Per-design noise: the synthesis layers' noise drawn from the design's seed.

StyleGAN2 adds per-pixel noise in every synthesis layer. Training draws fresh noise for every
sample; inference traditionally uses one constant buffer per layer ("const") so that a
latent always renders the same picture. Our generator leans on that noise for *where* its
motifs go (rendered with no noise, a tile is a nearly empty colour field), so with "const"
every design shares one layout of specks, differing mostly in colour. "seeded" gives every
design its own noise, drawn from its seed: as varied as training's fresh noise, and still
reproducible (same seed, same pixels). Measured on the 256 px generator (`wenyang eval gen`,
held-out prompts): CLIP-classifier accuracy 0.768 → 0.789, independent 0.599 → 0.604, CLIP
score 0.511 → 0.516, FD 0.226 → 0.208, diversity 0.56 → 0.58 (fresh unseeded noise gave the
same, as it should).

Torch-free (numpy + contextvars), so the numpy first-frame renderer draws the very same
noise. A layer's noise depends only on the seed, the layer's name (e.g. "b32.conv1") and its
resolution, so a half-resolution preview network gets the same noise for the layers it shares.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import numpy as np

SEEDED = "seeded"
_SALT = 0x5EED_0153  # keeps the noise streams apart from the seed's z stream

# layer object id -> its unscaled [res, res] noise, set by the renderer around a render
_TABLE: ContextVar[Mapping[int, Any] | None] = ContextVar("wenyang_seeded_noise", default=None)


def layer_noise(seed: int, layer: str, resolution: int) -> np.ndarray:
    """Unit Gaussian noise [resolution, resolution] float32 for one layer of one design.

    Uses numpy's legacy RandomState, whose streams numpy keeps stable across releases."""
    key = [_SALT, int(seed) % (2**32), zlib.crc32(layer.encode("utf-8"))]
    rs = np.random.RandomState(key)
    return rs.standard_normal((int(resolution), int(resolution))).astype(np.float32)


@contextmanager
def using(table: Mapping[int, Any]) -> Iterator[None]:
    """Make `table` (id(layer) -> noise tensor) what "seeded" layers read in this context."""
    token = _TABLE.set(table)
    try:
        yield
    finally:
        _TABLE.reset(token)


def noise_of(layer: Any) -> Any:
    """The noise tensor set for `layer` by `using`, or a clear error outside a seeded render."""
    table = _TABLE.get()
    found = table.get(id(layer)) if table is not None else None
    if found is None:
        raise ValueError(
            "noise_mode 'seeded' needs each layer's noise: render through "
            "engine.stylegan.render.Renderer, which draws it from the request's seed"
        )
    return found
