"""A 3×3 grid of variations, filled tile by tile as the engine renders them."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QGridLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from designer_app.imaging import to_pixmap

GRID = 3
TILE_PX = 96


class VariationGrid(QWidget):
    picked = Signal(int)  # index 0..8

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.status = QLabel(self.tr("Press Generate for a 3×3 grid of variations."), self)
        self.status.setObjectName("hint")
        self.status.setWordWrap(True)
        outer.addWidget(self.status)
        lay = QGridLayout()
        lay.setSpacing(3)
        outer.addLayout(lay)
        self.buttons: list[QToolButton] = []
        self.images: list[np.ndarray | None] = [None] * (GRID * GRID)
        self.seeds: list[int] = [0] * (GRID * GRID)
        for i in range(GRID * GRID):
            b = QToolButton(self)
            b.setObjectName(f"variation{i}")
            b.setIconSize(QSize(TILE_PX, TILE_PX))
            b.setFixedSize(TILE_PX + 8, TILE_PX + 8)
            b.setEnabled(False)
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
            b.clicked.connect(lambda _=False, k=i: self.picked.emit(k))
            self.buttons.append(b)
            lay.addWidget(b, i // GRID, i % GRID)
        self._filled = 0

    def start(self, seeds: list[int]) -> None:
        self.seeds = list(seeds)
        self.images = [None] * len(self.buttons)
        self._filled = 0
        for b in self.buttons:
            b.setIcon(QIcon())
            b.setEnabled(False)
            b.setToolTip("")
        self.status.setText(self.tr("Rendering variations…"))

    def set_tile(self, index: int, image: np.ndarray) -> None:
        b = self.buttons[index]
        self.images[index] = image
        pm = to_pixmap(image)
        if pm.width() < TILE_PX:  # small models: enlarge with crisp pixels
            pm = pm.scaled(
                TILE_PX,
                TILE_PX,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.FastTransformation,
            )
        b.setIcon(QIcon(pm))
        b.setEnabled(True)
        b.setToolTip(
            self.tr("Seed %1 — click to open it on the canvas").replace(
                "%1", str(self.seeds[index])
            )
        )
        self._filled += 1
        self.status.setText(
            self.tr("Rendered %1 of %2")
            .replace("%1", str(self._filled))
            .replace("%2", str(len(self.buttons)))
        )

    def finish(self, cancelled: bool) -> None:
        if cancelled:
            self.status.setText(self.tr("Generation cancelled."))
        else:
            self.status.setText(self.tr("Click a variation to open it on the canvas."))

    def filled(self) -> int:
        return self._filled
