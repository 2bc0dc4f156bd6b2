"""Persistent preferences (QSettings INI in the platform's user data directory).

Tests and the self-test isolate themselves with WENYANG_DATA_DIR (see engine.paths).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

from engine.paths import user_data_dir

DEVICES = ("auto", "cpu", "cuda")
THEMES = ("light", "dark")
MAX_RECENT = 8

_DEFAULTS: dict[str, Any] = {
    "device": "auto",
    "generator_dir": "",
    "clip_dir": "",
    "theme": "light",
    "autosave_seconds": 60,
    "export/dpi": 300,
    "export/width_cm": 60.0,
    "export/height_cm": 60.0,
    "export/repeat": "full",
    "export/format": "png",
}


class StudioSettings:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or (user_data_dir() / "settings.ini")
        self.qs = QSettings(str(self.path), QSettings.Format.IniFormat)

    def get(self, key: str) -> Any:
        default = _DEFAULTS.get(key)
        v = self.qs.value(key, default)
        if isinstance(default, bool):
            return v in (True, "true", "1", 1)
        if isinstance(default, int):
            try:
                return int(v)
            except (TypeError, ValueError):
                return default
        if isinstance(default, float):
            try:
                return float(v)
            except (TypeError, ValueError):
                return default
        return v if v is not None else default

    def set(self, key: str, value: Any) -> None:
        self.qs.setValue(key, value)

    def sync(self) -> None:
        self.qs.sync()

    # ---------------------------------------------------------------- models
    def generator_dir(self, override: str | None = None) -> Path | None:
        """--model DIR, then $WENYANG_GENERATOR_DIR, then the setting; None = shipped."""
        for cand in (override, os.environ.get("WENYANG_GENERATOR_DIR"), self.get("generator_dir")):
            if cand:
                return Path(cand).expanduser()
        return None

    def clip_dir(self) -> Path | None:
        for cand in (os.environ.get("WENYANG_CLIP_DIR"), self.get("clip_dir")):
            if cand:
                return Path(cand).expanduser()
        return None

    # ---------------------------------------------------------------- recent files
    def recent_files(self) -> list[str]:
        v = self.qs.value("recent_files", [])
        if isinstance(v, str):
            v = [v]
        return [str(x) for x in (v or []) if x]

    def add_recent(self, path: Path) -> None:
        p = str(Path(path).resolve())
        files = [f for f in self.recent_files() if f != p]
        self.qs.setValue("recent_files", [p, *files][:MAX_RECENT])

    def clear_recent(self) -> None:
        self.qs.setValue("recent_files", [])

    # ---------------------------------------------------------------- window
    def window_state(self) -> tuple[QByteArray | None, QByteArray | None]:
        g, s = self.qs.value("window/geometry"), self.qs.value("window/state")
        return (g if isinstance(g, QByteArray) else None, s if isinstance(s, QByteArray) else None)

    def save_window_state(self, geometry: QByteArray, state: QByteArray) -> None:
        self.qs.setValue("window/geometry", geometry)
        self.qs.setValue("window/state", state)
