"""The Mockup dock: template gallery, print transform, garment photo + mask, live previews.

A view of `MockupController` (which owns the compositing and the photo's mask); the design's
`mockup` settings are the model, so undo, open and save cover the mockup too.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from designer_app.imaging import rgba_pixmap, to_pixmap
from designer_app.mockup_controller import PHOTO, MockupController
from designer_app.widgets.mask_editor import MaskEditor
from designer_app.widgets.value_slider import ValueSlider

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff)"


class MockupPanel(QWidget):
    def __init__(self, ctl: MockupController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctl = ctl
        self.setAcceptDrops(True)
        lay = QVBoxLayout(self)
        self.gallery = QListWidget(self)
        self.gallery.setViewMode(QListWidget.ViewMode.IconMode)
        self.gallery.setIconSize(QSize(56, 56))
        self.gallery.setMaximumHeight(96)
        self.gallery.setFlow(QListWidget.Flow.LeftToRight)
        self.gallery.setWrapping(False)
        self.gallery.setToolTip(self.tr("Tick the garments to show side by side"))
        self._gallery_filled = False  # see ensure_gallery
        self.gallery.itemChanged.connect(self._on_gallery)
        lay.addWidget(self.gallery)

        self.repeat = ValueSlider("mockup.repeat", self.tr("Repeat width (cm)"), 2, 60, 0.5, 20, 1)
        self.scale = ValueSlider("mockup.scale", self.tr("Scale"), 0.25, 4.0, 0.05, 1.0)
        self.rotation = ValueSlider("mockup.rotation", self.tr("Rotation (°)"), -180, 180, 1, 0, 0)
        self.off_x = ValueSlider("mockup.offx", self.tr("Offset across"), -0.5, 0.5, 0.01, 0.0)
        self.off_y = ValueSlider("mockup.offy", self.tr("Offset down"), -0.5, 0.5, 0.01, 0.0)
        for s in (self.repeat, self.scale, self.rotation, self.off_x, self.off_y):
            s.edited.connect(self._on_transform)
            lay.addWidget(s)

        row = QHBoxLayout()
        self.photo_btn = QPushButton(self.tr("Garment Photo…"), self)
        self.photo_btn.setToolTip(self.tr("Use your own garment photo (or drop one here)"))
        self.photo_btn.clicked.connect(self._ask_photo)
        self.remove_btn = QPushButton(self.tr("Remove"), self)
        self.remove_btn.clicked.connect(ctl.remove_photo)
        row.addWidget(self.photo_btn)
        row.addWidget(self.remove_btn)
        lay.addLayout(row)
        tools = QHBoxLayout()
        self.mode = QComboBox(self)
        for key, text in (
            ("include", self.tr("Brush: garment")),
            ("exclude", self.tr("Brush: not garment")),
            ("rect", self.tr("Box around garment")),
        ):
            self.mode.addItem(text, key)
        self.brush = QSpinBox(self)
        self.brush.setRange(2, 80)
        self.brush.setValue(12)
        self.brush.setSuffix(" px")
        self.refine_btn = QPushButton(self.tr("Refine Mask"), self)
        tools.addWidget(self.mode, 1)
        tools.addWidget(self.brush)
        tools.addWidget(self.refine_btn)
        lay.addLayout(tools)
        self.editor = MaskEditor(self)
        lay.addWidget(self.editor)
        self.mode.currentIndexChanged.connect(
            lambda _: setattr(self.editor, "mode", self.mode.currentData())
        )
        self.brush.valueChanged.connect(lambda v: setattr(self.editor, "radius", float(v)))
        self.refine_btn.clicked.connect(self.editor.request_refine)
        self.editor.refineRequested.connect(self._refine)

        self.previews = QWidget(self)
        self.grid = QGridLayout(self.previews)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.labels: dict[str, QLabel] = {}
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.previews)
        scroll.setMinimumHeight(220)
        lay.addWidget(scroll, 1)

        ctl.previewsReady.connect(self.show_previews)
        ctl.photoChanged.connect(lambda img: self.editor.set_photo(img, ctl.mask()))
        ctl.maskRefined.connect(self._on_refined)
        ctl.model.changed.connect(self._sync)
        self._sync("*")

    def ensure_gallery(self) -> None:
        """Fill the garment gallery (once): when the dock is first shown or after the first
        frame. Listing the templates imports engine.mockup (OpenCV), and decoding the 1024 px
        photos for icons took ~0.25 s: neither belongs before the first frame."""
        if self._gallery_filled:
            return
        self._gallery_filled = True
        from engine.mockup import list_templates

        self.gallery.blockSignals(True)
        try:
            for name in list_templates():
                it = QListWidgetItem(name, self.gallery)  # icons arrive later (set_icon)
                it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                it.setData(Qt.ItemDataRole.UserRole, name)
        finally:
            self.gallery.blockSignals(False)
        self._sync("*")

    def template_names(self) -> list[str]:
        self.ensure_gallery()
        return [
            str(self.gallery.item(i).data(Qt.ItemDataRole.UserRole))
            for i in range(self.gallery.count())
        ]

    def set_icon(self, value: object) -> None:
        """(template name, RGBA uint8) from thumbnails.garment_icons (on the GUI thread)."""
        if not (isinstance(value, tuple) and len(value) == 2):
            return
        name, img = value
        self.gallery.blockSignals(True)  # an icon is not a tick: no itemChanged, no edit
        try:
            for i in range(self.gallery.count()):
                it = self.gallery.item(i)
                if it.data(Qt.ItemDataRole.UserRole) == name:
                    it.setIcon(QIcon(rgba_pixmap(np.asarray(img))))
        finally:
            self.gallery.blockSignals(False)

    # ------------------------------------------------------------------ model → view
    def _sync(self, field: str) -> None:
        if field not in ("*", "mockup"):
            return
        s = self.ctl.settings
        self.gallery.blockSignals(True)
        for i in range(self.gallery.count()):
            it = self.gallery.item(i)
            on = it.data(Qt.ItemDataRole.UserRole) in s.templates
            it.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        self.gallery.blockSignals(False)
        self.repeat.set_value(s.repeat_cm)
        self.scale.set_value(s.scale)
        self.rotation.set_value(s.rotation_deg)
        self.off_x.set_value(s.offset[0])
        self.off_y.set_value(s.offset[1])
        has_photo = s.photo_path is not None
        self.remove_btn.setEnabled(has_photo)
        for wdg in (self.mode, self.brush, self.refine_btn, self.editor):
            wdg.setVisible(has_photo)  # the brush tools only mean something with a photo
        if self.editor.photo is not None:
            self.editor.set_mask(self.ctl.mask())

    def show_previews(self, previews: list[tuple[str, np.ndarray]]) -> None:
        names = [n for n, _ in previews]
        for n in list(self.labels):
            if n not in names:
                self.labels.pop(n).deleteLater()
        for i, (name, img) in enumerate(previews):
            lab = self.labels.get(name)
            if lab is None:
                lab = self.labels[name] = QLabel(self.previews)
                lab.setObjectName(f"mockup:{name}")
                lab.setAlignment(Qt.AlignmentFlag.AlignCenter)
                lab.setToolTip(self.tr("Your photo") if name == PHOTO else name)
            self.grid.addWidget(lab, i // 2, i % 2)
            pm = to_pixmap(img)
            side = max(120, (self.width() - 24) // 2)
            lab.setPixmap(
                pm.scaled(
                    side,
                    side,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )

    # ------------------------------------------------------------------ view → controller
    def _on_gallery(self, _: QListWidgetItem) -> None:
        names = tuple(
            self.gallery.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.gallery.count())
            if self.gallery.item(i).checkState() == Qt.CheckState.Checked
        )
        self.ctl.update(self.tr("Mockup garments"), templates=names)

    def _on_transform(self, _: float, key: str) -> None:
        self.ctl.update(
            self.tr("Mockup placement"),
            merge_key=key,
            repeat_cm=self.repeat.value(),
            scale=self.scale.value(),
            rotation_deg=self.rotation.value(),
            offset=(self.off_x.value(), self.off_y.value()),
        )

    def _ask_photo(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Garment photo"), "", self.tr(IMAGE_FILTER)
        )
        if path:
            self.ctl.import_photo(Path(path))

    def _refine(self, inc: object, exc: object, rect: object) -> None:
        self.ctl.refine(inc, exc, rect)  # type: ignore[arg-type]

    def _on_refined(self, mask: np.ndarray) -> None:
        self.editor.clear_strokes()
        self.editor.set_mask(mask)

    def showEvent(self, e) -> None:
        self.ctl.active = True
        self.ctl.schedule()
        super().showEvent(e)

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        from designer_app.window_tools import IMAGE_SUFFIXES

        for u in event.mimeData().urls():
            p = Path(u.toLocalFile())
            if p.suffix.lower() in IMAGE_SUFFIXES:
                self.ctl.import_photo(p)
                event.acceptProposedAction()
                return
