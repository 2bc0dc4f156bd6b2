"""Named traditional colours from the culture lexicon, for snapping inks, naming SVG layers
and building colourways."""

from __future__ import annotations

import functools

import numpy as np

from engine.errors import UserInputError
from engine.export.colour import ciede2000, srgb_to_lab
from engine.export.inks import NamedColour


def _culture():  # type: ignore[no-untyped-def]
    try:
        import engine.culture as culture
    except ImportError as exc:  # lexicon not installed in this build
        raise UserInputError(
            "the culture lexicon (engine.culture) is not available, so "
            "region colours cannot be used",
            field="--region",
        ) from exc
    if not hasattr(culture, "REGION_IDS"):
        raise UserInputError(
            "the culture lexicon (engine.culture) is incomplete, so region colours cannot be used",
            field="--region",
        )
    return culture


def region_colours(region_id: str) -> list[NamedColour]:
    """A region's named traditional colours (error names the flag and the valid ids)."""
    culture = _culture()
    if region_id not in culture.REGION_IDS:
        raise UserInputError(
            f"unknown region {region_id!r}; expected one of {', '.join(culture.REGION_IDS)}",
            field="--region",
        )
    reg = culture.get_region(region_id)
    return [
        NamedColour((int(c.rgb[0]), int(c.rgb[1]), int(c.rgb[2])), c.name_zh, c.name_en, region_id)
        for c in reg.colours
    ]


@functools.lru_cache(maxsize=1)
def all_colours() -> tuple[NamedColour, ...]:
    """Every region's colours (empty when the lexicon is missing)."""
    try:
        culture = _culture()
    except UserInputError:
        return ()
    return tuple(c for r in culture.REGION_IDS for c in region_colours(r))


def nearest_name(
    rgb: tuple[int, int, int] | np.ndarray,
    colours: tuple[NamedColour, ...] | list[NamedColour] | None = None,
) -> NamedColour | None:
    """The traditional colour closest to `rgb` by CIEDE2000 (None without a lexicon)."""
    cands = list(colours) if colours is not None else list(all_colours())
    if not cands:
        return None
    lab = srgb_to_lab(np.array([c.rgb for c in cands], np.uint8))
    d = ciede2000(srgb_to_lab(np.asarray(rgb, np.uint8).reshape(1, 3)), lab)
    return cands[int(np.argmin(d))]
