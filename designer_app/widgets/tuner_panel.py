"""The Tuner dock: A/B batch + results CSVs (also dropped), arms with intervals, problems
with file/line/column, tuning with progress and cancel, the report plots, apply the policy."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from designer_app.tuner_controller import TunerController

PROBLEM_COLUMNS = ("File", "Line", "Column", "Value", "Expected")
ARM_COLUMNS = ("Variant", "Impressions", "Clicks", "CTR % [95% CI]", "Index [95% CI]")


def _table(columns: tuple[str, ...], parent: QWidget) -> QTableWidget:
    t = QTableWidget(0, len(columns), parent)
    t.setHorizontalHeaderLabels([parent.tr(c) for c in columns])
    t.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    t.horizontalHeader().setStretchLastSection(True)
    t.verticalHeader().setVisible(False)
    return t


class TunerPanel(QWidget):
    loadPolicyRequested = Signal()
    applyPolicy = Signal(Path)

    def __init__(self, ctl: TunerController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctl = ctl
        self.missing = ""
        self.policy_path: Path | None = None
        self.setAcceptDrops(True)
        lay = QVBoxLayout(self)
        row = QHBoxLayout()
        self.batch_btn = QPushButton(self.tr("A/B Batch Folder…"), self)
        self.csv_btn = QPushButton(self.tr("Import Results…"), self)
        self.csv_btn.setToolTip(self.tr("Results CSVs (or drop them here)"))
        row.addWidget(self.batch_btn)
        row.addWidget(self.csv_btn)
        lay.addLayout(row)
        self.files = QLabel(self.tr("No batch chosen."), self)
        self.files.setObjectName("hint")
        self.files.setWordWrap(True)
        lay.addWidget(self.files)
        self.tabs = QTabWidget(self)
        self.arms = _table(ARM_COLUMNS, self)
        self.problems = _table(PROBLEM_COLUMNS, self)
        self.plots = QWidget(self)
        pl = QVBoxLayout(self.plots)
        self.plot_labels = [QLabel(self.plots), QLabel(self.plots)]
        for lab in self.plot_labels:
            lab.setAlignment(Qt.AlignmentFlag.AlignCenter)
            pl.addWidget(lab)
        self.tabs.addTab(self.arms, self.tr("Arms"))
        self.tabs.addTab(self.problems, self.tr("Problems"))
        self.tabs.addTab(self.plots, self.tr("Report"))
        lay.addWidget(self.tabs, 1)
        run = QHBoxLayout()
        self.iterations = QSpinBox(self)
        self.iterations.setRange(1, 500)
        self.iterations.setValue(60)
        self.iterations.setPrefix(self.tr("PPO updates: "))
        self.tune_btn = QPushButton(self.tr("Tune…"), self)
        self.tune_btn.setObjectName("primary")
        run.addWidget(self.iterations)
        run.addWidget(self.tune_btn)
        lay.addLayout(run)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        lay.addWidget(self.summary)
        row2 = QHBoxLayout()
        self.apply_btn = QPushButton(self.tr("Apply Tuned Policy"), self)
        self.apply_btn.setEnabled(False)
        self.load_btn = QPushButton(self.tr("Load Policy File…"), self)
        row2.addWidget(self.apply_btn)
        row2.addWidget(self.load_btn)
        lay.addLayout(row2)

        self.batch_btn.clicked.connect(self._ask_batch)
        self.csv_btn.clicked.connect(self._ask_csvs)
        self.tune_btn.clicked.connect(self._ask_tune)
        self.apply_btn.clicked.connect(
            lambda: self.policy_path and self.applyPolicy.emit(self.policy_path)
        )
        self.load_btn.clicked.connect(self.loadPolicyRequested)
        ctl.imported.connect(self.show_arms)
        ctl.problems.connect(self.show_problems)
        ctl.tuned.connect(self.show_tuned)

    # ------------------------------------------------------------------ inputs
    def set_batch(self, folder: Path) -> None:
        self.ctl.set_batch(folder)
        self._files_text()
        self.ctl.check()

    def add_csvs(self, paths: list[Path]) -> None:
        self.ctl.add_csvs(paths)
        self._files_text()

    def _files_text(self) -> None:
        b = ", ".join(p.name for p in self.ctl.batch_dirs) or self.tr("none")
        c = ", ".join(p.name for p in self.ctl.csvs) or self.tr("none")
        self.files.setText(self.tr("Batch: %1 · Results: %2").replace("%1", b).replace("%2", c))

    def _ask_batch(self) -> None:
        d = QFileDialog.getExistingDirectory(self, self.tr("A/B batch folder"))
        if d:
            self.set_batch(Path(d))

    def _ask_csvs(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self, self.tr("A/B results"), "", self.tr("CSV files (*.csv *.tsv *.txt)")
        )
        if paths:
            self.add_csvs([Path(p) for p in paths])

    def _ask_tune(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self,
            self.tr("Write the policy"),
            "policy.safetensors",
            self.tr("Policies (*.safetensors)"),
        )
        if path:
            out = Path(path)
            self.tune(out, out.with_name(out.stem + "-report"))

    def tune(self, out: Path, report: Path | None, crossfit: bool = True) -> None:
        self.summary.setText(self.tr("Tuning…"))
        self.ctl.tune(out, report, self.iterations.value(), crossfit)
        self._pending_out = out

    # ------------------------------------------------------------------ results
    def show_arms(self, res: object, figs: object) -> None:
        rows = figs.rows()  # type: ignore[attr-defined]
        self.arms.setRowCount(len(rows))
        for i, r in enumerate(rows):
            vals = (
                r["variant_id"],
                str(r["impressions"]),
                str(r["clicks"]),
                f"{100 * r['ctr']:.2f} [{100 * r['ctr_lo']:.2f}, {100 * r['ctr_hi']:.2f}]",
                f"{r['index']:.1f} [{r['index_lo']:.1f}, {r['index_hi']:.1f}]",
            )
            for j, v in enumerate(vals):
                self.arms.setItem(i, j, QTableWidgetItem(v))
        self.arms.resizeColumnsToContents()
        self.tabs.setCurrentWidget(self.arms)
        notes = list(getattr(res, "notes", [])) + list(getattr(figs, "notes", []))
        self.summary.setText(
            self.tr("%1 arms with traffic.").replace("%1", str(len(rows)))
            + ("" if not notes else " " + " ".join(notes))
        )

    def show_problems(self, problems: list, count: int) -> None:
        self.problems.setRowCount(len(problems))
        for i, parts in enumerate(problems):
            for j, v in enumerate(parts):
                self.problems.setItem(i, j, QTableWidgetItem(str(v)))
        self.problems.resizeColumnsToContents()
        if problems:
            self.arms.setRowCount(0)
            self.tabs.setCurrentWidget(self.problems)
            self.summary.setText(
                self.tr(
                    "%1 problem(s): nothing was imported. Fix the files and import again."
                ).replace("%1", str(count))
            )

    def show_tuned(self, res: object, report: Path | None) -> None:
        self.policy_path = getattr(self, "_pending_out", None)
        self.apply_btn.setEnabled(self.policy_path is not None)
        pid = res.policy.meta.get("policy_id", "")  # type: ignore[attr-defined]
        lines = [self.tr("Policy %1 written.").replace("%1", str(pid)[:16])]
        for r in getattr(res, "regions", []):
            if "uplift" in r:
                lines.append(
                    f"{r['region']}: uplift {r['uplift']:+.1f} "
                    f"[{r.get('uplift_lo', float('nan')):+.1f}, "
                    f"{r.get('uplift_hi', float('nan')):+.1f}]"
                )
        self.summary.setText("\n".join(lines))
        if report is not None:
            for lab, name in zip(self.plot_labels, ("uplift.png", "reward.png"), strict=True):
                pm = QPixmap(str(Path(report) / name))
                lab.setPixmap(
                    pm.scaledToWidth(max(200, self.width() - 40)) if not pm.isNull() else pm
                )
            self.tabs.setCurrentWidget(self.plots)

    # ------------------------------------------------------------------ drops
    def handle_paths(self, paths: list[Path]) -> bool:
        """Folders are batches, CSVs are results; True when something was taken."""
        batches = [p for p in paths if p.is_dir() and (p / "batch.json").is_file()]
        csvs = [p for p in paths if p.suffix.lower() in (".csv", ".tsv")]
        for b in batches:
            self.ctl.set_batch(b)
        if csvs:
            self.add_csvs(csvs)
        elif batches:
            self._files_text()
            self.ctl.check()
        return bool(batches or csvs)

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if self.handle_paths(paths):
            event.acceptProposedAction()
