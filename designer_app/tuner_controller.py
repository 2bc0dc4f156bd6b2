"""The Tuner dock's work: validate results CSVs against an A/B batch, show the arms, run
`engine.tuner.tune` as a cancellable job, then offer the policy it wrote.

Import and tuning are numpy only, so they run on the worker pool (never the GUI thread).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from designer_app.workers import JobCancelled, JobManager


def parse_problem(line: str) -> tuple[str, str, str, str, str]:
    """`file:line: column: 'value': expected` → its five parts (for the problems table)."""
    head, sep, rest = line.partition(": ")
    file, _, ln = head.rpartition(":")
    if not sep or not ln.isdigit():
        return ("", "", "", "", line)
    column, _, rest = rest.partition(": ")
    value, _, expected = rest.rpartition(": ")
    if not value:  # no value part
        value, expected = "", rest
    return (file, ln, column, value.strip("'\""), expected)


class TunerController(QObject):
    imported = Signal(object, object)  # ImportedResults, ArmFigures
    problems = Signal(list, int)  # [(file, line, column, value, expected)], total count
    tuned = Signal(object, object)  # TuneResult, report dir (Path or None)
    message = Signal(str, str)

    def __init__(self, jobs: JobManager, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.batch_dirs: list[Path] = []
        self.csvs: list[Path] = []
        self.result: Any = None
        self.figures: Any = None

    def set_batch(self, folder: Path) -> None:
        if folder not in self.batch_dirs:
            self.batch_dirs.append(folder)

    def add_csvs(self, paths: list[Path]) -> None:
        for p in paths:
            if p not in self.csvs:
                self.csvs.append(p)
        self.check()

    def clear(self) -> None:
        self.csvs = []
        self.figures = None

    def check(self) -> None:
        """Import and validate the CSVs (nothing written); arms or problems come back."""
        if not self.batch_dirs:
            self.message.emit(
                "warning", self.tr("Choose the A/B batch folder the results belong to first.")
            )
            return
        if not self.csvs:
            return
        dirs, csvs = list(self.batch_dirs), list(self.csvs)

        def run() -> tuple[Any, Any]:
            from engine.tuner.batch import read_batches
            from engine.tuner.csvimport import import_results
            from engine.tuner.reward import arm_figures

            batch = read_batches(dirs)
            res = import_results(csvs, batch.ids, created=batch.created)
            return res, arm_figures(res)

        def done(r: tuple[Any, Any]) -> None:
            self.figures = r[1]
            self.problems.emit([], 0)
            self.imported.emit(*r)

        def failed(exc: BaseException) -> None:
            from engine.tuner.csvrows import ResultsError

            if isinstance(exc, ResultsError):
                self.problems.emit([parse_problem(p) for p in exc.problems], exc.count)
            else:
                self.problems.emit([("", "", "", "", str(exc))], 1)

        self.jobs.run(self.tr("Importing A/B results"), run, on_result=done, on_error=failed)

    def tune(
        self, out: Path, report_dir: Path | None, iterations: int = 60, crossfit: bool = True
    ) -> None:
        dirs, csvs = list(self.batch_dirs), list(self.csvs)
        if not dirs or not csvs:
            self.message.emit("error", self.tr("Import a batch folder and its results first."))
            return

        def run(progress: Any) -> Any:
            from engine.tuner.pipeline import TuneConfig, tune
            from engine.tuner.ppo import PPOConfig

            cancelled = [False]

            def say(msg: str, frac: float) -> None:
                try:
                    progress(float(frac), msg)
                except JobCancelled:
                    cancelled[0] = True
                    raise

            cfg = TuneConfig(
                fidelity="proxy", crossfit=crossfit, ppo=PPOConfig(iterations=iterations)
            )
            try:
                return tune(
                    dirs, csvs, out, report_dir, cfg, progress=say, cancel=lambda: cancelled[0]
                )
            except InterruptedError:
                raise JobCancelled() from None

        def done(res: Any) -> None:
            self.result = res
            self.tuned.emit(res, report_dir)

        self.jobs.run(self.tr("Tuning the policy"), run, with_progress=True, on_result=done)
