"""`wenyang db build | sheet | import` (names fixed by DESIGN §5)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from engine.errors import UserInputError


def _positive(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {v}")
    return v


def _size(text: str) -> int:
    v = _positive(text)
    if not 16 <= v <= 4096:
        raise argparse.ArgumentTypeError(f"expected a size between 16 and 4096 px, got {v}")
    return v


def _progress(label: str):
    start = time.monotonic()
    last = [0.0]

    def report(done: int, total: int) -> None:
        now = time.monotonic()
        if done == total or now - last[0] > 0.5:
            last[0] = now
            rate = done / max(now - start, 1e-6)
            print(f"\r{label}: {done}/{total} ({rate:.0f}/s)", end="", file=sys.stderr, flush=True)
            if done == total:
                print(f" in {now - start:.1f} s", file=sys.stderr)

    return report


def _build(args: argparse.Namespace) -> int:
    from engine.database.build import build_database

    out = build_database(
        args.out,
        args.per_region,
        size=args.size,
        seed=args.seed,
        progress=_progress("db build"),
        workers=args.workers,
    )
    print(out)
    return 0


def _sheet(args: argparse.Namespace) -> int:
    from engine.database.sheet import make_sheet

    if not Path(args.db).is_dir():
        raise UserInputError("database folder not found", path=args.db)
    print(make_sheet(args.db, args.out, per_region=args.per_region, tile=args.tile))
    return 0


def _import(args: argparse.Namespace) -> int:
    from engine.database.importer import import_database

    print(import_database(args.src, args.manifest, args.out, size=args.size))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    db = subparsers.add_parser(
        "db", help="build, import and inspect the cultural pattern database (training data)"
    )
    sub = db.add_subparsers(dest="db_command", metavar="SUBCOMMAND")
    sub.required = True

    b = sub.add_parser("build", help="render annotated seamless tiles for every region")
    b.add_argument("--out", required=True, help="output folder (replaced atomically)")
    b.add_argument("--per-region", type=_positive, default=500, help="tiles per region")
    b.add_argument("--size", type=_size, default=256, help="tile size in px (default 256)")
    b.add_argument("--seed", type=int, default=0, help="base seed (default 0)")
    b.add_argument("--workers", type=_positive, default=2, help="processes (default 2)")
    b.set_defaults(func=_build)

    s = sub.add_parser("sheet", help="contact sheet: a row per region, one tile shown 2x2")
    s.add_argument("db", help="database folder")
    s.add_argument("--out", required=True, help="PNG to write")
    s.add_argument("--per-region", type=_positive, default=8, help="tiles per row")
    s.add_argument("--tile", type=_size, default=96, help="px per tile on the sheet")
    s.set_defaults(func=_sheet)

    i = sub.add_parser("import", help="turn a folder of real images + CSV into a database")
    i.add_argument("src", help="folder with the images")
    i.add_argument(
        "--manifest", required=True, help="CSV with columns file,region,motifs,caption[,caption_zh]"
    )
    i.add_argument("--out", required=True, help="output database folder")
    i.add_argument("--size", type=_size, default=256, help="normalised size in px")
    i.set_defaults(func=_import)
