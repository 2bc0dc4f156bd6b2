"""Group commands (`wenyang eval …`, `wenyang bench …`, `wenyang train …`) gathered from
the packages that implement them, so each feature registers its own sub-command and a
missing feature never breaks the others."""

from __future__ import annotations

import argparse
import importlib


def attach(sub: argparse._SubParsersAction, providers: tuple[str, ...], hook: str) -> int:
    """Call `module.<hook>(sub)` for every provider module that exists; return how many did."""
    found = 0
    for name in providers:
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                continue
            raise
        getattr(mod, hook)(sub)
        found += 1
    return found
