"""What a motif family gets to draw with (`Ctx`) and what it reports back (`Drawn`).

The sample renderer picks the variation knobs (detail, density, gold, layout) from the seed;
a family turns them into shapes and says which motifs it drew, how dense and how symmetric
the result is — those become annotations.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from engine.database.canvas import TorusCanvas
from engine.database.palette import RGB, RegionPalette, hex_rgb, mix

LAYOUTS = ("grid", "half_drop", "scatter")


@dataclass
class Ctx:
    rng: np.random.Generator
    region_id: str
    pal: RegionPalette
    detail: float  # 0 plain .. 1 fine detail
    density: float  # 0 large and sparse .. 1 small and packed
    gold: float  # chance that an accent element is drawn in the metallic colour
    layout: str = "grid"
    gilded: bool = False  # the ground itself is the metallic colour (gold brocade, gilding)

    def c(self, ref_hex: str) -> RGB:
        """The region's colour for a role (nearest named colour to the reference)."""
        return self.pal.near(ref_hex).rgb

    def pick(self, refs: Sequence[str], avoid: Sequence[RGB] = ()) -> RGB:
        """A random colour among roles, avoiding some (e.g. the ground)."""
        cands = [self.c(r) for r in refs]
        cands = [c for c in cands if c not in avoid] or cands
        return cands[int(self.rng.integers(len(cands)))]

    @property
    def metal(self) -> RGB | None:
        m = self.pal.metallic
        return m[0].rgb if m else None

    def ground(self, default: RGB) -> RGB:
        """The ground colour: gilded (the metallic colour) on the most golden tiles."""
        if self.metal is not None and self.gold > 0.85:
            self.gilded = True
            return self.metal
        return default

    def accent(self, fallback: RGB) -> RGB:
        """Gold (the region's metallic colour) with probability `gold`, else `fallback`."""
        if self.gilded:
            return fallback
        if self.metal is not None and self.rng.random() < self.gold:
            return self.metal
        return fallback

    def outline(self, default: RGB) -> RGB:
        """Outline colour: gold outlining (描金, gold couching) on richly gilded tiles."""
        if self.metal is not None and self.gold > 0.6 and not self.gilded:
            return self.metal
        return default

    def cells(self, lo: int, hi: int) -> int:
        """Repeats per tile side for this density (integer, so the layout wraps)."""
        return round(lo + (hi - lo) * self.density)

    def positions(self, n: int, layout: str | None = None) -> list[tuple[float, float]]:
        """Motif centres for n x n repeats in the chosen layout (all wrap on the torus)."""
        layout = layout or self.layout
        ox, oy = self.rng.random(2) / n
        pts: list[tuple[float, float]] = []
        if layout == "scatter":
            return scatter(self.rng, n * n)
        for i in range(n):
            for j in range(n):
                dy = 0.5 / n if (layout == "half_drop" and i % 2) else 0.0
                pts.append(((i + 0.5) / n + ox, (j + 0.5) / n + oy + dy))
        return pts


def scatter(rng: np.random.Generator, count: int) -> list[tuple[float, float]]:
    """Best-candidate sampling on the torus: random but evenly spread centres."""
    pts: list[np.ndarray] = []
    for _ in range(count):
        cand = rng.random((12, 2))
        if pts:
            p = np.array(pts)
            d = np.abs(cand[:, None, :] - p[None, :, :])
            d = np.minimum(d, 1 - d)
            best = np.hypot(d[..., 0], d[..., 1]).min(axis=1)
            pts.append(cand[int(np.argmax(best))])
        else:
            pts.append(cand[0])
    return [(float(x), float(y)) for x, y in pts]


@dataclass
class Drawn:
    """What a family drew: motif ids (primary first), density and symmetry in [0, 1]."""

    motifs: list[str]
    density: float
    symmetry: float
    ground: RGB
    texture: str = "cloth"  # post effect: cloth | aged | paper | silk | none
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Family:
    """One motif family of a region: `draw(canvas, ctx) -> Drawn`; docstring of `draw`
    says what it depicts."""

    id: str
    motifs: tuple[str, ...]
    draw: Callable[[TorusCanvas, Ctx], Drawn]
    borders: bool = True  # may get a secondary border band (not for stripes and lattices)


def layout_symmetry(layout: str, motif_symmetry: float) -> float:
    """Symmetry of the whole tile: strict for mirrored motifs on a grid, low for scatter."""
    base = {"grid": 1.0, "half_drop": 0.8, "scatter": 0.25}.get(layout, 0.5)
    return float(np.clip(base * motif_symmetry, 0.0, 1.0))


__all__ = ["LAYOUTS", "Ctx", "Drawn", "Family", "hex_rgb", "layout_symmetry", "mix", "scatter"]
