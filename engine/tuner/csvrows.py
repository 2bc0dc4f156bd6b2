"""Row readers for results CSVs: per-variant totals and one-row-per-impression events.

Shared by engine.tuner.csvimport; every bad value becomes one `file:line: column: value:
expected …` problem, and rows with a problem are left out (the import then fails as a whole).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from engine.errors import UserInputError
from engine.tuner import numbers as num
from engine.tuner.headers import Column

MAX_LISTED = 2000  # problems kept verbatim; the rest are counted
_TOTAL_IDS = frozenset({"total", "totals", "sum", "all", "overall", "合计", "总计", "汇总"})


class ResultsError(UserInputError):
    """Every problem in the results CSVs (`problems`: the `file:line: column: value: expected`
    lines, for a GUI table; `count` may exceed len(problems) when very many were found)."""

    def __init__(self, message: str, problems: list[str], count: int) -> None:
        super().__init__(message)
        self.problems = problems
        self.count = count


class Problems:
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
class Entry:  # one aggregate row (or one event file's total) for one variant
    path: str
    line: int
    date: str | None
    values: tuple


class Resolver:
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


class RowsBase:
    def __init__(
        self,
        name: str,
        cols: dict[str, Column],
        width: int,
        decimal_comma: bool,
        resolve: Resolver,
        created: dict[str, int],
        dates: num.DateReader | None,
        probs: Problems,
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


class AggregateRows(RowsBase):
    """Rows of totals per variant (optionally per day)."""

    def consume(self, rows: Iterator[tuple[int, list[str]]]) -> int:
        self.found: list[tuple[str, Entry]] = []
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
                self.found.append((vid, Entry(self.name, line, date, values)))
        return n

    def finish(self, entries: dict[str, list[Entry]]) -> None:
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


class EventRows(RowsBase):
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

    def finish(self, entries: dict[str, list[Entry]]) -> None:
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
            entries.setdefault(vid, []).append(Entry(self.name, self.first_line[vid], None, vals))
