"""Import A/B results CSVs: per-variant totals or one row per impression, any common export.

Every file is streamed (constant memory per variant, millions of event rows are fine), every
problem is collected as `file:line: column: value: expected …`, and if there is any problem
nothing is imported: `import_results` raises one `UserInputError` listing them all.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import UserInputError
from engine.tuner import numbers as num
from engine.tuner.csvrows import (
    MAX_LISTED,
    AggregateRows,
    Entry,
    EventRows,
    Problems,
    Resolver,
    ResultsError,
)
from engine.tuner.headers import examples, recognise

__all__ = ["Arm", "FileSummary", "ImportedResults", "ResultsError", "import_results"]


@dataclass
class Arm:
    """Traffic of one variant (arm), summed over files and days."""

    impressions: int = 0
    clicks: int = 0
    shares: int | None = None
    dwell_total: float | None = None  # seconds, summed over `dwell_n` impressions
    dwell_n: int = 0
    dwell_sumsq: float | None = None  # Σ dwell², when a std or per-event values were given


@dataclass
class FileSummary:
    path: str
    mode: str  # "aggregate" | "events"
    delimiter: str
    encoding: str
    rows: int
    columns: dict[str, str]  # role -> header
    ignored: list[str]
    window: tuple[str, str] | None


@dataclass
class ImportedResults:
    arms: dict[str, Arm]
    files: list[FileSummary]
    window: tuple[str, str] | None
    has_shares: bool
    has_dwell: bool
    notes: list[str] = field(default_factory=list)


def import_results(
    paths: Sequence[str | Path],
    variant_ids: Collection[str],
    *,
    extra_arms: Collection[str] = (),
    created: dict[str, int] | None = None,
    duplicates: str = "error",
    max_window_days: int = 90,
    progress: Callable[[str, float], None] | None = None,
) -> ImportedResults:
    """Read and validate results files; join them to `variant_ids` (+ `extra_arms`, e.g. a
    human-designed control used as the index baseline).

    `created`: variant id -> day ordinal of its export; results dated earlier are errors.
    `duplicates`: "error" (rows for one variant must be identical or on distinct dates) or
    "sum" (separate channels: add them up).
    """
    probs = Problems()
    resolver = Resolver(list(variant_ids) + list(extra_arms))
    entries: dict[str, list[Entry]] = {}
    files: list[FileSummary] = []
    windows: list[tuple[str, int, int]] = []
    notes: list[str] = []
    for k, p in enumerate(paths):
        path = Path(p)
        if progress:
            progress(f"reading {path.name}", k / max(1, len(paths)))
        summary = _read_file(path, resolver, created or {}, entries, probs, notes, windows)
        if summary is not None:
            files.append(summary)
    window = _check_window(windows, max_window_days, probs)
    arms = _merge(entries, duplicates, probs, notes)
    probs.raise_if_any()
    if not arms:
        raise UserInputError("the results CSVs hold no rows for any variant of the batch")
    with_traffic = [a for a in arms.values() if a.impressions > 0]
    has_shares = bool(with_traffic) and all(a.shares is not None for a in with_traffic)
    has_dwell = bool(with_traffic) and all(a.dwell_n > 0 for a in with_traffic)
    if not has_shares and any(a.shares is not None for a in with_traffic):
        notes.append("shares are missing for some arms: the share rate is left out")
    if not has_dwell and any(a.dwell_n > 0 for a in with_traffic):
        notes.append("dwell time is missing for some arms: dwell is left out")
    if progress:
        progress("results imported", 1.0)
    return ImportedResults(arms, files, window, has_shares, has_dwell, notes)


# ------------------------------------------------------------------------------ one file
def _open_text(path: Path, encoding: str) -> io.TextIOWrapper:
    return open(path, encoding=encoding, newline="")


def _detect_encoding(path: Path) -> str:
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8-sig"


def _sniff(sample: str) -> str:
    """Delimiter: csv.Sniffer when its choice is consistent with the header, else by count."""
    lines = [ln for ln in sample.splitlines() if ln.strip()][:30]
    if not lines:
        return ","

    def consistent(d: str) -> int:
        widths = {len(r) for r in csv.reader(lines[:-1] or lines, delimiter=d)}
        return next(iter(widths)) if len(widths) == 1 else 0

    try:
        d = csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|").delimiter
        if consistent(d) > 1:
            return d
    except csv.Error:
        pass
    best = max(",;\t|", key=lambda c: (consistent(c), lines[0].count(c)))
    return best


def _read_file(
    path: Path,
    resolve: Resolver,
    created: dict[str, int],
    entries: dict[str, list[Entry]],
    probs: Problems,
    notes: list[str],
    windows: list[tuple[str, int, int]],
) -> FileSummary | None:
    name = str(path)
    if not path.is_file():
        probs.add(name, 0, "file", name, "expected an existing CSV file")
        return None
    encoding = _detect_encoding(path)
    for enc in (encoding, "gb18030") if encoding == "utf-8-sig" else (encoding,):
        local_entries: dict[str, list[Entry]] = {}
        local = Problems()
        try:
            summary = _read_stream(path, enc, resolve, created, local_entries, local, windows)
        except UnicodeDecodeError:
            continue
        if enc == "gb18030":
            notes.append(f"{name}: not UTF-8; read as GB18030 (Chinese Excel)")
        for k, v in local_entries.items():
            entries.setdefault(k, []).extend(v)
        probs.count += local.count
        probs.lines.extend(local.lines[: max(0, MAX_LISTED - len(probs.lines))])
        return summary
    probs.add(name, 0, "encoding", "", "expected UTF-8 text (save as 'CSV UTF-8')")
    return None


def _rows(fh: io.TextIOWrapper, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(fh, delimiter=delimiter)
    for row in reader:
        yield reader.line_num, row


def _read_stream(
    path: Path,
    encoding: str,
    resolve: Resolver,
    created: dict[str, int],
    entries: dict[str, list[Entry]],
    probs: Problems,
    windows: list[tuple[str, int, int]],
) -> FileSummary | None:
    name = str(path)
    with _open_text(path, encoding) as fh:
        sample = fh.read(65536)
        delimiter = _sniff(sample)
        fh.seek(0)
        rows = _rows(fh, delimiter)
        header: list[str] | None = None
        hline = 0
        for hline, row in rows:  # noqa: B007 (hline is the header's line afterwards)
            if any(c.strip() for c in row):
                header = row
                break
        if header is None:
            probs.add(name, 1, "header", "", "expected a header row and at least one data row")
            return None
        cols, ignored, dup = recognise(header)
        for d in dup:
            probs.count += 1
            probs.lines.append(f"{name}:{hline}: header: {d}")
        hdr = delimiter.join(header)
        if "variant" not in cols:
            probs.add(
                name, hline, "header", hdr, f"expected a variant id column ({examples('variant')})"
            )
            return None
        if "impressions" in cols:
            mode = "aggregate"
            if "clicks" not in cols and "ctr" not in cols:
                probs.add(
                    name,
                    hline,
                    "header",
                    hdr,
                    f"expected a clicks or CTR column ({examples('clicks')})",
                )
                return None
        elif cols.keys() & {"clicks", "shares", "dwell_mean", "dwell_total"}:
            mode = "events"
        else:
            probs.add(
                name,
                hline,
                "header",
                hdr,
                f"expected an impressions column ({examples('impressions')}) for totals "
                "per variant, or a click column for one row per impression",
            )
            return None
        dates = num.DateReader() if "date" in cols else None
        reader = AggregateRows if mode == "aggregate" else EventRows
        state = reader(name, cols, len(header), delimiter == ";", resolve, created, dates, probs)
        n = state.consume(rows)
        state.finish(entries)
        window = None
        if dates is not None:
            try:
                w = dates.window()
            except ValueError as exc:
                probs.add(name, hline, cols["date"].header, "", str(exc))
                w = None
            if w is not None:
                windows.append((name, w[0], w[1]))
                window = (num.ordinal_to_iso(w[0]), num.ordinal_to_iso(w[1]))
        return FileSummary(
            name,
            mode,
            delimiter,
            encoding,
            n,
            {r: c.header for r, c in cols.items()},
            ignored,
            window,
        )


# --------------------------------------------------------------------------- across files
def _check_window(
    windows: list[tuple[str, int, int]], max_days: int, probs: Problems
) -> tuple[str, str] | None:
    if not windows:
        return None
    start = min(lo for _, lo, _ in windows)  # the test starts with its first result
    for name, _lo, hi in windows:
        if hi - start > max_days:
            probs.add(
                name,
                0,
                "date",
                num.ordinal_to_iso(hi),
                f"expected all results within one test window of at most {max_days} days "
                f"(it starts {num.ordinal_to_iso(start)}); use --max-window-days for longer",
            )
    lo = min(w[1] for w in windows)
    hi = max(w[2] for w in windows)
    return num.ordinal_to_iso(lo), num.ordinal_to_iso(hi)


def _merge(
    entries: dict[str, list[Entry]], duplicates: str, probs: Problems, notes: list[str]
) -> dict[str, Arm]:
    arms: dict[str, Arm] = {}
    n_dup = 0
    for vid, es in entries.items():
        keep: list[Entry] = []
        seen: dict[str | None, Entry] = {}
        for e in es:
            prev = seen.get(e.date)
            undated_clash = (e.date is None and keep) or (keep and keep[0].date is None)
            if prev is None and not undated_clash:
                seen[e.date] = e
                keep.append(e)
                continue
            other = prev or keep[0]
            if other.values == e.values:
                n_dup += 1
                continue
            if duplicates == "sum":
                keep.append(e)
                continue
            what = f"one row per variant{' and date' if e.date is not None else ''}"
            probs.add(
                e.path,
                e.line,
                "variant",
                vid,
                f"expected {what}: {other.path}:{other.line} has different numbers "
                "(use --duplicates sum if these are separate channels)",
            )
        arm = Arm()
        partial_sq = any(e.values[3] is not None and e.values[5] is None for e in keep)
        for e in keep:
            imp, clicks, shares, dwell, dn, sq = e.values
            arm.impressions += imp
            arm.clicks += clicks
            if shares is not None:
                arm.shares = (arm.shares or 0) + shares
            if dwell is not None:
                arm.dwell_total = (arm.dwell_total or 0.0) + dwell
                arm.dwell_n += dn
            if sq is not None and not partial_sq:
                arm.dwell_sumsq = (arm.dwell_sumsq or 0.0) + sq
        arms[vid] = arm
    if n_dup:
        notes.append(f"{n_dup} duplicate row(s) with identical numbers were counted once")
    return arms
