"""Quality against kimg for one or more GAN runs: the issue-5 ablation (CLIP head and
contrastive loss on / off) as a curve.

For every snapshot of every run given (each `--keep`-ed snapshot folder, and copies set aside
in the runs folder's `keep/` as `<run>-snapshot-*`), export its G_ema,
give it a condition prior from the run's own training database (`train gan-prior`), and score
it with `wenyang eval gen` on the held-out database. Results are cached per snapshot (a JSON
beside the export in WORK), so running it again after more training only scores the new
snapshots. Prints one table row per snapshot and writes all rows to --out.

    .venv/bin/python scripts/ablation_curve.py RUN_A RUN_B --work /tmp/abl --out curve.json

It runs the CLI in this process, one snapshot after another; on the 2-core machine a
64 px snapshot takes about a minute.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
from pathlib import Path

FIGURES = (
    "clip_accuracy",
    "indep_accuracy",
    "indep_texture_accuracy",  # texture features alone (session 14: what the patch heads aim at)
    "clip_score",
    "fd_clip",
    "diversity_share",
)


def snapshot_rows(run: Path) -> list[tuple[float, Path]]:
    """(kimg, snapshot folder) for every snapshot the run keeps, oldest first: those in its
    checkpoints folder (`--keep` newest) and those set aside beside the run as
    `keep/<run name>-snapshot-*` (the long runs' convention, docs/DEV_NOTES.md)."""
    states = [
        *(run / "checkpoints").glob("snapshot-*/state.json"),
        *(run.parent / "keep").glob(f"{run.name}-snapshot-*/state.json"),
    ]
    rows = {}
    for state in states:
        kimg = float(json.loads(state.read_text())["kimg"])
        rows.setdefault(kimg, state.parent)  # a kept copy of a snapshot still in the run: once
    return sorted(rows.items())


def score(run: Path, snap: Path, kimg: float, work: Path, args: argparse.Namespace) -> dict:
    """The eval gen report of one snapshot (cached in WORK)."""
    from engine.cli import main

    out = work / run.name / f"kimg-{kimg:07.2f}"
    report = out / "eval.json"
    evaluate = [
        *("eval", "gen", "--model", str(out / "gen"), "--json", "--out", str(report)),
        *("--per-prompt", str(args.per_prompt), "--descriptors", str(args.descriptors)),
        "--feature-split",
    ]
    if report.is_file():
        cached = json.loads(report.read_text(encoding="utf-8"))
        if not args.rescore_split or "indep_texture_accuracy" in cached["generator"]["overall"]:
            return cached
        steps = [evaluate]  # scored before the feature split existed: re-score, not re-export
    else:
        data = json.loads((run / "config.json").read_text())["data"]
        steps = [
            ["train", "gan-export", str(snap), "--out", str(out / "gen")],
            ["train", "gan-prior", str(out / "gen"), "--data", data],
            evaluate,
        ]
    for argv in steps:
        with contextlib.redirect_stdout(io.StringIO()):  # each step's own report: in WORK
            rc = main(argv)
        if rc != 0:
            raise SystemExit(f"{' '.join(argv)} failed")
    return json.loads(report.read_text(encoding="utf-8"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path, help="GAN run folders")
    ap.add_argument("--work", type=Path, required=True, help="exports and cached reports")
    ap.add_argument("--out", type=Path, help="all rows as JSON")
    # 80 prompts x 8 = 640 tiles: at 64 px about 30 s a snapshot, and half the noise of 192
    ap.add_argument("--per-prompt", type=int, default=8)
    ap.add_argument("--descriptors", type=int, default=4)
    ap.add_argument(
        "--rescore-split",
        action="store_true",
        help="re-score cached reports that lack the texture-only figure (no new export)",
    )
    ap.add_argument(
        "--thresholds",
        type=lambda v: [float(x) for x in v.split(",")],
        default=[0.3, 0.4, 0.5],
        help="accuracies to report the first kimg reaching (0.3,0.4,0.5)",
    )
    args = ap.parse_args()
    rows = []
    print("run  kimg  " + "  ".join(FIGURES), flush=True)
    for run in args.runs:
        for kimg, snap in snapshot_rows(run):
            g = score(run, snap, kimg, args.work, args)["generator"]["overall"]
            row = {"run": run.name, "kimg": kimg, **{f: g.get(f) for f in FIGURES}}
            rows.append(row)
            print(run.name, kimg, *(row[f] for f in FIGURES), flush=True)
    print("first kimg at which a figure reaches a threshold (-: not yet):")
    for fig in ("clip_accuracy", "indep_accuracy"):
        for t in args.thresholds:
            cells = []
            for run in args.runs:
                hit = [r["kimg"] for r in rows if r["run"] == run.name and (r[fig] or 0) >= t]
                cells.append(f"{run.name} {hit[0] if hit else '-'}")
            print(f"  {fig} >= {t}: " + ", ".join(cells))
    if args.out is not None:
        args.out.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    sys.exit(main())
