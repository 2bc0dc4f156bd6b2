"""Layered SVG for Illustrator/Inkscape and cutters: the tile reduced to N inks, each ink
traced into one Inkscape layer, the tile repeated as an SVG <pattern> over the physical size
(width/height in mm, viewBox in mm), provenance in <metadata>.

Layers are stacked (like vtracer's 'stacked' hierarchy): the most-used ink is the bottom
layer and fills everything; each layer above covers its own ink and spreads a trap (about
one tile pixel) under the inks above it, so no hairline gaps open between neighbouring inks
when rendered, and no unrelated ink shows as a halo along anti-aliased edges. `stacking="cut"` gives
knock-out layers that hold only their own ink (separations for screen printing).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import cv2
import numpy as np

from engine.atomic import atomic_path
from engine.errors import UserInputError
from engine.export.colour import hex_of
from engine.export.inks import InkImage, NamedColour, reduce_inks
from engine.export.palettes import nearest_name
from engine.export.png_export import DEFAULT_REPEAT_MM, explain_os_error
from engine.export.provenance import Provenance, rdf_description
from engine.export.repeat import check_layout
from engine.export.trace import TRACE_MODES, trace_mask
from engine.export.upscale import upscale_labels

STACKINGS = ("stacked", "cut")
TRAP_PX = 1.0  # how far (tile pixels) a stacked ink spreads under the inks above it
TRACE_SMOOTH = 0.7  # Gaussian sigma (tile pixels) on ink masks before tracing
# user units per mm in the viewBox: 0.1 mm units keep renderers that rasterise a <pattern>
# tile at one pixel per user unit (cairosvg, some RIPs) sharp; width/height stay in mm.
UNITS_PER_MM = 10


@dataclasses.dataclass(frozen=True)
class SvgSpec:
    width_mm: float
    height_mm: float
    layout: str = "full"
    repeat_mm: float | None = None  # width of one repeat; None = DEFAULT_REPEAT_MM
    stacking: str = "stacked"
    trace_mode: str = "spline"

    def __post_init__(self) -> None:
        object.__setattr__(self, "layout", check_layout(self.layout))
        if self.stacking not in STACKINGS:
            raise UserInputError(
                f"expected one of {STACKINGS}, got {self.stacking!r}", field="--stacking"
            )
        if self.trace_mode not in TRACE_MODES:
            raise UserInputError(f"expected one of {TRACE_MODES}", field="--trace")
        if self.width_mm <= 0 or self.height_mm <= 0:
            raise UserInputError("the size must be positive", field="--width/--height")


@dataclasses.dataclass
class InkLayer:
    index: int  # 1-based, bottom to top
    ink: int  # index into InkImage.palette
    rgb: tuple[int, int, int]
    name: NamedColour | None
    paths: list[str]

    @property
    def label(self) -> str:
        name = f" {self.name.name_zh or self.name.name_en}" if self.name else ""
        return f"Ink {self.index}{name} {hex_of(self.rgb)}"


def trace_factor(tile_hw: tuple[int, int]) -> int:
    """Trace at this multiple of the tile size: label maps enlarged with smooth boundaries
    give vtracer curves instead of pixel stairs; capped so big tiles stay quick."""
    return int(max(1, min(4, 512 // max(tile_hw))))


def spread(mask: np.ndarray, radius: int) -> np.ndarray:
    """Grow a tileable mask by `radius` pixels (wrapping around the tile edges)."""
    if radius <= 0:
        return mask
    pad = np.pad(mask.astype(np.uint8), radius, mode="wrap")
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return cv2.dilate(pad, k)[radius:-radius, radius:-radius].astype(bool)


def ink_layers(
    inks: InkImage,
    stacking: str = "stacked",
    mode: str = "spline",
    names: Sequence[NamedColour | None] | None = None,
    factor: int | None = None,
    trap: float = TRAP_PX,
    smooth: float = TRACE_SMOOTH,
    progress: Callable[[float], None] | None = None,
) -> list[InkLayer]:
    """Trace each ink into one layer (bottom = most coverage); see module doc for stacking.

    Stacked layers spread `trap` tile pixels under the inks above them (print trapping): no
    gap opens between neighbours, yet a lower ink never shares an edge it does not touch, so
    anti-aliased edges show no halo of an unrelated ink.
    """
    order = [int(i) for i in np.argsort(-inks.coverage(), kind="stable")]
    h, w = inks.labels.shape
    f = trace_factor((h, w)) if factor is None else factor
    labels = upscale_labels(inks.labels, inks.n_inks, (h * f, w * f), smooth)
    radius = max(1, round(trap * f))
    layers = []
    for pos, ink in enumerate(order):
        own = labels == ink
        if stacking == "cut":
            mask = own
        elif pos == 0:
            mask = np.ones_like(own)  # the ground: everything under it
        else:
            mask = own | (spread(own, radius) & np.isin(labels, order[pos + 1 :]))
        rgb = (int(inks.palette[ink][0]), int(inks.palette[ink][1]), int(inks.palette[ink][2]))
        name = (names[ink] if names is not None else None) or inks.names[ink] or nearest_name(rgb)
        layers.append(InkLayer(pos + 1, ink, rgb, name, trace_mask(mask, mode, scale=1 / f)))  # type: ignore[arg-type]
        if progress is not None:
            progress((pos + 1) / len(order))
    return layers


def _placements(layout: str, w: int, h: int) -> tuple[tuple[int, int], list[str]]:
    """Unit cell size (px) and the transforms of the tile copies inside it."""
    if layout == "half-drop":
        return (2 * w, h), ["", f"translate({w},{h // 2})", f"translate({w},{h // 2 - h})"]
    if layout == "half-brick":
        return (w, 2 * h), ["", f"translate({w // 2},{h})", f"translate({w // 2 - w},{h})"]
    if layout == "mirror":
        return (2 * w, 2 * h), [
            "",
            f"translate({2 * w},0) scale(-1,1)",
            f"translate(0,{2 * h}) scale(1,-1)",
            f"translate({2 * w},{2 * h}) scale(-1,-1)",
        ]
    return (w, h), [""]


def build_svg(
    layers: Sequence[InkLayer],
    tile_hw: tuple[int, int],
    spec: SvgSpec,
    provenance: Provenance | None = None,
) -> str:
    """The SVG document as text (see module doc)."""
    h, w = tile_hw
    W, H = spec.width_mm * UNITS_PER_MM, spec.height_mm * UNITS_PER_MM  # user units
    rep_w = spec.repeat_mm if spec.repeat_mm is not None else DEFAULT_REPEAT_MM
    s = rep_w * UNITS_PER_MM / w  # user units per tile pixel
    (cw, ch), places = _placements(spec.layout, w, h)
    ox = oy = 0.0
    if spec.layout == "center":  # a tile's centre on the page centre
        ox, oy = W / 2 - w * s / 2, H / 2 - h * s / 2
    prov = (provenance or Provenance()).with_created()
    f = _fmt
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" version="1.1" '
        f'width="{f(spec.width_mm)}mm" height="{f(spec.height_mm)}mm" '
        f'viewBox="0 0 {f(W)} {f(H)}">',
        f"<title>{escape(prov.description())}</title>",
        f"<metadata>{rdf_description(prov)}</metadata>",
        "<defs>",
        f'<clipPath id="tile-clip"><rect x="0" y="0" width="{w}" height="{h}"/></clipPath>',
    ]
    for L in layers:
        if not L.paths:
            continue
        d = " ".join(L.paths)
        out.append(
            f'<g id="tile-ink-{L.index}" clip-path="url(#tile-clip)">'
            f'<path d="{d}" fill="{hex_of(L.rgb)}" fill-rule="nonzero"/></g>'
        )
        uses = "".join(
            f'<use xlink:href="#tile-ink-{L.index}"' + (f' transform="{t}"' if t else "") + "/>"
            for t in places
        )
        out.append(
            f'<pattern id="pattern-ink-{L.index}" patternUnits="userSpaceOnUse" '
            f'x="{f(ox)}" y="{f(oy)}" width="{f(cw * s)}" height="{f(ch * s)}">'
            f'<g transform="scale({f(s)})">{uses}</g></pattern>'
        )
    out.append("</defs>")
    for L in layers:
        if not L.paths:
            continue
        out.append(
            f'<g inkscape:groupmode="layer" inkscape:label={quoteattr(L.label)} '
            f'id="layer-ink-{L.index}">'
            f'<rect x="0" y="0" width="{f(W)}" height="{f(H)}" '
            f'fill="url(#pattern-ink-{L.index})"/></g>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _fmt(v: float) -> str:
    return f"{v:.4f}".rstrip("0").rstrip(".")


def export_svg(
    tile: np.ndarray,
    out: str | os.PathLike[str],
    spec: SvgSpec,
    *,
    n_inks: int = 8,
    snap: Sequence[NamedColour] | None = None,
    locked: Sequence[tuple[int, int, int]] = (),
    seed: int = 0,
    provenance: Provenance | None = None,
    inks: InkImage | None = None,
    progress: Callable[[float], None] | None = None,
) -> InkImage:
    """Tile → layered SVG at `out` (atomic). Returns the ink image it traced, which is what
    the SVG renders to (used by the studio's palette view and by the fidelity test)."""
    if inks is None:
        inks = reduce_inks(tile, n_inks, seed=seed, snap=snap, locked=locked)
    layers = ink_layers(inks, spec.stacking, spec.trace_mode, progress=progress)
    text = build_svg(layers, inks.labels.shape, spec, provenance)
    target = Path(out)
    try:
        with atomic_path(target) as tmp:
            tmp.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise explain_os_error(exc, target) from exc
    return inks
