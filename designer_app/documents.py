"""Autosave and crash recovery for the open design (files in the user data directory).

While the studio runs, a lock file holds its process id; a dirty design is autosaved every
N seconds. A clean exit removes both. On the next start, an autosave whose lock belongs to a
process that no longer runs is offered for recovery.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from engine.atomic import atomic_open
from engine.paths import user_data_dir
from engine.project import Design, load_project, save_project


@dataclass
class Recovery:
    autosave: Path
    original: str | None  # the project path the design had, if any


def _dir() -> Path:
    d = user_data_dir() / "autosave"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


class Autosaver:
    def __init__(self) -> None:
        self.dir = _dir()
        self.session = f"session-{os.getpid()}-{time.time_ns()}"
        self.path = self.dir / f"{self.session}.wenyang"
        self.meta = self.dir / f"{self.session}.json"
        self.lock = self.dir / f"{self.session}.lock"
        self.lock.write_text(str(os.getpid()))

    def save(self, design: Design, original: Path | None) -> Path:
        save_project(self.path, design)
        with atomic_open(self.meta, "w", encoding="utf-8") as fh:
            json.dump({"original": str(original) if original else None}, fh)
        return self.path

    def discard(self) -> None:
        for p in (self.path, self.meta):
            p.unlink(missing_ok=True)

    def close(self) -> None:
        """Clean exit: nothing to recover."""
        self.discard()
        self.lock.unlink(missing_ok=True)


def find_recoverable() -> list[Recovery]:
    """Autosaves left by studios that are no longer running."""
    out: list[Recovery] = []
    for f in sorted(_dir().glob("session-*.wenyang")):
        lock = f.with_suffix(".lock")
        try:
            pid = int(lock.read_text().strip()) if lock.exists() else -1
        except ValueError:
            pid = -1
        if pid > 0 and _alive(pid):
            continue
        original = None
        meta = f.with_suffix(".json")
        try:
            original = json.loads(meta.read_text(encoding="utf-8")).get("original")
        except (OSError, ValueError, AttributeError):
            original = None
        out.append(Recovery(f, original))
    return out


def discard_recovery(r: Recovery) -> None:
    for p in (r.autosave, r.autosave.with_suffix(".json"), r.autosave.with_suffix(".lock")):
        p.unlink(missing_ok=True)


def load_recovery(r: Recovery) -> Design:
    return load_project(r.autosave)
