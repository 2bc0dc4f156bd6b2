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
    """Move one direction slider (the direction is added to the design on first use)."""

    def __init__(
        self,
        model: DesignModel,
        template: Offset,
        strength: float,
        text: str,
        merge_key: str | None = None,
    ) -> None:
        super().__init__(text)
        self.model, self.template, self.new = model, template, strength
        self.old = model.offset_strength(template.id)
        self.merge_key = merge_key

    def id(self) -> int:
        return MERGE_ID if self.merge_key else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if (
            not isinstance(other, SetOffsetCommand)
            or other.merge_key != self.merge_key
            or other.template.id != self.template.id
        ):
            return False
        self.new = other.new
        self.setText(other.text())
        if self.old == self.new:
            self.setObsolete(True)
        return True

    def redo(self) -> None:
        self.model.set_offset(self.template, self.new)

    def undo(self) -> None:
        self.model.set_offset(self.template, self.old)


class AddOffsetCommand(QUndoCommand):
    """Add a text direction ("more golden ribbons") as a new slider."""

    def __init__(self, model: DesignModel, offset: Offset, text: str) -> None:
        super().__init__(text)
        self.model, self.offset = model, offset

    def redo(self) -> None:
        self.model.insert_offset(copy.deepcopy(self.offset))

    def undo(self) -> None:
        self.model.remove_offset(self.offset.id)


class RemoveOffsetCommand(QUndoCommand):
    def __init__(self, model: DesignModel, offset_id: str, text: str) -> None:
        super().__init__(text)
        self.model, self.offset_id = model, offset_id
        self.saved: Offset | None = None
        self.index = 0

    def redo(self) -> None:
        o = self.model.design.offset(self.offset_id)
        if o is not None:
            self.index = self.model.design.offsets.index(o)
        self.saved = self.model.remove_offset(self.offset_id)

    def undo(self) -> None:
        if self.saved is not None:
            self.model.design.offsets.insert(self.index, copy.deepcopy(self.saved))
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
