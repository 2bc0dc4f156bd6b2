"""The README gallery: per region, six tiles and one of them repeated 3×3 (the seam test a
designer does by eye)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

TILE = 96  # display size of a single tile
REPEAT_TILE = 64  # display size of one repeat in the 3x3 block
LABEL_W = 150
GAP = 12


def gallery_image(rows: list[tuple[str, list[np.ndarray]]]) -> np.ndarray:
    """HxWx3 uint8: one row per (label, six tiles); tile 0 repeated 3×3 at the right."""
    from PIL import Image, ImageDraw

    block_h = 3 * REPEAT_TILE
    row_h = max(2 * TILE, block_h) + GAP
    width = LABEL_W + 3 * TILE + GAP + 3 * REPEAT_TILE + GAP
    canvas = Image.new("RGB", (width, row_h * len(rows) + GAP), (250, 248, 244))
    draw = ImageDraw.Draw(canvas)
    for i, (label, tiles) in enumerate(rows):
        y0 = GAP + i * row_h
        draw.text((10, y0 + block_h // 2 - 6), label, fill=(40, 40, 40))
        for j, t in enumerate(tiles[:6]):
            im = Image.fromarray(np.asarray(t, dtype=np.uint8)).resize(
                (TILE, TILE), Image.Resampling.LANCZOS
            )
            canvas.paste(im, (LABEL_W + (j % 3) * TILE, y0 + (j // 3) * TILE))
        if tiles:
            rep = Image.fromarray(np.asarray(tiles[0], dtype=np.uint8)).resize(
                (REPEAT_TILE, REPEAT_TILE), Image.Resampling.LANCZOS
            )
            x0 = LABEL_W + 3 * TILE + GAP
            for a in range(3):
                for b in range(3):
                    canvas.paste(rep, (x0 + b * REPEAT_TILE, y0 + a * REPEAT_TILE))
    return np.asarray(canvas)


def write_gallery(
    renderer: Any,
    encoder: Any | None,
    out: str | Path,
    truncation: float = 0.7,
    noise_mode: str = "const",
    truncate_to: str = "global",
) -> Path:
    """Render six tiles per region from its name prompt (seeds 0-5) and save the gallery."""
    from PIL import Image

    from engine.atomic import atomic_path
    from engine.culture import REGION_IDS, get_region
    from engine.directions.conditions import region_conditions
    from engine.stylegan.render import RenderRequest

    conds = region_conditions(encoder, renderer.info.c_dim)
    rows = []
    for r in REGION_IDS:
        centre_of = getattr(renderer, "truncation_centre", None)
        avg = centre_of(r, truncate_to) if centre_of is not None else None
        reqs = [
            RenderRequest(
                c=conds[r],
                seed=s,
                truncation=truncation,
                w_avg=avg,
                noise_mode=noise_mode,
                region=r,
            )
            for s in range(6)
        ]
        rows.append((get_region(r).name_en, [x.image for x in renderer.render_batch(reqs)]))
    out = Path(out)
    with atomic_path(out) as tmp:
        Image.fromarray(gallery_image(rows)).save(tmp, format="PNG")
    return out
