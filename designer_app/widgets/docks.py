"""Mockup, Export and Tuner panels. Each does what the engine in this build can do and says
plainly what is missing, instead of pretending."""

from __future__ import annotations

import importlib
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from designer_app.settings import StudioSettings


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


def _note(text: str, parent: QWidget) -> QLabel:
    lab = QLabel(text, parent)
    lab.setObjectName("hint")
    lab.setWordWrap(True)
    return lab


class ExportPanel(QWidget):
    """Print-ready PNG through engine.export (physical size, DPI, repeat layout)."""

    exportRequested = Signal(Path, object)  # output path, PrintSpec
    tileRequested = Signal(Path)

    def __init__(self, settings: StudioSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        lay = QVBoxLayout(self)
        self.missing = engine_feature("engine.export.png_export", "export_png", "PrintSpec")
        form = QFormLayout()
        self.width_cm = QDoubleSpinBox(self)
        self.width_cm.setRange(1, 500)
        self.width_cm.setSuffix(" cm")
        self.width_cm.setValue(float(settings.get("export/width_cm")))
        self.height_cm = QDoubleSpinBox(self)
        self.height_cm.setRange(1, 500)
        self.height_cm.setSuffix(" cm")
        self.height_cm.setValue(float(settings.get("export/height_cm")))
        self.repeat_cm = QDoubleSpinBox(self)
        self.repeat_cm.setRange(0.5, 200)
        self.repeat_cm.setSuffix(" cm")
        self.repeat_cm.setValue(10.0)
        self.dpi = QSpinBox(self)
        self.dpi.setRange(72, 1200)
        self.dpi.setValue(int(settings.get("export/dpi")))
        self.layout_box = QComboBox(self)
        self.layout_box.addItems(["full", "half-drop", "half-brick", "mirror", "center"])
        self.layout_box.setCurrentText(str(settings.get("export/repeat")))
        form.addRow(self.tr("Width"), self.width_cm)
        form.addRow(self.tr("Height"), self.height_cm)
        form.addRow(self.tr("Repeat width"), self.repeat_cm)
        form.addRow(self.tr("DPI"), self.dpi)
        form.addRow(self.tr("Repeat"), self.layout_box)
        lay.addLayout(form)
        self.print_btn = QPushButton(self.tr("Export Print PNG…"), self)
        self.print_btn.clicked.connect(self._ask_print)
        lay.addWidget(self.print_btn)
        self.tile_btn = QPushButton(self.tr("Save Tile PNG…"), self)
        self.tile_btn.clicked.connect(self._ask_tile)
        lay.addWidget(self.tile_btn)
        if self.missing:
            self.print_btn.setEnabled(False)
            lay.addWidget(
                _note(
                    self.tr(
                        "Print export is not available in this build (%1). "
                        "The tile itself can still be saved."
                    ).replace("%1", self.missing),
                    self,
                )
            )
        lay.addWidget(
            _note(
                self.tr(
                    "Layered SVG, ink reduction, colourways and A/B batches: "
                    "use `wenyang export` / `wenyang abtest export` until the "
                    "full Export dialog lands."
                ),
                self,
            )
        )
        lay.addStretch(1)

    def spec(self) -> object:
        from engine.export.png_export import PrintSpec

        return PrintSpec(
            width_mm=self.width_cm.value() * 10,
            height_mm=self.height_cm.value() * 10,
            dpi=float(self.dpi.value()),
            layout=self.layout_box.currentText(),
            repeat_mm=self.repeat_cm.value() * 10,
        )

    def _ask_print(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export print PNG"), "pattern.png", self.tr("PNG images (*.png)")
        )
        if path:
            self.settings.set("export/dpi", self.dpi.value())
            self.settings.set("export/width_cm", self.width_cm.value())
            self.settings.set("export/height_cm", self.height_cm.value())
            self.settings.set("export/repeat", self.layout_box.currentText())
            self.exportRequested.emit(Path(path), self.spec())

    def _ask_tile(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Save tile"), "tile.png", self.tr("PNG images (*.png)")
        )
        if path:
            self.tileRequested.emit(Path(path))


class MockupPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        self.missing = engine_feature("engine.mockup")
        if self.missing:
            lay.addWidget(
                _note(
                    self.tr(
                        "Garment mockups are not available in this build (%1). When they "
                        "are, this panel shows the template gallery (t-shirt, qipao, dress, "
                        "hoodie, scarf, tote, phone case) wearing the current design live, "
                        "and accepts garment photos by drag and drop."
                    ).replace("%1", self.missing),
                    self,
                )
            )
        else:
            lay.addWidget(
                _note(
                    self.tr(
                        "engine.mockup is present; use `wenyang mockup` for "
                        "now — the live gallery is not wired into this build."
                    ),
                    self,
                )
            )
        lay.addStretch(1)


class TunerPanel(QWidget):
    loadPolicyRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        self.missing = engine_feature("engine.tuner.policy", "load_policy")
        if self.missing:
            lay.addWidget(
                _note(
                    self.tr(
                        "The A/B tuner is not available in this build (%1). Import A/B "
                        "results and train a policy with `wenyang tune` once it ships; a "
                        "policy file can then be applied here."
                    ).replace("%1", self.missing),
                    self,
                )
            )
        else:
            lay.addWidget(
                _note(
                    self.tr(
                        "Tune with `wenyang tune --variants DIR --results CSV "
                        "--out POLICY`, then load the policy here."
                    ),
                    self,
                )
            )
        self.load_btn = QPushButton(self.tr("Load Tuned Policy…"), self)
        self.load_btn.clicked.connect(self.loadPolicyRequested)
        self.load_btn.setEnabled(not self.missing)
        lay.addWidget(self.load_btn)
        lay.addStretch(1)
