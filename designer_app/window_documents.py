"""The document side of the main window: new/open/save, recent files, autosave, recovery.

A mixin of MainWindow (it uses the window's model, stack, settings and messages), kept apart
so that each file holds one concern.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QMessageBox

from designer_app import documents
from engine.errors import UserInputError
from engine.project import SUFFIX, Design, load_project, save_project

if TYPE_CHECKING:
    from designer_app.main_window import MainWindow

    _Base = MainWindow
else:
    _Base = object


class DocumentsMixin(_Base):
    # ------------------------------------------------------------------ documents
    def new_design(self) -> None:
        if not self.maybe_save():
            return
        d = Design(region=self.model.design.region)
        self.stack.clear()
        self.model.replace(d, None)
        self.model.set_dirty(False)

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            self.tr("Open design"),
            "",
            self.tr("Wenyang projects (*%1)").replace("%1", SUFFIX),
        )
        if path:
            self.open_path(Path(path))

    def open_path(self, path: Path, ask: bool = True) -> bool:
        if ask and not self.maybe_save():
            return False
        try:
            d = load_project(path)
        except UserInputError as exc:
            self.show_message(
                "error", self.tr("Could not open the project: %1").replace("%1", str(exc))
            )
            return False
        info = self.state.info
        if d.model is not None and info is not None and d.model.model_hash != info.model_hash:
            self.show_message(
                "warning",
                self.tr(
                    "This design was made with model %1 (hash %2); the loaded model is %3 "
                    "(hash %4). It will render, but the pixels may differ."
                )
                .replace("%1", d.model.model_id)
                .replace("%2", d.model.model_hash[:12])
                .replace("%3", info.model_id)
                .replace("%4", info.model_hash[:12]),
            )
        self.stack.clear()
        self.state.set_policy(None)
        self.model.replace(d, path)
        self.model.set_dirty(False)
        if d.policy is not None:
            if Path(d.policy.path).is_file():
                self.load_policy(Path(d.policy.path), d.policy.strength, as_edit=False)
            else:
                self.show_message(
                    "warning",
                    self.tr(
                        "The tuned policy %1 of this design was not found: it renders without it."
                    ).replace("%1", d.policy.path),
                )
        self.settings.add_recent(path)
        self._refresh_recent()
        return True

    def save(self) -> bool:
        if self.model.path is None:
            return self.save_as()
        return self.save_to(self.model.path)

    def save_as(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(
            self,
            self.tr("Save design"),
            "design" + SUFFIX,
            self.tr("Wenyang projects (*%1)").replace("%1", SUFFIX),
        )
        if not path:
            return False
        p = Path(path)
        if p.suffix != SUFFIX:
            p = p.with_suffix(SUFFIX)
        return self.save_to(p)

    def save_to(self, path: Path) -> bool:
        try:
            save_project(path, self.model.design)
        except OSError as exc:
            self.show_message(
                "error",
                self.tr("Could not save %1: %2")
                .replace("%1", str(path))
                .replace("%2", exc.strerror or str(exc)),
            )
            return False
        self.model.set_path(path)
        self.stack.setClean()
        self.model.set_dirty(False)
        self.autosaver.discard()
        self.settings.add_recent(path)
        self._refresh_recent()
        self.statusBar().showMessage(self.tr("Saved %1").replace("%1", str(path)), 4000)
        return True

    def maybe_save(self) -> bool:
        """True when it is fine to drop the open design."""
        if not self.model.dirty or not self.interactive:
            return True
        r = QMessageBox.question(
            self,
            self.tr("Unsaved design"),
            self.tr("Save the changes to this design first?"),
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
        )
        if r == QMessageBox.StandardButton.Save:
            return self.save()
        return r == QMessageBox.StandardButton.Discard

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        files = self.settings.recent_files()
        for f in files:
            act = self.recent_menu.addAction(Path(f).name)
            act.setToolTip(f)
            act.triggered.connect(lambda _=False, p=f: self.open_path(Path(p)))
        self.recent_menu.setEnabled(bool(files))

    def autosave(self) -> Path | None:
        if not self.model.dirty:
            return None
        try:
            return self.autosaver.save(self.model.design, self.model.path)
        except OSError as exc:
            self.statusBar().showMessage(
                self.tr("Autosave failed: %1").replace("%1", str(exc)), 6000
            )
            return None

    def offer_recovery(self) -> bool:
        """After a crash, offer the autosaved design (non-interactive: recover silently)."""
        found = documents.find_recoverable()
        if not found:
            return False
        r = found[-1]
        if self.interactive:
            ans = QMessageBox.question(
                self,
                self.tr("Recover design?"),
                self.tr(
                    "Wenyang Studio did not close properly last time. Recover the unsaved design%1?"
                ).replace("%1", f" ({r.original})" if r.original else ""),
            )
            if ans != QMessageBox.StandardButton.Yes:
                for x in found:
                    documents.discard_recovery(x)
                return False
        try:
            d = documents.load_recovery(r)
        except UserInputError as exc:
            self.show_message(
                "error", self.tr("The autosave could not be read: %1").replace("%1", str(exc))
            )
            documents.discard_recovery(r)
            return False
        self.stack.clear()
        self.model.replace(d, Path(r.original) if r.original else None)
        self.model.set_dirty(True)
        for x in found:
            documents.discard_recovery(x)
        self.show_message("info", self.tr("Recovered the unsaved design."))
        return True
