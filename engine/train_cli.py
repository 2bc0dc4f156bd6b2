"""`wenyang train clip|gan|seg`: training commands, each registered by the package it trains.

A provider module exposes `register_train(train_subparsers)`; missing providers are skipped,
so `wenyang train` lists only what is installed. Every trainer is resumable (see its --help).
"""

from __future__ import annotations

import argparse

from engine.subcommands import attach

PROVIDERS: tuple[str, ...] = (
    "engine.clip.train_cli",  # wenyang train clip
    "engine.stylegan.train.cli",  # wenyang train gan, wenyang train gan-export
    "engine.mockup.train_cli",  # wenyang train seg
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="train the models (resumable)",
        description="Train the studio's models on a pattern database. Every "
        "trainer can be stopped (Ctrl-C saves a snapshot) and resumed.",
    )
    inner = p.add_subparsers(dest="what", metavar="clip|gan|seg", parser_class=type(p))
    inner.required = True
    attach(inner, PROVIDERS, "register_train")
