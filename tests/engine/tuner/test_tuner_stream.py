"""Event files stream: totals are exact and memory does not grow with the number of rows."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from engine.tuner.csvimport import import_results

IDS = [f"v{i:03d}" for i in range(200)]


def write_events(path: Path, n: int, seed: int = 0) -> dict[str, list[float]]:
    rng = np.random.default_rng(seed)
    v = rng.integers(0, len(IDS), n)
    click = rng.random(n) < 0.03
    share = click & (rng.random(n) < 0.2)
    dwell = np.round(rng.exponential(20.0, n), 1)
    want: dict[str, list[float]] = {}
    counts = np.bincount(v, minlength=len(IDS))
    clicks = np.bincount(v, weights=click, minlength=len(IDS))
    shares = np.bincount(v, weights=share, minlength=len(IDS))
    dw = np.bincount(v, weights=dwell, minlength=len(IDS))
    for j, i in enumerate(IDS):
        want[i] = [int(counts[j]), int(clicks[j]), int(shares[j]), float(dw[j])]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("session_date;arm;click;share;time_on_page\n")
        step = 100_000
        for s in range(0, n, step):
            sl = slice(s, s + step)
            fh.write(
                "".join(
                    f"2024-05-0{2 + (k % 3)};{IDS[a]};{int(c)};{int(h)};{d}\n".replace(".", ",")
                    for k, (a, c, h, d) in enumerate(
                        zip(v[sl], click[sl], share[sl], dwell[sl], strict=True)
                    )
                )
            )
    return want


def check(res, want) -> None:
    for i in IDS:
        a = res.arms[i]
        assert [a.impressions, a.clicks, a.shares] == want[i][:3]
        assert a.dwell_total == pytest.approx(want[i][3], rel=1e-9)


def peak_import(path: Path):
    tracemalloc.start()
    res = import_results([path], IDS)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return res, peak


def test_events_stream_in_constant_memory(tmp_path):
    small, big = tmp_path / "small.csv", tmp_path / "big.csv"
    write_events(small, 10_000)
    want = write_events(big, 40_000, seed=2)
    _, peak_small = peak_import(small)
    res, peak_big = peak_import(big)
    check(res, want)
    assert big.stat().st_size > 3 * small.stat().st_size
    assert peak_big < 1.3 * peak_small + 100_000, (peak_small, peak_big)  # not the rows


@pytest.mark.slow
def test_one_million_event_rows(tmp_path):
    p = tmp_path / "events_1m.csv"
    want = write_events(p, 1_000_000, seed=1)
    res = import_results([p], IDS)
    check(res, want)
    assert res.files[0].rows == 1_000_000 and res.files[0].mode == "events"
    assert res.window == ("2024-05-02", "2024-05-04")
