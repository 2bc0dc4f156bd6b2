"""Style mixing: structure from one design, colour and texture from another.

StyleGAN's own form of "aesthetic DNA over a base pattern": w rows below the crossover
layer (coarse: layout, motif shapes) come from the base design, rows from the crossover on
(fine: palette, texture, line quality) from the donor. The renderer already applies
`mix_ws` / `mix_from_layer`; these helpers only build the request.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from engine.errors import UserInputError
from engine.stylegan.render import ModelInfo, RenderRequest

RANGE_NAMES = ("coarse", "middle", "fine")


def crossover_layer(info: ModelInfo, crossover: int | str) -> int:
    """A w row index from an int or a range name ("middle" = the first middle row, so the
    donor gives middle and fine layers; "fine" = the donor gives colour/texture only)."""
    if isinstance(crossover, str):
        if crossover not in info.layer_ranges:
            raise UserInputError(
                f"unknown crossover {crossover!r}; expected a layer index or one of "
                f"{', '.join(info.layer_ranges)}",
                field="crossover",
            )
        return int(info.layer_ranges[crossover][0])
    k = int(crossover)
    if not 0 <= k <= info.num_ws:
        raise UserInputError(f"crossover layer must be 0..{info.num_ws}", field="crossover")
    return k


def mix_request(
    base: RenderRequest,
    donor_ws: np.ndarray,
    info: ModelInfo,
    crossover: int | str = "fine",
) -> RenderRequest:
    """A copy of `base` whose layers from `crossover` on take the donor's ws."""
    donor = np.asarray(donor_ws, dtype=np.float32)
    if donor.shape not in ((info.num_ws, info.w_dim), (info.w_dim,)):
        raise UserInputError(
            f"donor latent has shape {donor.shape}, expected ({info.num_ws}, {info.w_dim})",
            field="donor_ws",
        )
    return dataclasses.replace(
        base, mix_ws=donor.copy(), mix_from_layer=crossover_layer(info, crossover)
    )


def style_mix(
    structure_ws: np.ndarray,
    texture_ws: np.ndarray,
    info: ModelInfo,
    crossover: int | str = "fine",
    noise_mode: str = "const",
) -> RenderRequest:
    """Structure (layers < crossover) from `structure_ws`, the rest from `texture_ws`."""
    base = RenderRequest(ws=np.asarray(structure_ws, dtype=np.float32), noise_mode=noise_mode)
    return mix_request(base, texture_ws, info, crossover)
