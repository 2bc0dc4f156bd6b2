"""Shared bits of the Mockup, Export and Tuner docks (the docks live in their own modules)."""

from __future__ import annotations

import importlib

from PySide6.QtWidgets import QLabel, QWidget


def engine_feature(module: str, *names: str) -> str:
    """'' when engine `module` has all `names`, else why the feature is missing."""
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return f"{module} is not in this build"
    except Exception as exc:  # a broken module must not take the studio down
        return f"{module} failed to load ({type(exc).__name__}: {exc})"
    missing = [n for n in names if not hasattr(mod, n)]
    return f"{module} lacks {', '.join(missing)}" if missing else ""


def note(text: str, parent: QWidget) -> QLabel:
    lab = QLabel(text, parent)
    lab.setObjectName("hint")
    lab.setWordWrap(True)
    return lab
