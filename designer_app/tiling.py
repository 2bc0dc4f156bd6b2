"""Repeat previews for the canvas, plus where each tile's edges lie (for the seam overlay).

The pixels come from engine.export.repeat (what the print shop gets); the tile edges are
computed here because only the view needs them.
"""

from __future__ import annotations

import numpy as np

LAYOUTS = ("tile", "full", "half-drop", "half-brick", "mirror", "center")
REPEATS_SHOWN = 4  # the preview shows 4×4 repeats


def repeat_image(tile: np.ndarray, layout: str, n: int = REPEATS_SHOWN) -> np.ndarray:
    if layout == "tile":
        return tile
    h, w = tile.shape[:2]
    try:
        from engine.export.repeat import tile_canvas

        return tile_canvas(tile, w * n, h * n, layout)
    except ImportError:  # engine.export missing from a build: plain grid
        return np.tile(tile, (n, n, 1))


def unit_cell(tile: np.ndarray, layout: str, n: int = REPEATS_SHOWN) -> tuple[np.ndarray, int, int]:
    """The cell that repeats on a plain grid and the preview's (oy, ox) offset into it.

    The canvas paints the cell as a texture brush, so a new frame costs one small pixmap
    instead of a whole repeated image (keeps the GUI thread free while dragging).
    """
    h, w = tile.shape[:2]
    try:
        from engine.export.repeat import unit_cell as engine_unit_cell

        cell, _, _ = engine_unit_cell(tile, layout)
    except ImportError:
        cell = tile
    if layout != "center":
        return cell, 0, 0
    return cell, (h // 2 - h * n // 2) % cell.shape[0], (w // 2 - w * n // 2) % cell.shape[1]


def seam_lines(
    layout: str, h: int, w: int, n: int = REPEATS_SHOWN
) -> list[tuple[float, float, float, float]]:
    """Line segments (x0, y0, x1, y1) along the tile edges of the preview."""
    if layout == "tile":
        return [(0, 0, w, 0), (w, 0, w, h), (w, h, 0, h), (0, h, 0, 0)]
    W, H = w * n, h * n
    lines: list[tuple[float, float, float, float]] = []
    if layout == "half-drop":
        for k in range(n + 1):
            lines.append((k * w, 0, k * w, H))
        for k in range(n):
            dy = (h // 2) if k % 2 else 0
            for j in range(-1, n + 1):
                y = j * h + dy
                if 0 <= y <= H:
                    lines.append((k * w, y, (k + 1) * w, y))
        return lines
    if layout == "half-brick":
        for j in range(n + 1):
            lines.append((0, j * h, W, j * h))
        for j in range(n):
            dx = (w // 2) if j % 2 else 0
            for k in range(-1, n + 1):
                x = k * w + dx
                if 0 <= x <= W:
                    lines.append((x, j * h, x, (j + 1) * h))
        return lines
    oy = ox = 0
    if layout == "center":
        oy = (h // 2 - H // 2) % h
        ox = (w // 2 - W // 2) % w
    for k in range(n + 1):
        x = k * w - ox
        if 0 <= x <= W:
            lines.append((x, 0, x, H))
        y = k * h - oy
        if 0 <= y <= H:
            lines.append((0, y, W, y))
    return lines
