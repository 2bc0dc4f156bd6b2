"""`wenyang bench export`: time and peak memory of a 60×60 cm, 300 DPI print PNG (DESIGN §7),
plus the edge-preserving upscalers against plain Lanczos.

The export runs in a fresh Python process so its peak RSS (ru_maxrss) is the export's own,
not whatever the calling process already held.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from typing import Any

import numpy as np


def bench_tile(tile_size: int, source: str) -> tuple[np.ndarray, str]:
    """The tile to export: an image file, a database sample ('db:REGION'), or synthetic."""
    if source.startswith("db:"):
        from engine.database import render_sample

        return np.asarray(render_sample(source[3:], 1, tile_size).image), source
    if source != "synthetic":
        from engine.export.inputs import load_input

        return load_input(source).tile, source
    from engine.export.sample import synthetic_tile

    return synthetic_tile(tile_size), "synthetic"


def measure(
    width: str,
    height: str,
    dpi: float,
    layout: str,
    upscaler: str,
    tile_size: int,
    out: str,
    source: str = "synthetic",
) -> dict[str, Any]:
    """Run one export in this process and report its figures (call in a fresh process)."""
    import resource

    from engine.export.png_export import PrintSpec, export_png
    from engine.export.provenance import Provenance
    from engine.export.units import parse_length_mm

    tile, source = bench_tile(tile_size, source)
    spec = PrintSpec(
        parse_length_mm(width, "--width"),
        parse_length_mm(height, "--height"),
        dpi,
        layout,
        None,
        upscaler,
    )
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    export_png(tile, out, spec, provenance=Provenance(region="bench"))
    seconds = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    rss, rss0 = r1.ru_maxrss, r0.ru_maxrss  # KiB on Linux
    cpu = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
    load = os.getloadavg()[0]
    wpx, hpx = spec.size_px
    return {
        "figure": "export_png",
        "width_px": wpx,
        "height_px": hpx,
        "dpi": dpi,
        "layout": layout,
        "upscaler": upscaler,
        "tile_px": tile_size,
        "tile": source,
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu, 3),
        "load_avg_1min": round(load, 2),
        "peak_rss_mib": round(rss / 1024, 1),
        "rss_before_export_mib": round(rss0 / 1024, 1),
        "file_mib": round(os.path.getsize(out) / 2**20, 2),
        "machine": f"{platform.machine()} {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
    }


def run_fresh(
    width: str = "60cm",
    height: str = "60cm",
    dpi: float = 300.0,
    layout: str = "half-drop",
    upscaler: str = "hybrid",
    tile_size: int = 256,
    source: str = "synthetic",
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "bench.png")
        code = (
            "import json, sys; from engine.export.bench import measure; "
            "print(json.dumps(measure(*json.loads(sys.argv[1]))))"
        )
        argv = json.dumps([width, height, dpi, layout, upscaler, tile_size, out, source])
        res = subprocess.run(
            [sys.executable, "-c", code, argv], capture_output=True, text=True, check=False
        )
        if res.returncode != 0:
            raise RuntimeError(f"export bench failed:\n{res.stderr}")
        return json.loads(res.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _run(args: argparse.Namespace) -> int:
    figs = [
        run_fresh(args.width, args.height, args.dpi, args.repeat, up, args.tile_size, args.tile)
        for up in args.upscale
    ]
    comparison: dict[str, Any] | None = None
    if args.compare:
        from engine.export.upscale import compare_upscalers

        tile, _ = bench_tile(args.tile_size, args.tile)
        factor = 100.0 / 25.4 * args.dpi / tile.shape[1]  # the default 10 cm repeat
        comparison = {"factor": round(factor, 3), **compare_upscalers(tile, factor)}
    if args.json:
        print(json.dumps({"exports": figs, "upscalers": comparison}, indent=2))
        return 0
    for f in figs:
        print(
            f"export PNG {f['width_px']}×{f['height_px']} px ({args.width}×{args.height} at "
            f"{f['dpi']:g} DPI, {f['layout']}, upscaler {f['upscaler']}, tile {f['tile']}): "
            f"{f['seconds']} s wall ({f['cpu_seconds']} s CPU, load {f['load_avg_1min']}), "
            f"peak RSS {f['peak_rss_mib']} MiB, file {f['file_mib']} MiB "
            f"[{f['machine']}]"
        )
    if comparison:
        print(
            f"upscalers at {comparison['factor']}× (sharpness: mean peak gradient at edges, "
            "higher = crisper; re-downscale ΔE2000 vs the tile, lower = truer):"
        )
        for k, v in comparison.items():
            if isinstance(v, dict):
                print(
                    f"  {k:8s} sharpness {v['edge_sharpness']:7.1f}   "
                    f"re-downscale ΔE {v['redownscale_delta_e']:.3f}"
                )
    return 0


def register_bench(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="time and peak memory of a 60×60 cm 300 DPI PNG export")
    p.add_argument("--width", default="60cm")
    p.add_argument("--height", default="60cm")
    p.add_argument("--dpi", type=float, default=300.0)
    p.add_argument("--repeat", default="half-drop")
    p.add_argument("--upscale", nargs="+", default=["hybrid", "lanczos"])
    p.add_argument("--tile-size", type=int, default=256)
    p.add_argument(
        "--tile",
        default="synthetic",
        help="synthetic (default), db:REGION (a database sample) or an image file",
    )
    p.add_argument(
        "--compare",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also compare the upscalers' edge sharpness and fidelity",
    )
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.set_defaults(func=_run)
