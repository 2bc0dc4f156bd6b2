"""Every menu/toolbar action in one place: stable ids, shortcuts and tr() texts.

Widgets look actions up by id (`actions["file.save"]`) and connect to `triggered`; the main
window wires ids to handlers. Ids never change, so settings, tests and the self-test may
rely on them (Frescobaldi's actioncollection pattern).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtGui import QAction, QIcon, QKeySequence

from designer_app.theme import icon

SK = QKeySequence.StandardKey


@dataclass(frozen=True)
class ActionSpec:
    id: str
    text: str  # untranslated source text (passed through tr())
    shortcut: QKeySequence.StandardKey | str | None = None
    icon: str | None = None
    tip: str = ""
    checkable: bool = False


SPECS: tuple[ActionSpec, ...] = (
    ActionSpec("file.new", "&New Design", SK.New, "new", "Start a new design"),
    ActionSpec("file.open", "&Open…", SK.Open, "open", "Open a .wenyang project"),
    ActionSpec("file.save", "&Save", SK.Save, "save", "Save the design"),
    ActionSpec("file.save_as", "Save &As…", SK.SaveAs, None, "Save the design under a new name"),
    ActionSpec(
        "file.export_png",
        "&Export Tile as PNG…",
        "Ctrl+E",
        "export",
        "Write the current tile as a PNG",
    ),
    ActionSpec("file.quit", "&Quit", SK.Quit, None, "Quit Wenyang Studio"),
    ActionSpec("edit.undo", "&Undo", SK.Undo, "undo"),
    ActionSpec("edit.redo", "&Redo", SK.Redo, "redo"),
    ActionSpec(
        "edit.settings",
        "&Settings…",
        SK.Preferences,
        "settings",
        "Device, model files, export defaults",
    ),
    ActionSpec(
        "design.generate",
        "&Generate Variations",
        "Ctrl+G",
        "generate",
        "Render a 3×3 grid of variations for the region and descriptors",
    ),
    ActionSpec(
        "design.match_reference",
        "&Match a Reference Image…",
        "Ctrl+M",
        None,
        "Find the design whose tile looks most like an image (also: drop it on the canvas)",
    ),
    ActionSpec("design.cancel", "&Cancel Jobs", "Esc", "cancel", "Cancel running jobs"),
    ActionSpec("design.random_seed", "&Random Seed", "Ctrl+R", None, "Try a new seed"),
    ActionSpec(
        "design.load_policy",
        "Load Tuned &Policy…",
        None,
        None,
        "Apply a policy written by `wenyang tune`",
    ),
    ActionSpec("view.zoom_in", "Zoom &In", SK.ZoomIn, "zoom-in"),
    ActionSpec("view.zoom_out", "Zoom &Out", SK.ZoomOut, "zoom-out"),
    ActionSpec("view.zoom_fit", "&Fit to Window", "Ctrl+0", "zoom-fit"),
    ActionSpec(
        "view.seams", "Show &Seams", "Ctrl+;", None, "Outline the tile edges", checkable=True
    ),
    ActionSpec(
        "view.dark",
        "&Dark Theme",
        "Ctrl+Shift+D",
        None,
        "Switch between light and dark",
        checkable=True,
    ),
    ActionSpec("help.about", "&About Wenyang Studio", None, "app"),
)


class Actions(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._actions: dict[str, QAction] = {}
        for spec in SPECS:
            a = QAction(QCoreApplication.translate("Actions", spec.text), self)
            a.setObjectName(spec.id)
            if spec.shortcut is not None:
                a.setShortcut(QKeySequence(spec.shortcut))
            if spec.icon:
                ic = icon(spec.icon)
                if not ic.isNull():
                    a.setIcon(ic)
            if spec.tip:
                a.setStatusTip(QCoreApplication.translate("Actions", spec.tip))
                a.setToolTip(QCoreApplication.translate("Actions", spec.tip))
            a.setCheckable(spec.checkable)
            self._actions[spec.id] = a

    def __getitem__(self, action_id: str) -> QAction:
        return self._actions[action_id]

    def ids(self) -> list[str]:
        return list(self._actions)

    def add(self, action_id: str, action: QAction) -> None:
        """Register an action made elsewhere (e.g. the undo stack's) under a stable id."""
        action.setObjectName(action_id)
        self._actions[action_id] = action


def _unused(_: QIcon) -> None:  # keep QIcon import meaningful for type checkers
    return None
