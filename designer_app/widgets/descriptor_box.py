"""Descriptor line with lexicon autocompletion and the words that were not understood."""

from __future__ import annotations

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtWidgets import QCompleter, QLabel, QLineEdit, QVBoxLayout, QWidget

from designer_app import lexicon


class WordCompleter(QCompleter):
    """Completes the word under the cursor, keeping the words before it."""

    def splitPath(self, path: str) -> list[str]:
        return [path.replace("，", ",").split(",")[-1].split(" ")[-1]]

    def pathFromIndex(self, index) -> str:
        w = self.widget()
        text = w.text() if isinstance(w, QLineEdit) else ""
        word = str(index.data())
        cut = max(text.rfind(" "), text.rfind(","), text.rfind("，"))
        return text[: cut + 1] + word


class DescriptorBox(QWidget):
    textCommitted = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.edit = QLineEdit(self)
        self.edit.setObjectName("descriptors")
        self.edit.setPlaceholderText(
            self.tr(
                "Descriptors, e.g. “flying apsaras ribbons, golden accents” or “飞天 飘带 金色”"
            )
        )
        self.edit.setClearButtonEnabled(True)
        self.completer = WordCompleter(self)
        self.completer.setModel(QStringListModel(list(lexicon.all_terms()), self.completer))
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setFilterMode(Qt.MatchFlag.MatchStartsWith)
        self.completer.setWidget(self.edit)
        self.completer.activated.connect(self._complete)
        self.edit.textEdited.connect(self._on_edited)
        self.edit.editingFinished.connect(self._commit)
        lay.addWidget(self.edit)
        self.understood = QLabel(self)
        self.understood.setObjectName("hint")
        self.understood.setWordWrap(True)
        self.unknown = QLabel(self)
        self.unknown.setObjectName("unknownWords")
        self.unknown.setWordWrap(True)
        lay.addWidget(self.understood)
        lay.addWidget(self.unknown)
        self._committed = ""
        self._encoder_unknown: list[str] = []
        self._refresh_words()
        if lexicon.lexicon_error():
            self.understood.setText(
                self.tr(
                    "Lexicon not available in this build: words are passed to the encoder as typed."
                )
            )

    def _on_edited(self, text: str) -> None:
        prefix = self.completer.splitPath(text)[0]
        if len(prefix) >= 1:
            self.completer.setCompletionPrefix(prefix)
            if self.completer.completionCount() > 0:
                self.completer.complete()
        self._refresh_words()

    def _complete(self, text: str) -> None:
        self.edit.setText(text)
        self._refresh_words()

    def _commit(self) -> None:
        t = self.edit.text().strip()
        if t != self._committed:
            self._committed = t
            self.textCommitted.emit(t)

    def set_text(self, text: str) -> None:
        """From the model (undo, open): no new command."""
        self._committed = text
        if self.edit.text() != text:
            self.edit.setText(text)
        self._encoder_unknown = []
        self._refresh_words()

    def set_encoder_unknown(self, words: list[str]) -> None:
        self._encoder_unknown = list(words)
        self._refresh_words()

    def unknown_words(self) -> list[str]:
        p = lexicon.parse(self.edit.text())
        out = list(p.unknown)
        out += [w for w in self._encoder_unknown if w not in out]
        return out

    def _refresh_words(self) -> None:
        p = lexicon.parse(self.edit.text())
        if p.recognised and not lexicon.lexicon_error():
            self.understood.setText(self.tr("Understood: ") + ", ".join(p.recognised))
        elif not lexicon.lexicon_error():
            self.understood.setText("")
        unknown = self.unknown_words()
        self.unknown.setText(
            self.tr("Not understood (ignored): ") + ", ".join(unknown) if unknown else ""
        )
