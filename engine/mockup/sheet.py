"""A contact sheet of every template wearing one pattern (docs/mockup_sheet.png).

python -m engine.mockup.sheet --out docs/mockup_sheet.png [--region miao --seed 7]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from engine.atomic import atomic_path
from engine.mockup.composite import MockupRenderer
from engine.mockup.shapes import GARMENTS
from engine.mockup.template import list_templates, load_template


def _label(img: np.ndarray, text: str) -> np.ndarray:
    """The cell with a caption band underneath."""
    band = np.full((34, img.shape[1], 3), 250, np.uint8)
    cv2.putText(band, text, (14, 23), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (60, 60, 60), 1, cv2.LINE_AA)
    return np.vstack([img, band])


def mockup_sheet(
    tile: np.ndarray, repeat_cm: float = 20.0, cell: int = 400, cols: int = 4
) -> np.ndarray:
    """RGB uint8 grid: every template wearing `tile`, then the tile itself as a swatch."""
    cells = []
    names = list_templates()
    names = [n for n in GARMENTS if n in names] + [n for n in names if n not in GARMENTS]
    for name in names:
        t = load_template(name)
        out = MockupRenderer(t).render(tile, repeat_cm)
        small = cv2.resize(out, (cell, cell), interpolation=cv2.INTER_AREA)
        cells.append(_label(small, f"{t.title}  ({repeat_cm:g} cm repeat)"))
    swatch = np.full((cell, cell, 3), 236, np.uint8)
    k = cell * 3 // 4
    rep = cv2.resize(np.tile(tile, (2, 2, 1)), (k, k), interpolation=cv2.INTER_AREA)
    o = (cell - k) // 2
    swatch[o - 10 : o - 10 + k, o : o + k] = rep
    cells.append(_label(swatch, "the pattern: 2 x 2 repeats"))
    while len(cells) % cols:
        cells.append(np.full_like(cells[0], 236))
    rows = [np.hstack(cells[i : i + cols]) for i in range(0, len(cells), cols)]
    return np.vstack(rows)


def main(argv: list[str] | None = None) -> int:
    from PIL import Image

    from engine.database import render_sample

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--region", default="dunhuang")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--repeat-cm", type=float, default=20.0)
    ap.add_argument("--cell", type=int, default=400)
    args = ap.parse_args(argv)
    tile = render_sample(args.region, args.seed, 256).image
    sheet = mockup_sheet(tile, args.repeat_cm, args.cell)
    # 256 colours keep the sheet small for the README; dithering hides the banding
    img = Image.fromarray(sheet).quantize(256, dither=Image.Dither.FLOYDSTEINBERG)
    with atomic_path(args.out, suffix=".png") as tmp:
        img.save(tmp, optimize=True)
    print(args.out, f"{args.out.stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
