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
from engine.tuner.headers import Column, examples, recognise

MAX_LISTED = 2000  # problems kept verbatim; the rest are counted
_TOTAL_IDS = frozenset({"total", "totals", "sum", "all", "overall", "合计", "总计", "汇总"})


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


class ResultsError(UserInputError):
    """Every problem in the results CSVs (`problems`: the `file:line: column: value: expected`
    lines, for a GUI table; `count` may exceed len(problems) when very many were found)."""

    def __init__(self, message: str, problems: list[str], count: int) -> None:
        super().__init__(message)
        self.problems = problems
        self.count = count


class _Problems:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.count = 0

    def add(self, path: str, line: int, column: str, value: str, expected: str) -> None:
        self.count += 1
        if len(self.lines) < MAX_LISTED:
            v = value if len(value) <= 60 else value[:57] + "..."
            self.lines.append(f"{path}:{line}: {column}: {v!r}: {expected}")

    def raise_if_any(self) -> None:
        if not self.count:
            return
        more = self.count - len(self.lines)
        tail = f"\n… and {more} more problems" if more > 0 else ""
        raise ResultsError(
            f"{self.count} problem(s) in the results CSVs; nothing was imported:\n"
            + "\n".join(self.lines)
            + tail,
            list(self.lines),
            self.count,
        )


@dataclass
class _Entry:  # one aggregate row (or one event file's total) for one variant
    path: str
    line: int
    date: str | None
    values: tuple


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
    probs = _Problems()
    resolver = _Resolver(list(variant_ids) + list(extra_arms))
    entries: dict[str, list[_Entry]] = {}
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


class _Resolver:
    """Variant ids as exported; also accepts case/space variants and file names (v01.png)."""

    def __init__(self, ids: list[str]) -> None:
        self.exact = {i: i for i in ids}
        self.loose = {i.strip().casefold(): i for i in ids}
        self.cache: dict[str, str | None] = {}

    def __call__(self, raw: str) -> str | None:
        hit = self.exact.get(raw)
        if hit is not None:
            return hit
        if raw in self.cache:
            return self.cache[raw]
        s = raw.strip().casefold()
        out = self.loose.get(s)
        if out is None:
            stem = s.replace("\\", "/").rsplit("/", 1)[-1]
            for ext in (".png", ".jpg", ".jpeg", ".webp"):
                if stem.endswith(ext):
                    stem = stem[: -len(ext)]
            out = self.loose.get(stem)
        self.cache[raw] = out
        return out


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
    resolve: _Resolver,
    created: dict[str, int],
    entries: dict[str, list[_Entry]],
    probs: _Problems,
    notes: list[str],
    windows: list[tuple[str, int, int]],
) -> FileSummary | None:
    name = str(path)
    if not path.is_file():
        probs.add(name, 0, "file", name, "expected an existing CSV file")
        return None
    encoding = _detect_encoding(path)
    for enc in (encoding, "gb18030") if encoding == "utf-8-sig" else (encoding,):
        local_entries: dict[str, list[_Entry]] = {}
        local = _Problems()
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
    resolve: _Resolver,
    created: dict[str, int],
    entries: dict[str, list[_Entry]],
    probs: _Problems,
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
        reader = _AggregateRows if mode == "aggregate" else _EventRows
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


