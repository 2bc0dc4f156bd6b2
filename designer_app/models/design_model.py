"""The open design: state plus change signals (napari-style; widgets only listen).

Edits go through `designer_app.commands` so that each one is undoable; the model itself only
applies values and announces which field changed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from engine.project import Design, Offset

# fields whose change needs a new frame
RENDER_FIELDS = frozenset(
    {
        "seed",
        "truncation",
        "truncate_to",
        "condition_prior",
        "prior_by_region",
        "prior_faithful",
        "region",
        "condition",
        "ws",
        "offsets",
        "mix_seed",
        "mix_from_layer",
        "policy",
        "noise_mode",
        "noise_seed",
    }
)


class DesignModel(QObject):
    changed = Signal(str)  # field name ("*" when the whole design was replaced)
    pathChanged = Signal(object)  # Path | None
    dirtyChanged = Signal(bool)

    def __init__(self, design: Design | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.design = design or Design()
        self.path: Path | None = None
        self._dirty = False

    # ------------------------------------------------------------------ document
    @property
    def dirty(self) -> bool:
        return self._dirty

    def set_dirty(self, dirty: bool) -> None:
        if dirty != self._dirty:
            self._dirty = dirty
            self.dirtyChanged.emit(dirty)

    def set_path(self, path: Path | None) -> None:
        self.path = path
        self.pathChanged.emit(path)

    def replace(self, design: Design, path: Path | None = None) -> None:
        self.design = design
        self.set_path(path)
        self.changed.emit("*")

    # ------------------------------------------------------------------ fields
    def get(self, name: str) -> object:
        return getattr(self.design, name)

    def set(self, name: str, value: object) -> None:
        if not hasattr(self.design, name):
            raise AttributeError(f"Design has no field {name!r}")
        old = getattr(self.design, name)
        if _same(old, value):
            return
        setattr(self.design, name, value)
        self.changed.emit(name)

    def group(self, slider_id: str) -> list[Offset]:
        """The offsets one slider drives: `id` itself, or the parts `id#0`, `id#1`, … (a text
        direction acts on several layer ranges at once)."""
        return [
            o for o in self.design.offsets if o.id == slider_id or o.id.startswith(slider_id + "#")
        ]

    def offset_strength(self, slider_id: str) -> float:
        g = self.group(slider_id)
        return float(g[0].strength) if g else 0.0

    def set_offset(self, template: Offset, strength: float) -> None:
        """Set one slider's strength (adds the direction the first time it is used)."""
        o = self.design.offset(template.id)
        if o is None:
            if strength == 0.0:
                return
            self.design.offsets.append(
                Offset(template.id, strength, template.layers, template.vector, template.label)
            )
        elif o.strength == strength:
            return
        else:
            o.strength = strength
        self.changed.emit("offsets")

    def retarget_offset(self, offset_id: str, vector: np.ndarray) -> None:
        """Point a slider already in the design along another vector, its strength kept (a
        per-region slider when the region changes)."""
        o = self.design.offset(offset_id)
        if o is None or _same(o.vector, vector):
            return
        o.vector = np.array(vector, dtype=np.float32)
        self.changed.emit("offsets")

    def remove_offset(self, offset_id: str) -> Offset | None:
        o = self.design.offset(offset_id)
        if o is not None:
            self.design.offsets.remove(o)
            self.changed.emit("offsets")
        return o

    def insert_offset(self, offset: Offset) -> None:
        if self.design.offset(offset.id) is None:
            self.design.offsets.append(offset)
            self.changed.emit("offsets")


def _same(a: object, b: object) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and a.shape == b.shape
            and bool(np.array_equal(a, b))
        )
    return a == b
