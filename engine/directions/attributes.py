"""The five database attributes measured from a rendered tile's pixels.

Uses the database's own measures (engine.database.measure), so a slider is judged by the
same yardstick that annotated its training data.
"""

from __future__ import annotations

import numpy as np

ATTRIBUTES: tuple[str, ...] = ("complexity", "density", "gold", "warmth", "symmetry")


def measure_attributes(image: np.ndarray, region_id: str) -> dict[str, float]:
    """{complexity, density, gold, warmth, symmetry} in [0, 1] for an HxWx3 uint8 tile."""
    from engine.database import measure as m

    base = m.measure(image, _gold_reference(region_id))
    return {
        "complexity": float(base["complexity"]),
        "density": float(m.estimate_density(image)),
        # the raw share keeps resolution where the saturating annotation would flatten it
        "gold": float(base["gold_share"]),
        "warmth": float(base["warmth"]),
        "symmetry": float(m.estimate_symmetry(image)),
    }


def _gold_reference(region_id: str) -> str:
    """Regions without metallic inks are measured against Dunhuang's gold (a generic gold),
    so a gold slider still has something to move there."""
    from engine.database.palette import region_palette

    return region_id if region_palette(region_id).metallic else "dunhuang"
