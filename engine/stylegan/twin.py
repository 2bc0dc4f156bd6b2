"""A generator stopped at a lower resolution, with the same weights: its "twin".

In the skip architecture the image after a lower block is (nearly) the same design at a lower
resolution, so the twin draws a cheaper version of every design. The studio's drag previews
render with twins (designer_app/preview_render.py), and `wenyang train gan-distil
--resolution` distils a twin into a narrower preview network.
"""

from __future__ import annotations

from typing import Any


def truncated_generator(G: Any, side: int) -> Any | None:
    """G stopped at `side` pixels (a copy of its weights up to there), or None when `side` is
    not one of its block resolutions below the top or the weights do not line up."""
    from engine.stylegan.networks import Generator

    res = list(G.synthesis.block_resolutions)
    if side not in res[:-1]:
        return None
    small = Generator(**{**G.init_kwargs, "img_resolution": side})
    full, own = G.state_dict(), small.state_dict()
    if any(k not in full or tuple(full[k].shape) != tuple(v.shape) for k, v in own.items()):
        return None
    small.load_state_dict({k: full[k] for k in own})
    for attr in ("model_id", "model_hash", "clip_hash"):
        if hasattr(G, attr):
            setattr(small, attr, getattr(G, attr))
    return small.eval().requires_grad_(False)
