"""Colourways: the same design in other palettes, keeping its ink structure.

Ink i takes the palette colour of the same luminance rank (darkest ink → darkest colour), so
figure/ground and shading relations survive the recolouring. Palettes come from a region's
traditional colours (several deterministic selections) or from the user.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

from engine.export.colour import hex_of, srgb_to_lab
from engine.export.inks import InkImage, NamedColour
from engine.export.palettes import region_colours
from engine.export.repeat import tile_canvas


@dataclasses.dataclass(frozen=True)
class Colourway:
    name: str
    colours: tuple[NamedColour, ...]  # in any order; matched to inks by luminance


def luminance_order(rgb: np.ndarray) -> np.ndarray:
    """Indices that sort colours from dark to light by CIELAB L*."""
    return np.argsort(srgb_to_lab(np.asarray(rgb, np.uint8).reshape(-1, 3))[:, 0], kind="stable")


def recolour(inks: InkImage, colourway: Colourway) -> InkImage:
    """The design with each ink replaced by the colourway colour of equal luminance rank.

    With fewer colours than inks, neighbouring ranks share a colour (spread evenly)."""
    cols = list(colourway.colours)
    src = np.array([c.rgb for c in cols], np.uint8).reshape(-1, 3)
    cols_sorted = [cols[i] for i in luminance_order(src)]
    ink_rank = np.empty(inks.n_inks, np.int64)
    ink_rank[luminance_order(inks.palette)] = np.arange(inks.n_inks)
    n, m = inks.n_inks, len(cols_sorted)
    # equal ranks when the counts match; otherwise spread the inks over the palette's range
    pick = np.round(ink_rank * (m - 1) / max(1, n - 1)).astype(int)
    chosen = [cols_sorted[int(i)] for i in pick]
    palette = np.array([c.rgb for c in chosen], np.uint8)
    return InkImage(labels=inks.labels, palette=palette, names=list(chosen))


def region_colourways(region_id: str, n_inks: int, k: int = 4, seed: int = 0) -> list[Colourway]:
    """k palettes drawn from a region's traditional colours (deterministic for a seed)."""
    colours = region_colours(region_id)
    rng = np.random.default_rng(seed)
    out: list[Colourway] = []
    seen: set[tuple[int, ...]] = set()
    for j in range(max(1, k) * 10):
        if len(out) >= k:
            break
        size = min(n_inks, len(colours))
        idx = tuple(sorted(int(i) for i in rng.choice(len(colours), size, replace=False)))
        if idx in seen and j < k * 10 - 1:
            continue
        seen.add(idx)
        out.append(Colourway(f"{region_id} {len(out) + 1}", tuple(colours[i] for i in idx)))
    return out


def user_colourway(name: str, rgbs: Sequence[tuple[int, int, int]]) -> Colourway:
    return Colourway(name, tuple(NamedColour(tuple(c)) for c in rgbs))  # type: ignore[arg-type]


def colourway_sheet(
    inks: InkImage, colourways: Sequence[Colourway], cell: int = 256, repeats: int = 2
) -> np.ndarray:
    """A contact sheet: the original and each colourway as a small repeat with swatches."""
    designs = [("original", inks)] + [(cw.name, recolour(inks, cw)) for cw in colourways]
    pad, swatch_h, label_h = 12, 28, 18
    cols = min(4, len(designs))
    rows = -(-len(designs) // cols)
    cw_px = cell + 2 * pad
    ch_px = cell + swatch_h + label_h + 2 * pad
    sheet = Image.new("RGB", (cols * cw_px, rows * ch_px), (250, 250, 248))
    draw = ImageDraw.Draw(sheet)
    for n, (name, ink) in enumerate(designs):
        x0, y0 = (n % cols) * cw_px + pad, (n // cols) * ch_px + pad
        th, tw = ink.labels.shape
        rep = (cell // repeats, round(tw * (cell // repeats) / th))
        img = tile_canvas(ink.image(), cell, cell, "full", repeat_px=rep[::-1][0])
        sheet.paste(Image.fromarray(img), (x0, y0))
        order = luminance_order(ink.palette)
        sw = cell / max(1, ink.n_inks)
        for j, i in enumerate(order):
            rgb = tuple(int(v) for v in ink.palette[i])
            draw.rectangle(
                [x0 + j * sw, y0 + cell + 4, x0 + (j + 1) * sw - 2, y0 + cell + swatch_h - 2],
                fill=rgb,
            )  # type: ignore[arg-type]
        hexes = " ".join(hex_of(ink.palette[i])[1:] for i in order[:3])
        draw.text((x0, y0 + cell + swatch_h), f"{name[:14]}  {hexes}"[:40], fill=(40, 40, 40))
    return np.asarray(sheet)
