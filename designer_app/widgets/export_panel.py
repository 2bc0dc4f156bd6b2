"""The Export dock: print PNG, layered SVG (inks, snap, locks), colourways, A/B batches,
and the repeat previewed at its physical size on this screen."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from designer_app.export_controller import ExportController
from designer_app.imaging import to_pixmap
from designer_app.settings import StudioSettings

PREVIEW_PX = 260  # the physical-scale preview window, in screen pixels
PREVIEW_MAX_WAIT_MS = 750  # during a long drag the preview still follows this often


class ExportPanel(QWidget):
    """Print-ready files through engine.export; the work itself is ExportController's."""

    exportRequested = Signal(Path, object)  # output path, PrintSpec
    tileRequested = Signal(Path)

    def __init__(
        self, settings: StudioSettings, ctl: ExportController, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.settings, self.ctl = settings, ctl
        self.missing = ""
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.width_cm = self._cm(float(settings.get("export/width_cm")), 500)
        self.height_cm = self._cm(float(settings.get("export/height_cm")), 500)
        self.repeat_cm = self._cm(10.0, 200)
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
        self.preview = QLabel(self)
        self.preview.setObjectName("repeatPreview")
        self.preview.setFixedSize(PREVIEW_PX, PREVIEW_PX // 2)
        self.preview.setToolTip(self.tr("The repeat at its printed size on this screen"))
        lay.addWidget(self.preview)
        self.preview_note = QLabel(self)
        self.preview_note.setObjectName("hint")
        lay.addWidget(self.preview_note)
        row = QHBoxLayout()
        self.print_btn = QPushButton(self.tr("Print PNG…"), self)
        self.print_btn.clicked.connect(self._ask_print)
        self.tile_btn = QPushButton(self.tr("Tile PNG…"), self)
        self.tile_btn.clicked.connect(self._ask_tile)
        row.addWidget(self.print_btn)
        row.addWidget(self.tile_btn)
        lay.addLayout(row)

        svg = QGroupBox(self.tr("Layered SVG"), self)
        sl = QVBoxLayout(svg)
        r1 = QHBoxLayout()
        self.inks = QSpinBox(svg)
        self.inks.setRange(2, 16)
        self.inks.setValue(8)
        self.inks.setPrefix(self.tr("Inks: "))
        self.snap = QCheckBox(self.tr("Snap to region colours"), svg)
        self.inks_btn = QPushButton(self.tr("Preview Inks"), svg)
        r1.addWidget(self.inks)
        r1.addWidget(self.snap, 1)
        r1.addWidget(self.inks_btn)
        sl.addLayout(r1)
        self.swatches = QHBoxLayout()
        self.swatches.setSpacing(2)
        sw = QWidget(svg)
        sw.setLayout(self.swatches)
        sl.addWidget(sw)
        self.swatch_note = QLabel(self.tr("Click a swatch to lock its colour."), svg)
        self.swatch_note.setObjectName("hint")
        sl.addWidget(self.swatch_note)
        self.svg_btn = QPushButton(self.tr("Export SVG…"), svg)
        sl.addWidget(self.svg_btn)
        lay.addWidget(svg)

        cw = QGroupBox(self.tr("Colourways"), self)
        cl = QVBoxLayout(cw)
        r2 = QHBoxLayout()
        self.k = QSpinBox(cw)
        self.k.setRange(1, 8)
        self.k.setValue(4)
        self.k.setPrefix(self.tr("Palettes: "))
        self.cw_btn = QPushButton(self.tr("Preview"), cw)
        self.cw_export_btn = QPushButton(self.tr("Export…"), cw)
        r2.addWidget(self.k)
        r2.addWidget(self.cw_btn)
        r2.addWidget(self.cw_export_btn)
        cl.addLayout(r2)
        self.sheet = QLabel(cw)
        self.sheet.setAlignment(Qt.AlignmentFlag.AlignCenter)
        cl.addWidget(self.sheet)
        lay.addWidget(cw)

        self.batch_btn = QPushButton(self.tr("Export A/B Batch of the Grid…"), self)
        self.batch_btn.setToolTip(
            self.tr("The variation grid as a batch folder for A/B tests and the tuner")
        )
        lay.addWidget(self.batch_btn)
        lay.addStretch(1)

        self.inks_btn.clicked.connect(lambda: ctl.reduce(self.inks.value(), self.snap.isChecked()))
        self.svg_btn.clicked.connect(self._ask_svg)
        self.cw_btn.clicked.connect(
            lambda: ctl.preview_colourways(self.k.value(), self.inks.value(), self.snap.isChecked())
        )
        self.cw_export_btn.clicked.connect(self._ask_colourways)
        self.batch_btn.clicked.connect(self._ask_batch)
        ctl.inksReady.connect(self.show_inks)
        ctl.sheetReady.connect(self.show_sheet)
        self._stopped = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(150)
        self._timer.timeout.connect(self.update_preview)
        self._pending_since: float | None = None
        ctl.state.imageChanged.connect(lambda *_: self._schedule_preview(debounce=True))
        for w in (self.repeat_cm,):
            w.valueChanged.connect(lambda *_: self._schedule_preview())
        self.layout_box.currentIndexChanged.connect(lambda *_: self._schedule_preview())

    def _cm(self, value: float, hi: float) -> QDoubleSpinBox:
        s = QDoubleSpinBox(self)
        s.setRange(0.5, hi)
        s.setSuffix(" cm")
        s.setValue(value)
        return s

    # ------------------------------------------------------------------ specs
    def spec(self) -> object:
        from engine.export.png_export import PrintSpec

        return PrintSpec(
            width_mm=self.width_cm.value() * 10,
            height_mm=self.height_cm.value() * 10,
            dpi=float(self.dpi.value()),
            layout=self.layout_box.currentText(),
            repeat_mm=self.repeat_cm.value() * 10,
        )

    def svg_spec(self) -> object:
        from engine.export.svg_export import SvgSpec

        return SvgSpec(
            width_mm=self.width_cm.value() * 10,
            height_mm=self.height_cm.value() * 10,
            layout=self.layout_box.currentText(),
            repeat_mm=self.repeat_cm.value() * 10,
        )

    # ------------------------------------------------------------------ physical preview
    def _schedule_preview(self, debounce: bool = False) -> None:
        """Redraw soon. New frames debounce it: while a slider is dragged the preview (a resize
        to printed size, ~10 ms on the GUI thread) waits until the picture settles, or at most
        PREVIEW_MAX_WAIT_MS, instead of taking GUI time from every other frame."""
        if not self.isVisible() or self._stopped:
            return
        now = time.perf_counter()
        if not self._timer.isActive():
            self._pending_since = now
            self._timer.start()
        elif (
            debounce
            and self._pending_since is not None
            and (now - self._pending_since) * 1000.0 < PREVIEW_MAX_WAIT_MS
        ):
            self._timer.start()  # restart: wait for the picture to settle

    def screen_px_per_cm(self) -> float:
        screen = self.screen() or QGuiApplication.primaryScreen()
        dpi = screen.physicalDotsPerInch() if screen is not None else 96.0
        return max(10.0, float(dpi)) / 2.54

    def update_preview(self) -> None:
        """The repeat at its printed size: 1 cm on paper is 1 cm on this screen."""
        self._pending_since = None
        tile = self.ctl.state.image
        if tile is None:
            return
        from engine.export.repeat import tile_canvas

        rw = max(2, round(self.repeat_cm.value() * self.screen_px_per_cm()))
        w, h = self.preview.width(), self.preview.height()
        img = tile_canvas(tile, w, h, self.layout_box.currentText(), repeat_px=rw)
        self.preview.setPixmap(to_pixmap(np.ascontiguousarray(img)))
        self.preview_note.setText(
            self.tr("Actual size: %1 × %2 cm shown")
            .replace("%1", f"{w / self.screen_px_per_cm():.1f}")
            .replace("%2", f"{h / self.screen_px_per_cm():.1f}")
        )

    def stop(self) -> None:
        self._stopped = True
        self._timer.stop()

    def showEvent(self, e) -> None:
        super().showEvent(e)
        self._schedule_preview()

    # ------------------------------------------------------------------ palette
    def show_inks(self, inks: object) -> None:
        while self.swatches.count():
            it = self.swatches.takeAt(0)
            if it.widget() is not None:
                it.widget().deleteLater()
        pal = np.asarray(inks.palette)  # type: ignore[attr-defined]
        names = inks.names  # type: ignore[attr-defined]
        for i, rgb in enumerate(pal):
            c = tuple(int(v) for v in rgb)
            b = QToolButton(self)
            b.setObjectName(f"swatch:{i}")
            b.setCheckable(True)
            b.setChecked(c in self.ctl.locked)
            b.setFixedSize(24, 24)
            hexc = QColor(*c).name()
            nm = names[i] if i < len(names) else None
            tip = hexc + (f" {nm.name_zh} {nm.name_en}" if nm is not None else "")
            b.setToolTip(tip)
            b.setStyleSheet(
                f"QToolButton {{ background: {hexc}; border: 1px solid #888; }}"
                f"QToolButton:checked {{ border: 3px solid #e0b040; }}"
            )
            b.toggled.connect(lambda _on, c=c: self.ctl.toggle_lock(c))
            self.swatches.addWidget(b)
        self.swatches.addStretch(1)

    def show_sheet(self, sheet: np.ndarray) -> None:
        pm = to_pixmap(sheet)
        self.sheet.setPixmap(
            pm.scaledToWidth(
                max(160, self.width() - 40), Qt.TransformationMode.SmoothTransformation
            )
        )

    # ------------------------------------------------------------------ dialogs
    def _save_settings(self) -> None:
        self.settings.set("export/dpi", self.dpi.value())
        self.settings.set("export/width_cm", self.width_cm.value())
        self.settings.set("export/height_cm", self.height_cm.value())
        self.settings.set("export/repeat", self.layout_box.currentText())

    def _ask_print(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export print PNG"), "pattern.png", self.tr("PNG images (*.png)")
        )
        if path:
            self._save_settings()
            self.exportRequested.emit(Path(path), self.spec())

    def _ask_tile(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Save tile"), "tile.png", self.tr("PNG images (*.png)")
        )
        if path:
            self.tileRequested.emit(Path(path))

    def _ask_svg(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export layered SVG"), "pattern.svg", self.tr("SVG files (*.svg)")
        )
        if path:
            self._save_settings()
            self.ctl.export_svg(
                Path(path), self.svg_spec(), self.inks.value(), self.snap.isChecked()
            )

    def _ask_colourways(self) -> None:
        d = QFileDialog.getExistingDirectory(self, self.tr("Folder for the colourways"))
        if d:
            self.ctl.export_colourways(Path(d), self.svg_spec())

    def _ask_batch(self) -> None:
        d = QFileDialog.getSaveFileName(
            self, self.tr("New A/B batch folder"), "abtest-batch", self.tr("Folders (*)")
        )[0]
        if d:
            self.ctl.export_batch(Path(d))
