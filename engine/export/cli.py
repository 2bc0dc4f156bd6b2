"""`wenyang export`: a tile or project → print PNG or layered SVG (+ colourways)."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from engine.errors import UserInputError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="print-ready PNG or layered SVG at a physical size",
        description="Export a tile (PNG) or a .wenyang project as a print-ready PNG (pHYs, "
        "sRGB ICC, provenance; written in strips) or a layered SVG (one Inkscape layer per "
        "ink, seamless <pattern>).",
    )
    p.add_argument("--input", required=True, help="tile image or .wenyang project")
    p.add_argument("--format", metavar="png|svg", help="default: from --out's suffix")
    p.add_argument("--width", required=True, help="physical width, e.g. 60cm, 600mm, 23.6in")
    p.add_argument("--height", required=True, help="physical height")
    p.add_argument("--dpi", type=float, default=300.0, help="PNG resolution (default 300)")
    p.add_argument(
        "--repeat",
        default=None,
        help="full|half-drop|half-brick|mirror|center (default: the project's, else full)",
    )
    p.add_argument("--repeat-size", default="10cm", help="width of one repeat (default 10cm)")
    p.add_argument(
        "--inks",
        type=int,
        default=None,
        help="SVG: number of inks 2-16 (default 8); PNG: ink count of the "
        "edge-preserving upscaler (default 12)",
    )
    p.add_argument(
        "--snap",
        choices=("none", "region"),
        default="none",
        help="snap inks to the region's named traditional colours",
    )
    p.add_argument(
        "--region",
        help="region id for --snap region / --colourways (default: from the input's provenance)",
    )
    p.add_argument(
        "--lock",
        action="append",
        default=[],
        metavar="#RRGGBB",
        help="a colour that must be an ink exactly (repeatable)",
    )
    p.add_argument(
        "--upscale",
        default="hybrid",
        choices=("hybrid", "inks", "lanczos"),
        help="PNG upscaler (default hybrid: crisp ink edges + inner texture)",
    )
    p.add_argument(
        "--stacking",
        default="stacked",
        choices=("stacked", "cut"),
        help="SVG layers: stacked (no gaps) or cut (knock-out separations)",
    )
    p.add_argument(
        "--colourways",
        type=int,
        default=0,
        metavar="K",
        help="also write K colourways from the region's colours + a sheet PNG",
    )
    p.add_argument(
        "--palette",
        action="append",
        default=[],
        metavar="#RGB,#RGB,…",
        help="a user colourway (repeatable)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the ink clustering")
    p.add_argument("--model", type=Path, default=None, help="generator for .wenyang input")
    p.add_argument("--out", required=True, type=Path, help="output file (.png or .svg)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from engine.export.colour import parse_hex
    from engine.export.inks import check_inks, reduce_inks
    from engine.export.inputs import load_input
    from engine.export.palettes import region_colours
    from engine.export.png_export import PrintSpec, export_png
    from engine.export.repeat import check_layout
    from engine.export.svg_export import SvgSpec, export_svg
    from engine.export.units import parse_length_mm
    from engine.export.upscale import DEFAULT_UPSCALE_INKS

    fmt = args.format or args.out.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg"):
        raise UserInputError(
            "expected png or svg (or an --out ending in .png/.svg)", field="--format"
        )
    width = parse_length_mm(args.width, "--width")
    height = parse_length_mm(args.height, "--height")
    repeat_mm = parse_length_mm(args.repeat_size, "--repeat-size")
    locked = [parse_hex(h, "--lock") for h in args.lock]
    if args.inks is not None:
        check_inks(args.inks)
    src = load_input(args.input, args.model)
    layout = check_layout(args.repeat or src.repeat or "full")
    region = args.region or src.provenance.region
    snap = None
    if args.snap == "region":
        if not region:
            raise UserInputError(
                "--snap region needs --region (the input names none)", field="--region"
            )
        snap = region_colours(region)
    if args.region and not src.provenance.region:
        src.provenance = dataclasses.replace(src.provenance, region=args.region)
    n_inks = args.inks or (8 if fmt == "svg" else DEFAULT_UPSCALE_INKS)
    need_inks = fmt == "svg" or snap or locked or args.colourways or args.palette
    inks = None
    if need_inks:
        inks = reduce_inks(
            src.tile,
            n_inks,
            seed=args.seed,
            snap=snap,
            locked=locked,
            min_area=None if fmt == "svg" else 1,
        )
    if fmt == "png":
        spec = PrintSpec(width, height, args.dpi, layout, repeat_mm, args.upscale, n_inks)
        if inks is not None and (snap or locked):  # the inks are the colours now
            spec = dataclasses.replace(spec, upscaler="inks")
            tile = inks.image()
        else:
            tile = src.tile
        out = export_png(tile, args.out, spec, provenance=src.provenance, seed=args.seed)
        print(f"wrote {out} ({spec.size_px[0]}×{spec.size_px[1]} px at {args.dpi:g} DPI)")
    else:
        sspec = SvgSpec(width, height, layout, repeat_mm, args.stacking)
        used = export_svg(src.tile, args.out, sspec, provenance=src.provenance, inks=inks)
        print(f"wrote {args.out} ({used.n_inks} ink layers, {width:g}×{height:g} mm)")
    if inks is not None and (args.colourways or args.palette):
        _colourways(args, fmt, inks, region, width, height, layout, repeat_mm, src.provenance)
    return 0


def _colourways(args, fmt, inks, region, width, height, layout, repeat_mm, prov) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image

    from engine.atomic import atomic_path
    from engine.export.colour import parse_hex
    from engine.export.colourways import (
        colourway_sheet,
        recolour,
        region_colourways,
        user_colourway,
    )
    from engine.export.png_export import PrintSpec, export_png
    from engine.export.svg_export import SvgSpec, export_svg

    cws = []
    if args.colourways:
        if not region:
            raise UserInputError(
                "--colourways needs --region (the input names none)", field="--region"
            )
        cws += region_colourways(region, inks.n_inks, args.colourways, seed=args.seed)
    for i, spec_text in enumerate(args.palette, 1):
        cols = [parse_hex(h, "--palette") for h in spec_text.split(",") if h.strip()]
        if not cols:
            raise UserInputError("expected comma-separated #RRGGBB colours", field="--palette")
        cws.append(user_colourway(f"palette {i}", cols))
    out: Path = args.out
    for j, cw in enumerate(cws, 1):
        target = out.with_name(f"{out.stem}-colourway{j}{out.suffix}")
        ink = recolour(inks, cw)
        if fmt == "png":
            spec = PrintSpec(width, height, args.dpi, layout, repeat_mm, "inks")
            export_png(ink.image(), target, spec, provenance=prov)
        else:
            export_svg(
                ink.image(),
                target,
                SvgSpec(width, height, layout, repeat_mm, args.stacking),
                provenance=prov,
                inks=ink,
            )
        print(f"wrote {target} ({cw.name})")
    sheet = out.with_name(f"{out.stem}-colourways.png")
    with atomic_path(sheet) as tmp:
        Image.fromarray(colourway_sheet(inks, cws)).save(tmp, format="PNG")
    print(f"wrote {sheet}")
