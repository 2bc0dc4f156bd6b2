"""One training process per run folder.

Two processes on one run folder interleave their snapshots and prune each other's (both
resume the newest one, both write, each keeps its own `--keep` newest). A second start is
easy to make by mistake: SIGTERM lets a run finish its step first, which takes minutes at
nice 19 on a busy machine. The lock is an advisory `flock`, so a killed process holds it no
longer than it lives.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from engine.errors import UserInputError

LOCK_NAME = "train.lock"


@contextlib.contextmanager
def run_lock(run_dir: Path) -> Iterator[None]:
    """Hold the run folder's lock while the block runs; refuse when another process holds it."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no advisory locks, nothing to hold
        yield
        return
    run_dir.mkdir(parents=True, exist_ok=True)
    with open(run_dir / LOCK_NAME, "a+", encoding="utf-8") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "another process"
            raise UserInputError(
                f"{holder} is training in this run folder; wait until it stops (after SIGTERM "
                "it finishes its step and saves a snapshot) or give another --out",
                path=str(run_dir),
            ) from None
        f.seek(0)
        f.truncate()
        f.write(f"process {os.getpid()}")
        f.flush()
        try:
            yield
        finally:
            f.seek(0)
            f.truncate()
            fcntl.flock(f, fcntl.LOCK_UN)
