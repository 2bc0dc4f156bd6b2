"""Status-bar view of the running jobs: name, progress, cancel."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from designer_app.theme import icon
from designer_app.workers import JobManager


class JobStatus(QWidget):
    def __init__(self, jobs: JobManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel(self)
        self.bar = QProgressBar(self)
        self.bar.setFixedWidth(140)
        self.cancel = QToolButton(self)
        self.cancel.setIcon(icon("cancel"))
        self.cancel.setToolTip(self.tr("Cancel"))
        self.cancel.clicked.connect(self._cancel)
        for w in (self.label, self.bar, self.cancel):
            lay.addWidget(w)
        jobs.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        jobs = list(self.jobs.jobs.values())
        self.setVisible(bool(jobs))
        if not jobs:
            return
        j = jobs[-1]
        more = f" (+{len(jobs) - 1})" if len(jobs) > 1 else ""
        self.label.setText(j.name + (f" — {j.message}" if j.message else "") + more)
        if j.progress < 0:
            self.bar.setRange(0, 0)
        else:
            self.bar.setRange(0, 100)
            self.bar.setValue(int(j.progress * 100))
        self.cancel.setEnabled(j.cancel is not None)

    def _cancel(self) -> None:
        jobs = list(self.jobs.jobs.values())
        if jobs and jobs[-1].cancel is not None:
            jobs[-1].cancel()
