"""A labelled float slider that reports drags with a merge key (one undo entry per drag)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QToolButton, QWidget


class ValueSlider(QWidget):
    edited = Signal(float, str)  # value, merge key
    released = Signal()
    pressed = Signal()
    removeRequested = Signal()

    def __init__(
        self,
        slider_id: str,
        label: str,
        lo: float,
        hi: float,
        step: float,
        value: float = 0.0,
        decimals: int = 2,
        removable: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.slider_id, self.lo, self.hi, self.step, self.decimals = (
            slider_id,
            lo,
            hi,
            step,
            decimals,
        )
        self.setObjectName(f"slider:{slider_id}")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel(label, self)
        self.label.setMinimumWidth(110)
        self.label.setToolTip(label)
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setRange(round(lo / step), round(hi / step))
        self.slider.setSingleStep(1)
        self.slider.setPageStep(max(1, round((hi - lo) / step / 10)))
        self.slider.setAccessibleName(label)
        self.value_label = QLabel(self)
        self.value_label.setMinimumWidth(48)
        self.value_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        lay.addWidget(self.label)
        lay.addWidget(self.slider, 1)
        lay.addWidget(self.value_label)
        if removable:
            rm = QToolButton(self)
            rm.setText("×")
            rm.setToolTip(self.tr("Remove this direction"))
            rm.clicked.connect(self.removeRequested)
            lay.addWidget(rm)
        self._session = 0
        self._syncing = False
        self.slider.sliderPressed.connect(self._new_session)
        self.slider.sliderPressed.connect(self.pressed)
        self.slider.sliderReleased.connect(self.released)
        self.slider.valueChanged.connect(self._on_value)
        self.set_value(value)

    def _new_session(self) -> None:
        self._session += 1

    def end_session(self) -> None:
        """Keyboard steps merge until focus leaves or a drag starts."""
        self._session += 1

    def focusOutEvent(self, event) -> None:
        self.end_session()
        super().focusOutEvent(event)

    @property
    def merge_key(self) -> str:
        return f"{self.slider_id}#{self._session}"

    def value(self) -> float:
        return round(self.slider.value() * self.step, 6)

    def set_value(self, v: float) -> None:
        """From the model: moves the handle without emitting `edited`."""
        self._syncing = True
        try:
            self.slider.setValue(round(v / self.step))
        finally:
            self._syncing = False
        self._show(v)

    def set_range(self, lo: float, hi: float) -> None:
        """Change the range without emitting `edited` (Qt clamps the value silently)."""
        self.lo, self.hi = lo, hi
        self._syncing = True
        try:
            self.slider.setRange(round(lo / self.step), round(hi / self.step))
        finally:
            self._syncing = False
        self._show(self.value())

    def _show(self, v: float) -> None:
        self.value_label.setText(
            f"{v:+.{self.decimals}f}" if self.lo < 0 else f"{v:.{self.decimals}f}"
        )

    def _on_value(self, _: int) -> None:
        v = self.value()
        self._show(v)
        if not self._syncing:
            self.edited.emit(v, self.merge_key)
