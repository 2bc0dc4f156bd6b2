"""`wenyang eval clip|gen|seg`: quality figures of the shipped models (DESIGN §7)."""

from __future__ import annotations

import argparse

from engine.subcommands import attach

PROVIDERS = ("engine.clip.eval_cli", "engine.stylegan.eval_cli", "engine.mockup.eval_cli")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="quality figures of the models (held-out data)")
    inner = p.add_subparsers(dest="what", metavar="clip|gen|seg", parser_class=type(p))
    inner.required = True
    attach(inner, PROVIDERS, "register_eval")
