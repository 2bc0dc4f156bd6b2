"""Lay a pattern repeat onto a garment template, photo-real and fast enough for live sliders.

Per printable region: the repeat is built at true physical size (template cm vs repeat cm)
with the export's own layout code, then sampled through one remap grid that applies the
user's scale, rotation and offset and the template's fold displacement. Light is separable:

    out = base·(1−m) + m·screen(print·shading, highlights) = C + print·K

so everything but `print` (C, K and the remap grid) is cached per template and transform;
a new pattern costs one resize, one remap and one multiply-add.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from engine.errors import UserInputError
from engine.export.repeat import check_layout, repeat_shape, tile_canvas
from engine.mockup.template import Template, load_template

MAX_REPEAT_PX = 4096


def cell_shape(layout: str, tile_hw: tuple[int, int]) -> tuple[int, int]:
    """(height, width) of the period of a repeat layout, in tiles of `tile_hw`."""
    th, tw = tile_hw
    return {
        "half-drop": (th, 2 * tw),
        "half-brick": (2 * th, tw),
        "mirror": (2 * th, 2 * tw),
    }.get(layout, (th, tw))


class MockupRenderer:
    """Renders one template; keep one per template and call `render` as the pattern changes.

    All printable regions share the template's print scale and one remap grid (each pixel
    takes the coordinates of the region that covers it most, each region centred on its own
    piece), so a render is one remap and two saturating 8-bit blends over the garment's box.
    """

    def __init__(self, template: str | Template, max_side: int | None = None) -> None:
        t = template if isinstance(template, Template) else load_template(template)
        self.template = t = t.resized(max_side) if max_side else t
        h, w = t.size
        cover = np.zeros((h, w), np.float32)
        for r in t.regions:
            cover += r.mask
        cover = np.clip(cover, 0.0, 1.0)
        pad = math.ceil(max(t.displacement_px)) + 2
        ys, xs = np.nonzero(cover > 0)
        x0, y0 = max(0, xs.min() - pad), max(0, ys.min() - pad)
        x1, y1 = min(w, xs.max() + 1 + pad), min(h, ys.max() + 1 + pad)
        self.box = (x0, y0, x1, y1)
        sl = (slice(y0, y1), slice(x0, x1))
        hl = t.spec[sl]
        cov = cover[sl]
        outside = t.base[sl].astype(np.float32) * (1.0 - cov)[..., None]
        # C (saturating add) and K (8-bit gain, 255 = 1) of out = C + print * K
        const = outside + (cov * 255.0 * hl)[..., None]
        gain = cov * t.shading[sl] * (1.0 - hl) * 255.0
        self._const = np.clip(const + 0.5, 0, 255).astype(np.uint8)
        self._gain = cv2.merge([np.clip(gain + 0.5, 0, 255).astype(np.uint8)] * 3)
        # which region owns each pixel, and that region's centre (prints are centred on pieces)
        stack = np.stack([r.mask[sl] for r in t.regions])
        owner = np.argmax(stack, axis=0)
        centres = np.array(
            [[(r.bbox[0] + r.bbox[2]) / 2, (r.bbox[1] + r.bbox[3]) / 2] for r in t.regions],
            np.float32,
        )
        gy, gx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        d = t.displacement[sl]
        self._dx = gx + d * t.displacement_px[0] - centres[owner, 0]
        self._dy = gy + d * t.displacement_px[1] - centres[owner, 1]
        self._base = t.base.copy()
        self._maps: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}

    @property
    def px_per_cm(self) -> float:
        """The template's print scale: its first (main) region's px per cm."""
        return self.template.regions[0].px_per_cm

    def repeat_px(self, repeat_cm: float, scale: float = 1.0) -> float:
        """Width of one repeat on the garment, in template pixels."""
        return repeat_cm * self.px_per_cm * scale

    def _grid(
        self,
        cell_hw: tuple[int, int],
        tile_hw: tuple[int, int],
        zoom: float,
        rotation_deg: float,
        offset: tuple[float, float],
    ) -> tuple[np.ndarray, np.ndarray]:
        """Cell coordinates of every pixel of the box; `zoom` = template px per cell px."""
        key = (
            cell_hw,
            tile_hw,
            round(zoom, 6),
            round(rotation_deg, 3),
            round(offset[0], 4),
            round(offset[1], 4),
        )
        hit = self._maps.get(key)
        if hit is not None:
            return hit
        a = math.radians(rotation_deg)
        ca, sa = math.cos(a) / zoom, math.sin(a) / zoom
        ch, cw = cell_hw
        th, tw = tile_hw
        u = ca * self._dx + sa * self._dy + (offset[0] + 0.5) * tw
        v = -sa * self._dx + ca * self._dy + (offset[1] + 0.5) * th
        maps = cv2.convertMaps(
            np.mod(u, cw).astype(np.float32), np.mod(v, ch).astype(np.float32), cv2.CV_16SC2
        )
        if len(self._maps) >= 32:  # sliders sweep through many transforms; keep the newest
            self._maps.pop(next(iter(self._maps)))
        self._maps[key] = maps
        return maps

    def render(
        self,
        tile: np.ndarray,
        repeat_cm: float = 20.0,
        scale: float = 1.0,
        rotation_deg: float = 0.0,
        offset: tuple[float, float] = (0.0, 0.0),
        layout: str = "full",
    ) -> np.ndarray:
        """The mockup (uint8 HxWx3 RGB) of `tile` (uint8 HxWx3 RGB, one repeat).

        repeat_cm: printed width of one repeat; scale multiplies it; rotation in degrees
        (counter-clockwise); offset shifts the print in repeats (wraps at 1); layout is an
        export repeat layout (full, half-drop, half-brick, mirror, center)."""
        if tile.ndim != 3 or tile.shape[2] != 3 or tile.dtype != np.uint8:
            raise UserInputError(f"expected an RGB uint8 tile, got {tile.shape} {tile.dtype}")
        if not (repeat_cm > 0 and scale > 0):
            raise UserInputError("repeat size and scale must be > 0", field="--repeat-cm")
        layout = check_layout(layout, "--layout")
        rw = min(MAX_REPEAT_PX, max(2.0, self.repeat_px(repeat_cm, scale)))
        if rw >= tile.shape[1]:  # magnified: remap interpolates; no big upscaled copy needed
            tile_hw = (tile.shape[0], tile.shape[1])
        else:  # minified: area-average down to the repeat size first (no aliasing)
            tile_hw = repeat_shape(tile.shape, round(rw))
        cell_hw = cell_shape(layout, tile_hw)
        cell = tile_canvas(tile, cell_hw[1], cell_hw[0], layout, tile_hw)
        rot = rotation_deg + self.template.print_rotation_deg
        mx, my = self._grid(cell_hw, tile_hw, rw / tile_hw[1], rot, offset)
        warped = cv2.remap(cell, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP)
        lit = cv2.multiply(warped, self._gain, scale=1.0 / 255.0)
        out = self._base.copy()
        x0, y0, x1, y1 = self.box
        out[y0:y1, x0:x1] = cv2.add(lit, self._const)
        return out
