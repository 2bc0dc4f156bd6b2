"""The eight regions as cards: thumbnail, Chinese and English name."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QButtonGroup, QGridLayout, QToolButton, QWidget

from designer_app import lexicon
from designer_app.imaging import swatch_pixmap, to_pixmap

CARD_PX = 72


class RegionPicker(QWidget):
    regionPicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("regionPicker")
        lay = QGridLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.cards: dict[str, QToolButton] = {}
        for i, r in enumerate(lexicon.regions()):
            b = QToolButton(self)
            b.setObjectName("regionCard")
            b.setCheckable(True)
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            b.setIcon(QIcon(swatch_pixmap(r.swatch, CARD_PX)))
            b.setIconSize(QSize(CARD_PX, CARD_PX))
            b.setText(f"{r.name_zh}\n{r.name_en}")
            tip = r.description or r.name_en
            if r.motifs:
                tip += "\n\n" + ", ".join(r.motifs[:6])
            b.setToolTip(tip)
            b.setAccessibleName(f"{r.name_en} {r.name_zh}")
            b.clicked.connect(lambda _=False, rid=r.id: self.regionPicked.emit(rid))
            self.group.addButton(b)
            self.cards[r.id] = b
            lay.addWidget(b, i // 4, i % 4)

    def set_region(self, region_id: str) -> None:
        b = self.cards.get(region_id)
        if b is not None and not b.isChecked():
            b.setChecked(True)

    def current(self) -> str | None:
        for rid, b in self.cards.items():
            if b.isChecked():
                return rid
        return None

    def set_thumbnail(self, region_id: str, image: np.ndarray) -> None:
        b = self.cards.get(region_id)
        if b is not None:
            b.setIcon(QIcon(to_pixmap(image)))