class _RowsBase:
    def __init__(
        self,
        name: str,
        cols: dict[str, Column],
        width: int,
        decimal_comma: bool,
        resolve: _Resolver,
        created: dict[str, int],
        dates: num.DateReader | None,
        probs: _Problems,
    ) -> None:
        self.name, self.cols, self.width, self.dc = name, cols, width, decimal_comma
        self.resolve, self.created, self.dates, self.probs = resolve, created, dates, probs
        self._dcache: dict[str, str] = {}

    def bad(self, line: int, role: str, value: str, expected: str) -> None:
        col = self.cols[role].header if role in self.cols else role
        self.probs.add(self.name, line, col, value, expected)

    def variant(self, line: int, row: list[str]) -> str | None:
        """The canonical variant id of a row, or None (problem recorded / totals row)."""
        if len(row) != self.width:
            if not any(c.strip() for c in row):
                return None
            self.probs.add(
                self.name,
                line,
                "row",
                ",".join(row)[:60],
                f"expected {self.width} fields like the header, found {len(row)}",
            )
            return None
        raw = row[self.cols["variant"].index]
        vid = self.resolve(raw)
        if vid is None:
            if raw.strip().casefold() in _TOTAL_IDS:
                return None
            self.bad(line, "variant", raw, "expected a variant id from the batch manifest")
        return vid

    def date(self, line: int, row: list[str], vid: str) -> str | None:
        if self.dates is None:
            return None
        raw = row[self.cols["date"].index]
        # parsing is idempotent per value, so a cache is safe; timestamps share their day
        short = raw[:10] if len(raw) > 10 and raw[4:5] == "-" and raw[7:8] == "-" else raw
        key = self._dcache.get(short)
        if key is None:
            try:
                key = self.dates.parse(short)
            except ValueError as exc:
                self.bad(line, "date", raw, str(exc))
                return None
            if len(self._dcache) < 100_000:
                self._dcache[short] = key
        made = self.created.get(vid)
        if made is not None and key.isdigit() and int(key) < made:
            self.bad(
                line,
                "date",
                raw,
                "expected a date on or after the variant was exported "
                f"({num.ordinal_to_iso(made)})",
            )
        return key


class _AggregateRows(_RowsBase):
    """Rows of totals per variant (optionally per day)."""

    def consume(self, rows: Iterator[tuple[int, list[str]]]) -> int:
        self.found: list[tuple[str, _Entry]] = []
        n = 0
        for line, row in rows:
            vid = self.variant(line, row)
            if vid is None:
                continue
            n += 1
            before = self.probs.count
            date = self.date(line, row, vid)
            values = self.values(line, row)
            if values is not None and self.probs.count == before:
                self.found.append((vid, _Entry(self.name, line, date, values)))
        return n

    def finish(self, entries: dict[str, list[_Entry]]) -> None:
        for vid, e in self.found:
            entries.setdefault(vid, []).append(e)

    def _get(self, line: int, row: list[str], role: str, parse: Callable[[str], object]) -> object:
        if role not in self.cols:
            return None
        raw = row[self.cols[role].index]
        if not raw.strip():
            return None
        try:
            return parse(raw)
        except ValueError as exc:
            self.bad(line, role, raw, str(exc))
            return None

    def values(self, line: int, row: list[str]) -> tuple | None:
        dc = self.dc
        c = self.cols
        imp = self._get(line, row, "impressions", lambda s: num.parse_count(s, decimal_comma=dc))
        if imp is None:
            if c["impressions"].index < len(row) and not row[c["impressions"].index].strip():
                self.bad(line, "impressions", "", "expected a count of impressions")
            return None
        assert isinstance(imp, int)
        clicks = self._rate_count(line, row, imp, "clicks", "ctr")
        shares = self._rate_count(line, row, imp, "shares", "share_rate")
        if "clicks" in c and "ctr" not in c and not row[c["clicks"].index].strip():
            self.bad(line, "clicks", "", "expected a count of clicks")
        dwell = self._dwell(line, row, imp)
        return (imp, clicks if clicks is not None else 0, shares, *dwell)

    def _rate_count(
        self, line: int, row: list[str], imp: int, count_role: str, rate_role: str
    ) -> int | None:
        dc = self.dc
        cnt = self._get(line, row, count_role, lambda s: num.parse_count(s, decimal_comma=dc))
        if isinstance(cnt, int) and cnt > imp:
            self.bad(
                line,
                count_role,
                row[self.cols[count_role].index],
                f"expected at most the impressions ({imp})",
            )
            return None
        rc = self.cols.get(rate_role)
        if rc is None:
            return cnt if isinstance(cnt, int) else None
        raw = row[rc.index]
        pct = rc.percent
        rate = self._get(
            line,
            row,
            rate_role,
            lambda s: num.parse_rate(s, decimal_comma=dc, header_is_percent=pct),
        )
        if not isinstance(rate, float):
            return cnt if isinstance(cnt, int) else None
        if isinstance(cnt, int):  # both given: they must agree up to the rate's rounding
            d = num.decimals_of(raw) + (2 if (rc.percent or raw.strip().endswith("%")) else 0)
            tol = 0.5 * 10.0 ** (-d) * imp + 1.0
            if abs(cnt - rate * imp) > tol:
                self.bad(
                    line,
                    rate_role,
                    raw,
                    f"expected {cnt}/{imp} = {cnt / max(imp, 1):.4%} (agreeing with "
                    f"{self.cols[count_role].header})",
                )
            return cnt
        return round(rate * imp)

    def _dwell(self, line: int, row: list[str], imp: int) -> tuple:
        dc = self.dc
        c = self.cols
        nn = lambda s: num.parse_nonneg(s, decimal_comma=dc)  # noqa: E731
        total = self._get(line, row, "dwell_total", nn)
        mean = self._get(line, row, "dwell_mean", nn)
        count = self._get(line, row, "dwell_count", lambda s: num.parse_count(s, decimal_comma=dc))
        std = self._get(line, row, "dwell_std", nn)
        if total is None and mean is None:
            return (None, 0, None)
        n = count if isinstance(count, int) else imp
        if isinstance(total, float):
            total *= c["dwell_total"].unit
        else:
            assert isinstance(mean, float)
            mean *= c["dwell_mean"].unit
            total = mean * n
        sumsq = None
        if isinstance(std, float) and n > 0:
            std *= c["dwell_std"].unit
            m = total / n
            sumsq = (n - 1) * std * std + n * m * m
        return (total, n, sumsq)


