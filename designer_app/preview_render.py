"""Half-resolution previews while a slider is dragged (issue 6 allows them if the full frame
follows on release).

The generator builds its image octave by octave (skip architecture): the image after the
second-highest block is the same design at half the resolution. The preview renderer is that
network stopped one block early, with the very same weights, so a drag that moves coarse or
middle rows (a full re-render) skips the most expensive block. Fine rows are left to the full
renderer, which re-renders only the top blocks for them anyway. Runs on the engine thread.
"""

from __future__ import annotations

from typing import Any

import numpy as np

MIN_PREVIEW_SIDE = 64  # below this a preview no longer shows the pattern's detail


class PreviewRenderer:
    """A generator truncated one octave below the loaded one, sharing its weights."""

    def __init__(self, renderer: Any, small: Any) -> None:
        self.renderer, self.small = renderer, small
        self.num_ws = int(small.info.num_ws)
        self.factor = int(renderer.info.resolution) // int(small.info.resolution)

    def render(self, request: Any, request_class: Any) -> tuple[np.ndarray, np.ndarray, float]:
        """(image at full size, blocky; the full request's ws; ms) for a full-size request."""
        ws = self.renderer.request_ws(request)
        res = self.small.render(
            request_class(
                ws=ws[: self.num_ws],
                seed=request.seed,  # seeded noise: the same draw as the full frame's layers
                noise_mode=request.noise_mode,
                noise_seed=getattr(request, "noise_seed", None),
                request_id=request.request_id,
            )
        )
        f = self.factor
        img = np.ascontiguousarray(np.repeat(np.repeat(res.image, f, axis=0), f, axis=1))
        return img, ws, float(res.ms)


def make_preview(renderer: Any) -> PreviewRenderer | None:
    """The half-resolution twin of a StyleGAN renderer, or None (other renderers, small
    models, or weights that do not line up)."""
    G = getattr(renderer, "G", None)
    kwargs = getattr(G, "init_kwargs", None)
    if G is None or not isinstance(kwargs, dict) or not hasattr(renderer, "request_ws"):
        return None
    side = int(G.img_resolution) // 2
    if side < MIN_PREVIEW_SIDE:
        return None
    from engine.stylegan.networks import Generator  # engine thread only (torch)
    from engine.stylegan.render import Renderer

    small = Generator(**{**kwargs, "img_resolution": side})
    full, own = G.state_dict(), small.state_dict()
    if any(k not in full or tuple(full[k].shape) != tuple(v.shape) for k, v in own.items()):
        return None
    small.load_state_dict({k: full[k] for k in own})
    for attr in ("model_id", "model_hash"):
        if hasattr(G, attr):
            setattr(small, attr, getattr(G, attr))
    return PreviewRenderer(renderer, Renderer.from_generator(small, device=str(renderer.device)))
