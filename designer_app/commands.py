"""Undoable edits (QUndoCommand) with readable names.

Consecutive changes of the same control during one drag merge into one history entry
(`merge_key`), so a drag is undone in one step, as designers expect.
"""

from __future__ import annotations

import copy

from PySide6.QtGui import QUndoCommand

from designer_app.models.design_model import DesignModel, _same
from engine.project import Offset

MERGE_ID = 0x57E1  # every mergeable command shares this id; merge_key tells them apart


class SetFieldCommand(QUndoCommand):
    def __init__(
        self, model: DesignModel, field: str, value: object, text: str, merge_key: str | None = None
    ) -> None:
        super().__init__(text)
        self.model, self.field, self.new = model, field, value
        self.old = copy.deepcopy(model.get(field))
        self.merge_key = merge_key

    def id(self) -> int:
        return MERGE_ID if self.merge_key else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if (
            not isinstance(other, SetFieldCommand)
            or other.merge_key != self.merge_key
            or other.field != self.field
        ):
            return False
        self.new = other.new
        self.setText(other.text())
        if _same(self.old, self.new):
            self.setObsolete(True)
        return True

    def redo(self) -> None:
        self.model.set(self.field, copy.deepcopy(self.new))

    def undo(self) -> None:
        self.model.set(self.field, copy.deepcopy(self.old))


class SetOffsetCommand(QUndoCommand):
    """Move one direction slider (its directions join the design on first use)."""

    def __init__(
        self,
        model: DesignModel,
        templates: Offset | list[Offset],
        strength: float,
        text: str,
        merge_key: str | None = None,
    ) -> None:
        super().__init__(text)
        self.model = model
        self.templates = templates if isinstance(templates, list) else [templates]
        self.new = strength
        self.old = [model.offset_strength(t.id) for t in self.templates]
        self.merge_key = merge_key

    def id(self) -> int:
        return MERGE_ID if self.merge_key else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if (
            not isinstance(other, SetOffsetCommand)
            or other.merge_key != self.merge_key
            or [t.id for t in other.templates] != [t.id for t in self.templates]
        ):
            return False
        self.new = other.new
        self.setText(other.text())
        if all(o == self.new for o in self.old):
            self.setObsolete(True)
        return True

    def redo(self) -> None:
        for t in self.templates:
            self.model.set_offset(t, self.new)

    def undo(self) -> None:
        for t, old in zip(self.templates, self.old, strict=True):
            self.model.set_offset(t, old)


class AddOffsetCommand(QUndoCommand):
    """Add a text direction ("more golden ribbons") as a new slider (one or more parts)."""

    def __init__(self, model: DesignModel, offsets: Offset | list[Offset], text: str) -> None:
        super().__init__(text)
        self.model = model
        self.offsets = offsets if isinstance(offsets, list) else [offsets]

    def redo(self) -> None:
        for o in self.offsets:
            self.model.insert_offset(copy.deepcopy(o))

    def undo(self) -> None:
        for o in self.offsets:
            self.model.remove_offset(o.id)


class RemoveOffsetCommand(QUndoCommand):
    """Remove a slider's directions (all parts of a text direction)."""

    def __init__(self, model: DesignModel, slider_id: str, text: str) -> None:
        super().__init__(text)
        self.model, self.slider_id = model, slider_id
        self.saved: list[tuple[int, Offset]] = []

    def redo(self) -> None:
        offs = self.model.design.offsets
        self.saved = [
            (i, o)
            for i, o in enumerate(offs)
            if o.id == self.slider_id or o.id.startswith(self.slider_id + "#")
        ]
        for _, o in self.saved:
            self.model.remove_offset(o.id)

    def undo(self) -> None:
        for i, o in self.saved:
            self.model.design.offsets.insert(i, copy.deepcopy(o))
        self.model.changed.emit("offsets")


class SetFieldsCommand(QUndoCommand):
    """Several fields at once (e.g. picking a variation sets seed and clears w)."""

    def __init__(self, model: DesignModel, values: dict[str, object], text: str) -> None:
        super().__init__(text)
        self.model, self.new = model, dict(values)
        self.old = {k: copy.deepcopy(model.get(k)) for k in values}

    def redo(self) -> None:
        for k, v in self.new.items():
            self.model.set(k, copy.deepcopy(v))

    def undo(self) -> None:
        for k, v in self.old.items():
            self.model.set(k, copy.deepcopy(v))
