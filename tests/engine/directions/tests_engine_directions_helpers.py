"""Helpers for the slider tests (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

import numpy as np


def style_change(G, vector: np.ndarray, layers: tuple[int, int]) -> float:
    """|Δ styles| of the affine layers reading rows `layers` for a unit step along `vector`."""
    from engine.directions.sefa import affine_rows

    rows = affine_rows(G)
    return float(
        sum(np.linalg.norm(m @ vector) ** 2 for r in range(*layers) for m in rows[r]) ** 0.5
    )
