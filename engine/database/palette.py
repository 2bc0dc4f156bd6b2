"""A region's traditional colours, as the drawing code asks for them.

The colours themselves (names, sRGB, which are metallic) come from `engine.culture`; family
code asks for a role by a reference hex from the colour notes ("the indigo", "the aged
ground") and gets the region's nearest named colour, so the lexicon stays the one source.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import cv2
import numpy as np

from engine.culture import Colour, Region, get_region

RGB = tuple[int, int, int]


def hex_rgb(h: str) -> RGB:
    h = h.lstrip("#")
    return (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16))


def to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB uint8 (...x3) → CIE Lab float32 (L 0..100)."""
    a = np.asarray(rgb, np.uint8).reshape(-1, 1, 3)
    lab = cv2.cvtColor(a.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    return lab.reshape(*np.asarray(rgb).shape[:-1], 3)


def mix(a: Sequence[int], b: Sequence[int], t: float) -> RGB:
    """Linear blend a→b (t = 0..1), for tints, shades and aged tones."""
    return tuple(round(x * (1 - t) + y * t) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


@dataclass(frozen=True)
class RegionPalette:
    region: Region

    @property
    def colours(self) -> tuple[Colour, ...]:
        return tuple(self.region.colours)

    @property
    def metallic(self) -> tuple[Colour, ...]:
        return tuple(c for c in self.region.colours if c.metallic)

    def near(self, ref_hex: str, *, allow_metallic: bool = False) -> Colour:
        """The region's colour closest (in Lab) to a reference hex."""
        return _near(self.region.id, ref_hex, allow_metallic)

    def _near(self, ref_hex: str, allow_metallic: bool) -> Colour:
        pool = list(self.inks()) + (list(self.metallic) if allow_metallic else [])
        pool = pool or list(self.colours)
        ref = to_lab(np.array(hex_rgb(ref_hex)))
        labs = to_lab(np.array([c.rgb for c in pool]))
        return pool[int(np.argmin(np.linalg.norm(labs - ref, axis=-1)))]

    def inks(self) -> tuple[Colour, ...]:
        return _inks(self.region.id)

    def _inks(self) -> tuple[Colour, ...]:
        """Non-metallic colours far enough from every metallic one that they never read as
        gold (keeps the measured gold share honest)."""
        met = self.metallic
        if not met:
            return tuple(c for c in self.colours)
        ml = to_lab(np.array([c.rgb for c in met]))
        out = []
        for c in self.colours:
            if c.metallic:
                continue
            d = np.linalg.norm(ml - to_lab(np.array(c.rgb)), axis=-1).min()
            if d > GOLD_DELTA_E * 1.6:
                out.append(c)
        return tuple(out)


# a pixel counts as metallic when it is this close (ΔE76) to one of the region's metallic inks
GOLD_DELTA_E = 10.0


@cache
def region_palette(region_id: str) -> RegionPalette:
    return RegionPalette(get_region(region_id))


@cache
def _near(region_id: str, ref_hex: str, allow_metallic: bool) -> Colour:
    return region_palette(region_id)._near(ref_hex, allow_metallic)


@cache
def _inks(region_id: str) -> tuple[Colour, ...]:
    return region_palette(region_id)._inks()
