"""Typed background workers and the job list (superqt-style, without the dependency).

A `FunctionWorker` runs a function (or a generator, yielding progress) on a thread pool and
reports back through queued signals: `started`, `yielded`, `returned`, `errored`,
`finished`. Abort is cooperative: a generator is stopped between two yields. The `JobManager`
keeps the cancellable jobs the status bar shows; a failing job never raises into the GUI.
"""

from __future__ import annotations

import itertools
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class JobCancelled(Exception):
    """Raised inside a job's progress callback once the user cancelled it."""


class WorkerSignals(QObject):
    started = Signal()
    yielded = Signal(object)
    returned = Signal(object)
    errored = Signal(object)  # the exception
    finished = Signal()


class FunctionWorker(QRunnable):
    """Run `fn(*args, **kwargs)` off the GUI thread; a generator yields progress values."""

    def __init__(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the Python side keeps it until `finished`
        self.signals = WorkerSignals()
        self._fn, self._args, self._kwargs = fn, args, kwargs
        self._abort = False

    def abort(self) -> None:
        self._abort = True

    @property
    def abort_requested(self) -> bool:
        return self._abort

    def _emit(self, name: str, *args: Any) -> None:
        try:
            getattr(self.signals, name).emit(*args)
        except RuntimeError:  # the receiving window is already gone: nobody to tell
            self._abort = True

    def run(self) -> None:
        self._emit("started")
        try:
            result = self._fn(*self._args, **self._kwargs)
            if hasattr(result, "__next__"):
                gen = result
                result = None
                while True:
                    if self._abort:
                        gen.close()
                        break
                    try:
                        self._emit("yielded", next(gen))
                    except StopIteration as stop:
                        result = stop.value
                        break
            if not self._abort:
                self._emit("returned", result)
        except Exception as exc:  # reported, never raised into the GUI
            exc.__traceback_text__ = traceback.format_exc()  # type: ignore[attr-defined]
            self._emit("errored", exc)
        finally:
            self._emit("finished")


@dataclass
class Job:
    """One long piece of work shown in the status bar."""

    id: int
    name: str
    cancel: Callable[[], None] | None = None
    progress: float = -1.0  # 0..1, or -1 for "busy"
    message: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


class JobManager(QObject):
    """The running jobs, their progress and cancel hooks; errors become notifications."""

    changed = Signal()
    failed = Signal(str, str)  # job name, message
    notice = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids = itertools.count(1)
        self.jobs: dict[int, Job] = {}
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(2)
        self._workers: set[FunctionWorker] = set()

    def add(self, name: str, cancel: Callable[[], None] | None = None) -> Job:
        job = Job(next(self._ids), name, cancel)
        self.jobs[job.id] = job
        self.changed.emit()
        return job

    def update(self, job_id: int, progress: float, message: str = "") -> None:
        job = self.jobs.get(job_id)
        if job is not None:
            job.progress, job.message = progress, message
            self.changed.emit()

    def finish(self, job_id: int, error: str | None = None) -> None:
        job = self.jobs.pop(job_id, None)
        if job is not None and error:
            self.failed.emit(job.name, error)
        self.changed.emit()

    def cancel_all(self) -> None:
        for job in list(self.jobs.values()):
            if job.cancel is not None:
                job.cancel()
            self.finish(job.id)

    def run(
        self,
        name: str,
        fn: Callable[..., Any],
        *args: Any,
        on_result: Callable[[Any], None] | None = None,
        on_yield: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        with_progress: bool = False,
        **kwargs: Any,
    ) -> Job:
        """Start `fn` on the pool as a cancellable job; callbacks run on the GUI thread.

        With `with_progress`, `fn` gets a `progress(fraction)` keyword that updates the job.
        """
        worker = FunctionWorker(fn, *args, **kwargs)
        if with_progress:

            def progress(fraction: float, message: str = "") -> None:
                if worker.abort_requested:
                    raise JobCancelled()
                worker.signals.yielded.emit((float(fraction), message))

            worker._kwargs["progress"] = progress
        job = self.add(name, worker.abort)
        self._workers.add(worker)

        def yielded(v: Any) -> None:
            if isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], float):
                self.update(job.id, v[0], str(v[1]))
            if on_yield is not None:
                on_yield(v)

        def errored(exc: BaseException) -> None:
            if isinstance(exc, JobCancelled):
                self.notice.emit(f"{name}: cancelled")
                return
            if on_error is not None:
                on_error(exc)
            self.finish(job.id, f"{exc}")

        def finished() -> None:
            self._workers.discard(worker)
            self.finish(job.id)

        worker.signals.yielded.connect(yielded)
        if on_result is not None:
            worker.signals.returned.connect(on_result)
        worker.signals.errored.connect(errored)
        worker.signals.finished.connect(finished)
        self.pool.start(worker)
        return job

    def shutdown(self, timeout_ms: int = 10000) -> None:
        for w in list(self._workers):
            w.abort()
        self.pool.waitForDone(timeout_ms)
