"""The hook that registers our CLIP configs when open_clip loads must not edit sys.meta_path
while other threads import (the studio's thumbnail job once failed with "No module named
'PIL'" because the hook removed itself mid-import)."""

from __future__ import annotations

import importlib
import importlib.abc
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from engine.clip import _RegisterAfterImport


def _probe_module(tmp_path: Path, value: int) -> str:
    name = f"wenyang_probe_{uuid.uuid4().hex}"
    (tmp_path / f"{name}.py").write_text(f"VALUE = {value}\n", encoding="utf-8")
    return name


@pytest.fixture
def probe_path(tmp_path: Path):  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(tmp_path))
    importlib.invalidate_caches()
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in [m for m in sys.modules if m.startswith("wenyang_probe_")]:
        del sys.modules[name]


def test_hook_runs_after_the_module_loads_and_leaves_meta_path_alone(probe_path: Path) -> None:
    target = _probe_module(probe_path, 42)
    other = _probe_module(probe_path, 7)
    seen: list[int] = []
    hook = _RegisterAfterImport(target, lambda: seen.append(sys.modules[target].VALUE))
    sys.meta_path.insert(0, hook)
    try:
        before = list(sys.meta_path)
        importlib.import_module(other)
        assert seen == []  # another module: not fired
        module = importlib.import_module(target)
        assert module.VALUE == 42
        assert seen == [42]  # once, after the module's code ran
        assert sys.meta_path == before  # nothing removed while imports may be running
        del sys.modules[target]
        importlib.import_module(target)  # a re-import does not fire it again
        assert seen == [42]
    finally:
        sys.meta_path.remove(hook)


def test_an_import_in_another_thread_sees_every_finder_while_the_hook_fires(
    probe_path: Path,
) -> None:
    """CPython walks the live sys.meta_path; fire the hook while another thread's walk is
    held just before the path finder, and check that thread still finds its module."""
    from importlib.machinery import PathFinder

    target = _probe_module(probe_path, 1)
    other = _probe_module(probe_path, 2)
    hook = _RegisterAfterImport(target, lambda: None)
    reached = threading.Event()

    class Pause(importlib.abc.MetaPathFinder):
        """Holds the other thread's walk here, one place before the path finder. It holds
        the import lock meanwhile, so the hook's own lookup waits for the timeout."""

        def find_spec(self, fullname, path, target=None):  # type: ignore[no-untyped-def]
            if fullname == other:
                reached.set()
                time.sleep(1.0)
            return None

    pause = Pause()
    sys.meta_path.insert(sys.meta_path.index(PathFinder), pause)
    sys.meta_path.insert(0, hook)
    result: dict[str, object] = {}

    def import_other() -> None:
        try:
            result["value"] = importlib.import_module(other).VALUE
        except ImportError as exc:  # the failure this guards against
            result["error"] = exc

    try:
        t = threading.Thread(target=import_other)
        t.start()
        assert reached.wait(10)
        hook.find_spec(target, None)  # fires while the other walk is held in Pause
        t.join(10)
        assert result == {"value": 2}
        assert hook.fired
    finally:
        for f in (hook, pause):
            if f in sys.meta_path:
                sys.meta_path.remove(f)
