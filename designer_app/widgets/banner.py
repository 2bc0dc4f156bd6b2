"""The banner at the top of the canvas: no generator, model notices, recoverable errors."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget


class Banner(QFrame):
    chooseModel = Signal()
    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        lay = QHBoxLayout(self)
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.choose = QPushButton(self.tr("Choose Model Folder…"), self)
        self.choose.clicked.connect(self.chooseModel)
        self.close_btn = QPushButton(self.tr("Dismiss"), self)
        self.close_btn.clicked.connect(self._dismiss)
        lay.addWidget(self.text, 1)
        lay.addWidget(self.choose)
        lay.addWidget(self.close_btn)
        self.kind = ""
        self.hide()

    def show_message(self, kind: str, html: str, can_choose: bool = False) -> None:
        self.kind = kind
        self.text.setText(html)
        self.choose.setVisible(can_choose)
        self.show()

    def _dismiss(self) -> None:
        self.hide()
        self.kind = ""
        self.dismissed.emit()


NO_MODEL_HTML = (
    "<b>No generator in this build.</b> Wenyang Studio needs a trained generator to render "
    "patterns. Train one: <code>wenyang db build --out DB</code>, then <code>wenyang train gan "
    "--data DB --export assets/models/generator</code> (see <code>wenyang train gan "
    "--help</code>), or choose a model folder (model.safetensors + config.json) — also possible "
    "with <code>--model DIR</code> or <code>WENYANG_GENERATOR_DIR</code>. Everything else in "
    "the studio keeps working.<br><small>{detail}</small>"
)