class _EventRows(_RowsBase):
    """One row per impression: click/share flags and the dwell seconds of that view."""

    def consume(self, rows: Iterator[tuple[int, list[str]]]) -> int:
        acc: dict[str, list] = {}
        self.acc = acc
        c = self.cols
        ci = c["clicks"].index if "clicks" in c else -1
        si = c["shares"].index if "shares" in c else -1
        dcol = c.get("dwell_mean") or c.get("dwell_total")
        di = dcol.index if dcol else -1
        unit = dcol.unit if dcol else 1.0
        dc = self.dc
        self.first_line: dict[str, int] = {}
        n = 0
        for line, row in rows:
            vid = self.variant(line, row)
            if vid is None:
                continue
            n += 1
            if self.dates is not None:
                self.date(line, row, vid)
            a = acc.get(vid)
            if a is None:
                a = acc[vid] = [0, 0, 0, 0.0, 0, 0.0]
                self.first_line[vid] = line
            a[0] += 1
            if ci >= 0:
                v = row[ci]
                if v == "1":
                    a[1] += 1
                elif v not in ("0", ""):
                    a[1] += self._flag(line, "clicks", v)
            if si >= 0:
                v = row[si]
                if v == "1":
                    a[2] += 1
                elif v not in ("0", ""):
                    a[2] += self._flag(line, "shares", v)
            if di >= 0:
                v = row[di]
                if v:
                    x: float | None
                    try:
                        x = float(v.replace(",", ".") if dc and "." not in v else v)
                        if not 0.0 <= x < float("inf"):
                            raise ValueError
                    except ValueError:
                        x = self._dwell(line, v)
                    if x is not None:
                        x *= unit
                        a[3] += x
                        a[4] += 1
                        a[5] += x * x
        return n

    def _flag(self, line: int, role: str, v: str) -> int:
        try:
            return num.parse_flag(v)
        except ValueError as exc:
            self.bad(line, role, v, str(exc) + " (one row per impression)")
            return 0

    def _dwell(self, line: int, v: str) -> float | None:
        role = "dwell_mean" if "dwell_mean" in self.cols else "dwell_total"
        try:
            return num.parse_nonneg(v, decimal_comma=self.dc)
        except ValueError as exc:
            self.bad(line, role, v, str(exc))
            return None

    def finish(self, entries: dict[str, list[_Entry]]) -> None:
        has_s = "shares" in self.cols
        for vid, a in self.acc.items():
            vals = (
                a[0],
                a[1],
                a[2] if has_s else None,
                a[3] if a[4] else None,
                a[4],
                a[5] if a[4] else None,
            )
            entries.setdefault(vid, []).append(_Entry(self.name, self.first_line[vid], None, vals))


# --------------------------------------------------------------------------- across files
def _check_window(
    windows: list[tuple[str, int, int]], max_days: int, probs: _Problems
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
    entries: dict[str, list[_Entry]], duplicates: str, probs: _Problems, notes: list[str]
) -> dict[str, Arm]:
    arms: dict[str, Arm] = {}
    n_dup = 0
    for vid, es in entries.items():
        keep: list[_Entry] = []
        seen: dict[str | None, _Entry] = {}
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
