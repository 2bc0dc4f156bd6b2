"""Motif families, one module per region; `families_for(region)` lists a region's."""

from __future__ import annotations

import importlib
from functools import cache

from engine.database.context import Family


@cache
def families_for(region_id: str) -> tuple[Family, ...]:
    mod = importlib.import_module(f"engine.database.families.{region_id}")
    return tuple(mod.FAMILIES)
