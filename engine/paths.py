"""Where things live: shipped assets beside the code, user data in platform directories."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "WenyangStudio"
APP_AUTHOR = "Wenyang"

REPO_ROOT = Path(__file__).resolve().parent.parent
ASSETS_DIR = Path(os.environ.get("WENYANG_ASSETS", REPO_ROOT / "assets"))
MODELS_DIR = ASSETS_DIR / "models"


def user_data_dir() -> Path:
    """Projects' autosave, recent files and settings (overridable for tests)."""
    p = Path(os.environ.get("WENYANG_DATA_DIR") or platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))
    p.mkdir(parents=True, exist_ok=True)
    return p


def user_cache_dir() -> Path:
    """Training state, indexes and other caches that can be rebuilt."""
    p = Path(
        os.environ.get("WENYANG_CACHE_DIR") or platformdirs.user_cache_dir(APP_NAME, APP_AUTHOR)
    )
    p.mkdir(parents=True, exist_ok=True)
    return p
