"""Fixtures for the studio tests: offscreen Qt, isolated user dirs, a window on a fake or real
engine, and a guard that fails any test leaking a running QThread or an active QTimer."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
import shiboken6
from PySide6.QtCore import QThread, QTimer
from PySide6.QtWidgets import QApplication
from studio_fakes import FakeEncoder, FakeRenderer, wait_idle  # noqa: F401


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WENYANG_DATA_DIR", str(tmp_path / "user-data"))
    monkeypatch.setenv("WENYANG_CACHE_DIR", str(tmp_path / "user-cache"))
    monkeypatch.delenv("WENYANG_GENERATOR_DIR", raising=False)
    monkeypatch.delenv("WENYANG_CLIP_DIR", raising=False)


@pytest.fixture(autouse=True)
def _no_leaked_threads_or_timers(
    qapp: QApplication, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """napari-style: record every QThread/QTimer started in the test; fail if still running."""
    threads: list[QThread] = []
    timers: list[QTimer] = []
    t_start, q_start = QThread.start, QTimer.start

    def thread_start(self: QThread, *a: Any) -> None:
        threads.append(self)
        t_start(self, *a)

    def timer_start(self: QTimer, *a: Any) -> None:
        timers.append(self)
        q_start(self, *a)

    monkeypatch.setattr(QThread, "start", thread_start)
    monkeypatch.setattr(QTimer, "start", timer_start)
    yield
    qapp.processEvents()
    leaked = [t.objectName() or repr(t) for t in threads if shiboken6.isValid(t) and t.isRunning()]
    active = [t.objectName() or repr(t) for t in timers if shiboken6.isValid(t) and t.isActive()]
    # stop them so one failure does not cascade into the next tests
    for t in threads:
        if shiboken6.isValid(t) and t.isRunning():
            t.quit()
            t.wait(5000)
    for t in timers:
        if shiboken6.isValid(t):
            t.stop()
    assert not leaked, f"test leaked running QThread(s): {leaked}"
    assert not active, f"test leaked active QTimer(s): {active}"


@pytest.fixture
def make_window(qtbot: Any, tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Build a MainWindow on a given renderer (default: the numpy fake); closed afterwards."""
    from designer_app.engine_worker import EngineSession
    from designer_app.main_window import MainWindow
    from designer_app.settings import StudioSettings

    made: list[Any] = []

    def make(
        renderer: Any = None,
        encoder: Any = "fake",
        model_dir: str | None = None,
        renderer_factory: Callable[..., Any] | None = None,
        settings_path: Path | None = None,
        encoder_factory: Callable[..., Any] | None = None,
    ) -> Any:
        r = renderer if renderer is not None else FakeRenderer()
        enc = FakeEncoder() if encoder == "fake" else encoder

        def enc_factory(d: Any, dev: str) -> Any:
            if enc is None:
                raise RuntimeError("no CLIP encoder in this test")
            return enc

        session = EngineSession(
            renderer_factory or (lambda d, dev: r), encoder_factory or enc_factory
        )
        w = MainWindow(
            StudioSettings(settings_path or tmp_path / "settings.ini"),
            model_dir=model_dir,
            session=session,
            interactive=False,
        )
        w.show()
        made.append(w)
        return w

    yield make
    for w in made:
        if shiboken6.isValid(w):
            w.model.set_dirty(False)
            w.close()
            w.deleteLater()
