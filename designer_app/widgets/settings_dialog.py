"""Preferences: device, own model files, export defaults, autosave interval."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from designer_app.settings import DEVICES, THEMES, StudioSettings


class _DirField(QWidget):
    def __init__(self, value: str, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.edit = QLineEdit(value, self)
        self.edit.setPlaceholderText(placeholder)
        b = QPushButton(self.tr("Browse…"), self)
        b.clicked.connect(self._browse)
        lay.addWidget(self.edit, 1)
        lay.addWidget(b)

    def _browse(self) -> None:
        d = QFileDialog.getExistingDirectory(self, self.tr("Model folder"), self.edit.text())
        if d:
            self.edit.setText(d)

    def text(self) -> str:
        return self.edit.text().strip()


class SettingsDialog(QDialog):
    def __init__(self, settings: StudioSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Wenyang Studio Settings"))
        self.settings = settings
        form = QFormLayout()
        self.device = QComboBox(self)
        self.device.addItems(list(DEVICES))
        self.device.setCurrentText(str(settings.get("device")))
        self.generator = _DirField(
            str(settings.get("generator_dir") or ""),
            self.tr("shipped model (assets/models/generator)"),
            self,
        )
        self.clip = _DirField(
            str(settings.get("clip_dir") or ""), self.tr("shipped CLIP encoder"), self
        )
        self.theme = QComboBox(self)
        self.theme.addItems(list(THEMES))
        self.theme.setCurrentText(str(settings.get("theme")))
        self.autosave = QSpinBox(self)
        self.autosave.setRange(5, 3600)
        self.autosave.setSuffix(" s")
        self.autosave.setValue(int(settings.get("autosave_seconds")))
        self.dpi = QSpinBox(self)
        self.dpi.setRange(72, 1200)
        self.dpi.setValue(int(settings.get("export/dpi")))
        self.width_cm = QDoubleSpinBox(self)
        self.width_cm.setRange(1, 500)
        self.width_cm.setSuffix(" cm")
        self.width_cm.setValue(float(settings.get("export/width_cm")))
        form.addRow(self.tr("Device"), self.device)
        form.addRow(self.tr("Generator folder"), self.generator)
        form.addRow(self.tr("CLIP encoder folder"), self.clip)
        form.addRow(self.tr("Theme"), self.theme)
        form.addRow(self.tr("Autosave every"), self.autosave)
        form.addRow(self.tr("Export DPI"), self.dpi)
        form.addRow(self.tr("Export width"), self.width_cm)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(buttons)

    def apply(self) -> set[str]:
        """Store the values; return the keys that changed."""
        s = self.settings
        new = {
            "device": self.device.currentText(),
            "generator_dir": self.generator.text(),
            "clip_dir": self.clip.text(),
            "theme": self.theme.currentText(),
            "autosave_seconds": self.autosave.value(),
            "export/dpi": self.dpi.value(),
            "export/width_cm": self.width_cm.value(),
        }
        changed = {k for k, v in new.items() if str(s.get(k)) != str(v)}
        for k, v in new.items():
            s.set(k, v)
        s.sync()
        return changed
