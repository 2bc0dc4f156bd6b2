"""Fixtures for the evaluation tests: the directions tests' tiny generators and CLIP model
(shared, not copied), plus a tiny held-out database and a CLIP-conditioned generator."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engine.directions.conftest import (  # noqa: F401  (fixtures used by name)
    _cache_dir,
    _one_thread,
    cond_renderer,
    make_generator,
    tiny_clip_dir,
    tiny_encoder,
    tiny_G,
    tiny_renderer,
)


@pytest.fixture(scope="session")
def tiny_heldout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from engine.database import build_database

    return build_database(
        tmp_path_factory.mktemp("heldout") / "db", per_region=3, size=64, seed=777005, workers=1
    )


@pytest.fixture()
def tiny_cond_model_dir(tmp_path: Path) -> Path:
    """A saved tiny generator conditioned on 32-wide (tiny CLIP) embeddings."""
    from engine.stylegan.checkpoint import save_generator

    return save_generator(make_generator(c_dim=32, seed=3), tmp_path / "gen")
