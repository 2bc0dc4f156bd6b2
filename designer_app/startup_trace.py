"""Startup stage timestamps, measured from the start of the process.

The self-test reports them (`startup_ms`) so a slow first frame can be traced to its stage
(Qt, torch import, generator load, text encoder, first render) instead of guessed at. Any
thread may mark a stage; only the first mark of a name counts. Stdlib only: imported first.
"""

from __future__ import annotations

import os
import threading
import time

_lock = threading.Lock()
_marks: dict[str, float] = {}
_cpu: dict[str, float] = {}  # process CPU seconds (all threads) at each mark


def _process_start() -> float:
    """perf_counter() value at the moment the OS started this process.

    Linux: the process's start time (clock ticks since boot, /proc/self/stat) against the
    boot-time clock, so interpreter start-up and the first imports count too. Elsewhere (or if
    /proc is unreadable) the time this module was first imported, a few tens of ms later.
    """
    now_perf = time.perf_counter()
    try:
        with open("/proc/self/stat", encoding="ascii") as f:
            stat = f.read()
        fields = stat[stat.rindex(")") + 2 :].split()
        start_ticks = int(fields[19])  # field 22 of stat(5), counted after the comm field
        age = time.clock_gettime(time.CLOCK_BOOTTIME) - start_ticks / os.sysconf("SC_CLK_TCK")
        if 0.0 <= age < 3600.0:
            return now_perf - age
    except (OSError, ValueError, IndexError, AttributeError):
        pass
    return now_perf


PROCESS_START = _process_start()


def mark(name: str) -> None:
    """Record that stage `name` was reached now (first call wins)."""
    t, cpu = time.perf_counter(), time.process_time()
    with _lock:
        if name not in _marks:
            _marks[name], _cpu[name] = t, cpu


def at(name: str) -> float | None:
    """perf_counter() time of a stage, or None if it was not reached."""
    with _lock:
        return _marks.get(name)


def report(since: float = PROCESS_START) -> dict[str, float]:
    """Every stage in ms after `since` (default: process start), in the order reached."""
    with _lock:
        items = sorted(_marks.items(), key=lambda kv: kv[1])
    return {k: round((t - since) * 1000.0, 1) for k, t in items}


def cpu_report() -> dict[str, float]:
    """Process CPU time (ms, all threads, since process start) at each stage: on a loaded
    machine a steadier guide than wall time to how much work lies before a stage."""
    with _lock:
        items = sorted(_cpu.items(), key=lambda kv: _marks[kv[0]])
    return {k: round(c * 1000.0, 1) for k, c in items}
