"""`wenyang bench export`: time and peak memory of a 60×60 cm, 300 DPI print PNG (DESIGN §7).

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


def measure(
    width: str, height: str, dpi: float, layout: str, upscaler: str, tile_size: int, out: str
) -> dict[str, object]:
    """Run one export in this process and report its figures (call in a fresh process)."""
    import resource

    from engine.export.png_export import PrintSpec, export_png
    from engine.export.provenance import Provenance
    from engine.export.sample import synthetic_tile
    from engine.export.units import parse_length_mm

    tile = synthetic_tile(tile_size)
    spec = PrintSpec(
        parse_length_mm(width, "--width"),
        parse_length_mm(height, "--height"),
        dpi,
        layout,
        None,
        upscaler,
    )
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    export_png(tile, out, spec, provenance=Provenance(region="bench"))
    seconds = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    wpx, hpx = spec.size_px
    return {
        "figure": "export_png",
        "width_px": wpx,
        "height_px": hpx,
        "dpi": dpi,
        "layout": layout,
        "upscaler": upscaler,
        "tile_px": tile_size,
        "seconds": round(seconds, 3),
        "peak_rss_mib": round(rss / 1024, 1),
        "rss_before_export_mib": round(rss0 / 1024, 1),
        "file_mib": round(os.path.getsize(out) / 2**20, 2),
        "machine": f"{platform.machine()} {os.cpu_count()} cores, {platform.python_version()}",
    }


def run_fresh(
    width: str = "60cm",
    height: str = "60cm",
    dpi: float = 300.0,
    layout: str = "half-drop",
    upscaler: str = "hybrid",
    tile_size: int = 256,
) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "bench.png")
        code = (
            "import json, sys; from engine.export.bench import measure; "
            "print(json.dumps(measure(*json.loads(sys.argv[1]))))"
        )
        argv = json.dumps([width, height, dpi, layout, upscaler, tile_size, out])
        res = subprocess.run(
            [sys.executable, "-c", code, argv], capture_output=True, text=True, check=False
        )
        if res.returncode != 0:
            raise RuntimeError(f"export bench failed:\n{res.stderr}")
        return json.loads(res.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _run(args: argparse.Namespace) -> int:
    figs = [
        run_fresh(args.width, args.height, args.dpi, args.repeat, up, args.tile_size)
        for up in args.upscale
    ]
    if args.json:
        print(json.dumps(figs if len(figs) > 1 else figs[0], indent=2))
    else:
        for f in figs:
            print(
                f"export PNG {f['width_px']}×{f['height_px']} px ({args.width}×{args.height} "
                f"at {f['dpi']} DPI, {f['layout']}, upscaler {f['upscaler']}): "
                f"{f['seconds']} s, peak RSS {f['peak_rss_mib']} MiB, file "
                f"{f['file_mib']} MiB [{f['machine']}]"
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
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.set_defaults(func=_run)
