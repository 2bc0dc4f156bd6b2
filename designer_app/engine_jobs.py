"""Long, cancellable jobs that need the models (projection, A/B batches, segmentation).

They run on the engine thread, because only that thread touches torch and the loaded
renderer/encoder; they appear in the status bar like every other job (JobManager entry with
progress and a cancel hook). Cancel is cooperative: the job's `progress` call raises
`JobCancelled` once the user cancelled, and `cancelled()` can be polled by engine APIs that
take a cancel callback.
"""

from __future__ import annotations

import itertools
import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from designer_app.engine_worker import EngineSession, _describe
from designer_app.workers import JobCancelled, JobManager

# fn(worker, progress, cancelled) -> result; worker has .renderer, .encoder
EngineFn = Callable[[Any, Callable[..., None], Callable[[], bool]], Any]


class EngineJobs(QObject):
    _progress = Signal(int, float, str)
    _done = Signal(int, object)
    _failed = Signal(int, object, str)  # id, exception, readable message

    def __init__(self, session: EngineSession, jobs: JobManager, parent: QObject | None = None):
        super().__init__(parent)
        self.session, self.jobs = session, jobs
        self._ids = itertools.count(1)
        self._pending: dict[int, tuple[int, Any, Any, threading.Event]] = {}
        self._progress.connect(self._on_progress)
        self._done.connect(self._on_done)
        self._failed.connect(self._on_failed)

    def run(
        self,
        name: str,
        fn: EngineFn,
        on_result: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException, str], None] | None = None,
    ) -> int:
        """Queue `fn` on the engine thread; callbacks run on the GUI thread."""
        key = next(self._ids)
        stop = threading.Event()
        entry = self.jobs.add(name, stop.set)
        self._pending[key] = (entry.id, on_result, on_error, stop)

        def progress(fraction: float, message: str = "") -> None:
            if stop.is_set():
                raise JobCancelled()
            self._progress.emit(key, float(fraction), str(message))

        def task() -> None:
            worker = self.session.worker
            try:
                if stop.is_set():
                    raise JobCancelled()
                result = fn(worker, progress, stop.is_set)
            except JobCancelled as exc:
                self._failed.emit(key, exc, "cancelled")
                return
            except Exception as exc:  # reported on the GUI thread, never raised there
                traceback.print_exc()
                self._failed.emit(key, exc, _describe(exc))
                return
            if stop.is_set():
                self._failed.emit(key, JobCancelled(), "cancelled")
            else:
                self._done.emit(key, result)

        self.session.worker.post(task)
        return key

    def cancel(self, key: int) -> None:
        p = self._pending.get(key)
        if p is not None:
            p[3].set()

    def busy(self) -> bool:
        return bool(self._pending)

    @Slot(int, float, str)
    def _on_progress(self, key: int, fraction: float, message: str) -> None:
        p = self._pending.get(key)
        if p is not None:
            self.jobs.update(p[0], fraction, message)

    @Slot(int, object)
    def _on_done(self, key: int, result: object) -> None:
        p = self._pending.pop(key, None)
        if p is None:
            return
        self.jobs.finish(p[0])
        if p[1] is not None:
            p[1](result)

    @Slot(int, object, str)
    def _on_failed(self, key: int, exc: BaseException, message: str) -> None:
        p = self._pending.pop(key, None)
        if p is None:
            return
        if isinstance(exc, JobCancelled):
            self.jobs.finish(p[0])
            self.jobs.notice.emit(self.tr("Cancelled."))
        elif p[2] is not None:
            self.jobs.finish(p[0])
            p[2](exc, message)
        else:
            self.jobs.finish(p[0], message)
