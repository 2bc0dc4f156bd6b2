"""Region conditions: the CLIP text embedding a CLIP-conditioned generator is given per region.

The prompt is the one `wenyang generate` builds ("<Region> pattern[, descriptors]") so that
sliders are fitted and evaluated on the conditions designers actually use.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.errors import UserInputError


def region_prompt(region_id: str, english: str = "") -> str:
    """ "Dunhuang pattern, gold lotus" — the generator's condition text for a region."""
    from engine.culture import get_region

    name = get_region(region_id).name_en
    return f"{name} pattern" + (f", {english}" if english else "")


def region_conditions(encoder: Any | None, c_dim: int) -> dict[str, np.ndarray | None]:
    """{region_id: unit CLIP text embedding or None} for every region.

    None for all regions when the generator is unconditional or no encoder is given (the
    renderer then uses a neutral condition)."""
    from engine.culture import REGION_IDS

    if c_dim == 0 or encoder is None:
        return {r: None for r in REGION_IDS}
    emb = encoder.encode_text([region_prompt(r) for r in REGION_IDS]).embeddings
    arr = emb.detach().cpu().numpy().astype(np.float32)
    if arr.shape[1] != c_dim:
        raise UserInputError(
            f"the CLIP model gives {arr.shape[1]}-wide embeddings but the generator expects "
            f"{c_dim}",
            field="--clip",
        )
    return {r: arr[i] for i, r in enumerate(REGION_IDS)}


def stack_conditions(conds: dict[str, np.ndarray | None]) -> np.ndarray | None:
    """[M, c_dim] of the non-None conditions, or None."""
    rows = [c for c in conds.values() if c is not None]
    return np.stack(rows) if rows else None
