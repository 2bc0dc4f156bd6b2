"""The `wenyang` command line (names fixed by DESIGN §5).

Each command family lives in its own module exposing `register(subparsers)`; this file only
wires them together and turns errors into exit statuses: 2 for bad input (a one-paragraph
message, no traceback), 1 for an internal failure.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn

from engine import __version__
from engine.errors import UserInputError
from engine.subcommands import attach

# module paths that provide `register(subparsers) -> None`; missing ones are skipped so the
# CLI keeps working while features land one by one.
COMMAND_MODULES: tuple[str, ...] = (
    "engine.database.cli",
    "engine.train_cli",
    "engine.stylegan.cli",
    "engine.eval_cli",
    "engine.bench_cli",
    "engine.export.cli",
    "engine.abtest.cli",
    "engine.mockup.cli",
    "engine.tuner.cli",
    "engine.directions.cli",
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # exit 2 with a clear paragraph, as argparse does
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="wenyang", description="Wenyang Studio command line (纹样工作室).")
    parser.add_argument("--version", action="version", version=f"wenyang {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    attach(sub, COMMAND_MODULES, "register")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        rc = func(args)
        return int(rc or 0)
    except UserInputError as exc:
        print(f"wenyang {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"wenyang {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # internal failure: keep the traceback for the bug report
        traceback.print_exc()
        print(f"wenyang {args.command}: internal error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
