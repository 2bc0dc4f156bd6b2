"""`wenyang bench render|export|tune|train`: speed figures (DESIGN §7), never timed tests."""

from __future__ import annotations

import argparse

from engine.subcommands import attach

PROVIDERS = (
    "engine.stylegan.bench",
    "engine.export.bench",
    "engine.tuner.bench",
    "engine.stylegan.train.bench",
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="speed figures on this machine")
    inner = p.add_subparsers(dest="what", metavar="render|export|tune|train", parser_class=type(p))
    inner.required = True
    attach(inner, PROVIDERS, "register_bench")
