"""Export, tuned policies and dropped files for the main window (a MainWindow mixin)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog

from designer_app.commands import SetFieldCommand
from engine.project import SUFFIX, PolicyRef

if TYPE_CHECKING:
    from designer_app.main_window import MainWindow

    _Base = MainWindow
else:
    _Base = object

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"}


class ToolsMixin(_Base):
    # ------------------------------------------------------------------ export
    def _export_tile_dialog(self) -> None:
        self.export_panel._ask_tile()

    def export_tile(self, path: Path) -> bool:
        img = self.state.image
        if img is None:
            self.show_message("error", self.tr("Nothing to export yet: generate a design first."))
            return False
        from PIL import Image

        from engine.atomic import atomic_path

        try:
            with atomic_path(path) as tmp:
                Image.fromarray(img).save(tmp, format="PNG")
        except OSError as exc:
            self.show_message(
                "error",
                self.tr("Could not write %1: %2")
                .replace("%1", str(path))
                .replace("%2", exc.strerror or str(exc)),
            )
            return False
        self.statusBar().showMessage(self.tr("Saved tile %1").replace("%1", str(path)), 4000)
        return True

    def export_print(self, path: Path, spec: object) -> None:
        img = self.state.image
        if img is None:
            self.show_message("error", self.tr("Nothing to export yet: generate a design first."))
            return
        d = self.model.design
        from engine.export.provenance import Provenance

        prov = Provenance(
            region=d.region,
            descriptors=d.text,
            seed=str(d.seed),
            model_id=d.model.model_id if d.model else "",
            model_hash=d.model.model_hash if d.model else "",
            policy_id=d.policy.policy_id if d.policy else "",
        )

        def run(progress):
            from engine.export.png_export import export_png

            return export_png(
                img, path, spec, provenance=prov.with_created(), seed=d.seed, progress=progress
            )

        self.jobs.run(
            self.tr("Exporting %1").replace("%1", path.name),
            run,
            with_progress=True,
            on_result=lambda p: self.statusBar().showMessage(
                self.tr("Exported %1").replace("%1", str(p)), 6000
            ),
        )

    # ------------------------------------------------------------------ misc
    def load_policy_dialog(self) -> None:
        if self.tuner_panel.missing:
            self.show_message(
                "info",
                self.tr("Tuned policies are not available in this build (%1).").replace(
                    "%1", self.tuner_panel.missing
                ),
            )
            return
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Load tuned policy"), "", self.tr("Policies (*.safetensors *.json)")
        )
        if path:
            self.load_policy(Path(path))

    def load_policy(self, path: Path, strength: float = 1.0, as_edit: bool = True) -> None:
        """Load a `wenyang tune` policy on a worker; the strength slider appears when it is
        applied (an undoable edit unless it comes with an opened project)."""

        def load() -> object:
            from engine.tuner.policy import load_policy

            return load_policy(path)

        def loaded(policy: object) -> None:
            info = self.state.info
            w_dim = int(getattr(policy, "w_dim", 0))
            if info is not None and w_dim != int(info.w_dim):
                self.show_message(
                    "error",
                    self.tr(
                        "%1 was tuned for a generator with w of size %2; the loaded model has %3. "
                        "Tune again for this model."
                    )
                    .replace("%1", path.name)
                    .replace("%2", str(w_dim))
                    .replace("%3", str(info.w_dim)),
                )
                return
            meta = getattr(policy, "meta", {}) or {}
            pid = str(meta.get("policy_id") or meta.get("data_hash", "")[:16] or path.stem)
            self.state.set_policy(policy)
            ref = PolicyRef(str(path), pid, strength)
            if as_edit:
                self.stack.push(
                    SetFieldCommand(
                        self.model,
                        "policy",
                        ref,
                        self.tr("Apply tuned policy %1").replace("%1", pid),
                    )
                )
            else:
                self.model.set("policy", ref)

        def failed(exc: BaseException) -> None:
            self.show_message(
                "error", self.tr("Could not load the policy: %1").replace("%1", str(exc))
            )

        self.jobs.run(
            self.tr("Loading policy %1").replace("%1", path.name),
            load,
            on_result=loaded,
            on_error=failed,
        )

    def match_reference_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            self.tr("Match a reference image"),
            "",
            self.tr("Images (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff)"),
        )
        if path:
            self.projection.start(Path(path))

    def handle_drop(self, paths: list[str], target: str = "canvas") -> None:
        """Route dropped files: projects open, images become a reference to match (or, on
        the Mockup dock, a garment photo), batch folders and CSVs go to the tuner."""
        tuner: list[Path] = []
        for p in map(Path, paths):
            suffix = p.suffix.lower()
            if suffix == SUFFIX:
                self.open_path(p)
            elif suffix in IMAGE_SUFFIXES:
                if target == "mockup":
                    self.mockups.import_photo(p)
                else:
                    self.projection.start(p)
            elif suffix in (".csv", ".tsv") or (p.is_dir() and (p / "batch.json").is_file()):
                tuner.append(p)
            else:
                self.show_message(
                    "warning",
                    self.tr(
                        "%1: expected a .wenyang project, an image, an A/B batch folder or "
                        "a results CSV."
                    ).replace("%1", p.name),
                )
        if tuner:
            self.tuner_dock.show()
            self.tuner_dock.raise_()
            self.tuner_panel.handle_paths(tuner)

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            self.handle_drop(paths)
            event.acceptProposedAction()
