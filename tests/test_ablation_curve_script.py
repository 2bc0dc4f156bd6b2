"""scripts/ablation_curve.py: it finds every kept snapshot of a run, oldest first, and scores
each one once (later runs of the script reuse the cached report)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "ablation_curve", ROOT / "scripts/ablation_curve.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _run(tmp_path: Path) -> Path:
    run = tmp_path / "head"
    for step, kimg in ((250, 4.0), (125, 2.0), (375, 6.0)):
        snap = run / "checkpoints" / f"snapshot-{step:09d}"
        snap.mkdir(parents=True)
        (snap / "state.json").write_text(json.dumps({"kimg": kimg}))
    (run / "checkpoints" / "snapshot-broken").mkdir()  # no state.json: not a snapshot
    return run


def test_snapshots_are_listed_oldest_first(tmp_path: Path) -> None:
    rows = _script().snapshot_rows(_run(tmp_path))
    assert [k for k, _ in rows] == [2.0, 4.0, 6.0]
    assert rows[0][1].name == "snapshot-000000125"


def test_snapshots_set_aside_in_keep_are_listed_too(tmp_path: Path) -> None:
    run = _run(tmp_path)
    keep = tmp_path / "keep"
    for name, kimg in (("head-snapshot-000000050", 1.0), ("head-snapshot-000000250", 4.0)):
        (keep / name).mkdir(parents=True)
        (keep / name / "state.json").write_text(json.dumps({"kimg": kimg}))
    (keep / "other-snapshot-000000060").mkdir()  # another run's: not listed
    (keep / "other-snapshot-000000060" / "state.json").write_text(json.dumps({"kimg": 1.2}))
    rows = _script().snapshot_rows(run)
    assert [k for k, _ in rows] == [1.0, 2.0, 4.0, 6.0]  # the copy of 4.0 counted once
    assert rows[0][1] == keep / "head-snapshot-000000050"


def test_cached_reports_are_reused_and_thresholds_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    mod = _script()
    run = _run(tmp_path)
    work = tmp_path / "work"
    for kimg, acc in ((2.0, 0.2), (4.0, 0.35), (6.0, 0.45)):
        d = work / "head" / f"kimg-{kimg:07.2f}"
        d.mkdir(parents=True)
        fig = {"clip_accuracy": acc, "indep_accuracy": 0.1, "clip_score": 0.2, "fd_clip": 1.0}
        fig["diversity_share"] = 0.5
        (d / "eval.json").write_text(json.dumps({"generator": {"overall": fig}}))
    out = tmp_path / "curve.json"
    argv = ["ablation_curve.py", str(run), "--work", str(work), "--out", str(out)]
    monkeypatch.setattr(sys, "argv", [*argv, "--thresholds", "0.3,0.4"])
    assert mod.main() == 0  # nothing to train or export: every report is cached
    rows = json.loads(out.read_text())
    assert [(r["kimg"], r["clip_accuracy"]) for r in rows] == [(2.0, 0.2), (4.0, 0.35), (6.0, 0.45)]
    printed = capsys.readouterr().out
    assert "clip_accuracy >= 0.3: head 4.0" in printed
    assert "clip_accuracy >= 0.4: head 6.0" in printed
    assert "indep_accuracy >= 0.3: head -" in printed


def test_reports_without_the_feature_split_are_rescored_only_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mod = _script()
    run = _run(tmp_path)
    work = tmp_path / "work"
    fig = {"clip_accuracy": 0.3, "indep_accuracy": 0.2, "clip_score": 0.2, "fd_clip": 1.0}
    fig["diversity_share"] = 0.5
    for kimg in (2.0, 4.0, 6.0):
        d = work / "head" / f"kimg-{kimg:07.2f}"
        d.mkdir(parents=True)
        (d / "eval.json").write_text(json.dumps({"generator": {"overall": fig}}))
    out = tmp_path / "curve.json"
    argv = ["ablation_curve.py", str(run), "--work", str(work), "--out", str(out)]
    monkeypatch.setattr(sys, "argv", argv)
    assert mod.main() == 0
    assert [r["indep_texture_accuracy"] for r in json.loads(out.read_text())] == [None] * 3

    calls: list[list[str]] = []

    def fake_main(argv: list[str]) -> int:  # the eval step: writes a report with the split
        calls.append(argv)
        report = Path(argv[argv.index("--out") + 1])
        report.write_text(
            json.dumps({"generator": {"overall": {**fig, "indep_texture_accuracy": 0.17}}})
        )
        return 0

    import engine.cli

    monkeypatch.setattr(engine.cli, "main", fake_main)
    monkeypatch.setattr(sys, "argv", [*argv, "--rescore-split"])
    assert mod.main() == 0
    assert len(calls) == 3 and all(c[:2] == ["eval", "gen"] for c in calls)
    assert all("--feature-split" in c for c in calls)  # re-scored, nothing exported again
    assert [r["indep_texture_accuracy"] for r in json.loads(out.read_text())] == [0.17] * 3
