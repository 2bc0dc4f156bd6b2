"""Icons and stylesheets: from the compiled Qt resources when present, else from assets/.

`resources.qrc` is compiled to `designer_app/resources_rc.py` by scripts/_venv.sh (never
committed); a source checkout without it still works by reading the files directly.
"""

from __future__ import annotations

import functools
from pathlib import Path

from PySide6.QtCore import QFile, QIODevice
from PySide6.QtGui import QIcon

from engine.paths import ASSETS_DIR


@functools.lru_cache(maxsize=1)
def have_resources() -> bool:
    try:
        import designer_app.resources_rc  # noqa: F401  (registers ":/..." on import)
    except ImportError:
        return False
    return QFile.exists(":/icons/app.svg")


def resource_path(rel: str) -> str:
    """ ":/rel" when the compiled resources are loaded, else the file under assets/."""
    if have_resources():
        return f":/{rel}"
    return str(Path(ASSETS_DIR) / rel)


@functools.lru_cache(maxsize=64)
def icon(name: str) -> QIcon:
    """A theme icon where the desktop has one, else the bundled SVG."""
    bundled = QIcon(resource_path(f"icons/{name}.svg"))
    theme_names = {
        "new": "document-new",
        "open": "document-open",
        "save": "document-save",
        "undo": "edit-undo",
        "redo": "edit-redo",
        "zoom-in": "zoom-in",
        "zoom-out": "zoom-out",
        "zoom-fit": "zoom-fit-best",
    }
    if name in theme_names and QIcon.hasThemeIcon(theme_names[name]):
        return QIcon.fromTheme(theme_names[name], bundled)
    return bundled


def stylesheet(theme: str) -> str:
    path = resource_path(f"style/{'dark' if theme == 'dark' else 'light'}.qss")
    f = QFile(path)
    if not f.open(QIODevice.OpenModeFlag.ReadOnly | QIODevice.OpenModeFlag.Text):
        return ""
    try:
        return bytes(f.readAll().data()).decode("utf-8")
    finally:
        f.close()
