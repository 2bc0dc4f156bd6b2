"""Truncation toward the region's own mean w (issue: "ψ toward the region's mean w, not only
the global mean").

A conditional StyleGAN's global w_avg averages every region: truncating a Miao tile toward
it pulls the tile toward a blend of all eight. The region means are fitted with the sliders
(`wenyang directions fit`, engine/directions/region_mean.py) and shipped in
directions.safetensors; this module only reads them (numpy, so the first-frame helper can).
Measured on the shipped 22 kimg generator with its condition prior (`wenyang eval gen
--region-truncation`): CLIP-classifier accuracy 0.398 → 0.461, independent 0.326 → 0.419,
CLIP score 0.331 → 0.359, FD 0.686 → 0.601, diversity 0.55 → 0.54.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

CENTRES = ("region", "global")
DEFAULT_CENTRE = "region"
_KEY = "array/region_mean/"


def load_region_means(model_dir: Path | str) -> dict[str, np.ndarray]:
    """region id -> mean w [w_dim] from the model's directions file ({} when absent)."""
    path = Path(model_dir) / "directions.safetensors"
    if not path.is_file():
        return {}
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        arrays = load_file(str(path))
    except (OSError, SafetensorError):
        return {}  # the sliders report a broken file; truncation falls back to the global mean
    return {
        k[len(_KEY) :]: np.asarray(v, np.float32).reshape(-1)
        for k, v in arrays.items()
        if k.startswith(_KEY)
    }


def truncation_centre(
    region: str, centre: str, means: dict[str, np.ndarray], w_dim: int | None = None
) -> np.ndarray | None:
    """The w_avg to truncate toward: the region's mean, or None for the global mean (also
    when the model ships no mean for the region or it has the wrong width)."""
    if centre != "region":
        return None
    m = means.get(region)
    if m is None or (w_dim is not None and m.shape != (w_dim,)):
        return None
    return m


def add_truncate_to_argument(parser: Any) -> None:
    """`--truncate-to region|global` (default region, as the studio renders) on a CLI parser."""
    parser.add_argument(
        "--truncate-to",
        choices=CENTRES,
        default=DEFAULT_CENTRE,
        help="truncate toward the region's mean w (default, as the studio does) or the global mean",
    )
