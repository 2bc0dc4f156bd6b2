"""Cultural-fidelity meter: the region classifier's probabilities for the current image."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QGridLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

from designer_app import lexicon
from designer_app.models.studio_state import StudioState


class FidelityMeter(QWidget):
    def __init__(self, state: StudioState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.headline = QLabel(self)
        self.headline.setWordWrap(True)
        outer.addWidget(self.headline)
        grid = QGridLayout()
        grid.setVerticalSpacing(2)
        outer.addLayout(grid)
        self.bars: dict[str, QProgressBar] = {}
        self.names: dict[str, QLabel] = {}
        for i, r in enumerate(lexicon.regions()):
            lab = QLabel(f"{r.name_zh} {r.name_en}", self)
            bar = QProgressBar(self)
            bar.setRange(0, 1000)
            bar.setTextVisible(True)
            bar.setFormat("—")
            grid.addWidget(lab, i, 0)
            grid.addWidget(bar, i, 1)
            self.bars[r.id] = bar
            self.names[r.id] = lab
        self.region = "dunhuang"
        state.probabilitiesChanged.connect(self._on_probs)
        state.encoderChanged.connect(self._refresh_empty)
        self._refresh_empty()

    def set_region(self, region_id: str) -> None:
        self.region = region_id
        for rid, lab in self.names.items():
            f = lab.font()
            f.setBold(rid == region_id)
            lab.setFont(f)
        self._on_probs(self.state.probabilities)

    def _refresh_empty(self) -> None:
        if not self.state.encoder_ready:
            msg = self.state.encoder_message or self.tr("waiting for the CLIP encoder…")
            self.headline.setText(self.tr("Cultural fidelity: not available — ") + msg)

    def _on_probs(self, probs: np.ndarray | None) -> None:
        ids = [r.id for r in lexicon.regions()]
        if probs is None or len(probs) != len(ids):
            for bar in self.bars.values():
                bar.setValue(0)
                bar.setFormat("—")
            self._refresh_empty()
            return
        for rid, p in zip(ids, probs, strict=True):
            self.bars[rid].setValue(round(float(p) * 1000))
            self.bars[rid].setFormat(f"{100 * float(p):.0f}%")
        best = ids[int(np.argmax(probs))]
        p_here = float(probs[ids.index(self.region)]) if self.region in ids else 0.0
        verdict = (
            self.tr("reads as intended")
            if best == self.region
            else self.tr("reads as %1").replace("%1", lexicon.region(best).name_en)
        )
        self.headline.setText(
            self.tr("Cultural fidelity: %1% %2 — %3")
            .replace("%1", f"{100 * p_here:.0f}")
            .replace("%2", lexicon.region(self.region).name_en)
            .replace("%3", verdict)
        )

    def fidelity(self) -> float | None:
        p = self.state.probabilities
        ids = [r.id for r in lexicon.regions()]
        if p is None or self.region not in ids:
            return None
        return float(p[ids.index(self.region)])
