"""Parse the numbers, flags and dates that shop and A/B-tool exports write.

Designers export from Excel in many locales: "1,234", "1.234", "1 234", "4,5", "3.2%".
Each parser returns a value or raises `ValueError` whose text is the "expected …" part of
the `file:line: column: value: expected …` message the importer builds.
"""

from __future__ import annotations

import datetime as dt
import math
import re

_SPACES = str.maketrans("", "", " \u00a0\u202f\u2009'_")
_GROUPED_COMMA = re.compile(r"^[+-]?\d{1,3}(,\d{3})+$")
_GROUPED_DOT = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+$")


def parse_float(raw: str, *, decimal_comma: bool = False) -> tuple[float, bool]:
    """A finite float and whether it was written as a percent ("3.2%" → 0.032, True).

    `decimal_comma`: the file's convention (semicolon-delimited files use "4,5").
    """
    s = raw.strip().translate(_SPACES)
    pct = s.endswith("%")
    if pct:
        s = s[:-1]
    if not s:
        raise ValueError("expected a number")
    has_c, has_d = "," in s, "." in s
    if has_c and has_d:  # the last separator is the decimal one
        if s.rfind(",") > s.rfind("."):
            s = s.replace(".", "").replace(",", ".")
        else:
            s = s.replace(",", "")
    elif has_c:
        if s.count(",") > 1 or (not decimal_comma and _GROUPED_COMMA.match(s)):
            if not _GROUPED_COMMA.match(s):
                raise ValueError("expected a number with thousands grouped by 3 digits")
            s = s.replace(",", "")
        else:
            s = s.replace(",", ".")
    elif has_d and (s.count(".") > 1 or (decimal_comma and _GROUPED_DOT.match(s))):
        if not _GROUPED_DOT.match(s):
            raise ValueError("expected a number with thousands grouped by 3 digits")
        s = s.replace(".", "")
    try:
        v = float(s)
    except ValueError:
        raise ValueError("expected a number") from None
    if not math.isfinite(v):
        raise ValueError("expected a finite number")
    return (v / 100.0 if pct else v), pct


def parse_count(raw: str, *, decimal_comma: bool = False) -> int:
    """A non-negative whole number; "1,234" and "1.234" are thousands here (counts are whole)."""
    s = raw.strip().translate(_SPACES)
    if _GROUPED_COMMA.match(s) or _GROUPED_DOT.match(s):
        s = s.replace(",", "").replace(".", "")
    v, pct = parse_float(s, decimal_comma=decimal_comma)
    if pct:
        raise ValueError("expected a count, not a percent")
    if v < 0:
        raise ValueError("expected a non-negative count")
    if v != int(v):
        raise ValueError("expected a whole number")
    return int(v)


def parse_nonneg(raw: str, *, decimal_comma: bool = False) -> float:
    """A finite non-negative float (dwell seconds, standard deviations)."""
    v, _ = parse_float(raw, decimal_comma=decimal_comma)
    if v < 0:
        raise ValueError("expected a non-negative number")
    return v


def parse_rate(raw: str, *, decimal_comma: bool = False, header_is_percent: bool = False) -> float:
    """A rate in [0, 1]: "0.032", "3.2%", or "3.2" under a header marked % / pct."""
    v, pct = parse_float(raw, decimal_comma=decimal_comma)
    if header_is_percent and not pct:
        v /= 100.0
    if not 0.0 <= v <= 1.0:
        raise ValueError("expected a rate between 0 and 1 (or a percent like 3.2%)")
    return v


def decimals_of(raw: str) -> int:
    """How many digits follow the decimal separator (rounding tolerance of a reported rate)."""
    s = raw.strip().rstrip("%").translate(_SPACES)
    m = re.search(r"[.,](\d+)$", s)
    if m is None or _GROUPED_COMMA.match(s) or _GROUPED_DOT.match(s):
        return 0
    return len(m.group(1))


_TRUE = frozenset({"1", "true", "yes", "y", "t", "x", "clicked", "shared", "是", "✓"})
_FALSE = frozenset({"0", "false", "no", "n", "f", "", "-", "否"})


def parse_flag(raw: str) -> int:
    """An event flag: 1/0, true/false, yes/no (empty = 0); a count of 0 or 1 also passes."""
    s = raw.strip().lower()
    if s in _TRUE:
        return 1
    if s in _FALSE:
        return 0
    if s in ("1.0", "1,0"):
        return 1
    if s in ("0.0", "0,0"):
        return 0
    raise ValueError("expected 0/1, true/false or yes/no")


# ---------------------------------------------------------------------------------- dates
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?$")
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T,].*)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_CN = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日")


class DateReader:
    """Parses one file's dates to day ordinals; D/M/Y vs M/D/Y is settled per file.

    Ambiguous "03/04/2024" values are kept in both readings until an unambiguous value
    (a day > 12) decides; a file that mixes the two orders is an error.
    """

    def __init__(self) -> None:
        self.order: str | None = None  # "dmy" | "mdy" for slash dates, once known
        self.min_dmy: int | None = None
        self.max_dmy: int | None = None
        self.min_mdy: int | None = None
        self.max_mdy: int | None = None
        self.seen_slash = False
        self._lo: int | None = None
        self._hi: int | None = None

    def parse(self, raw: str) -> str:
        """Validate `raw`; return a canonical key (used to tell daily rows apart)."""
        s = raw.strip()
        m = _ISO.match(s) or _COMPACT.match(s) or _CN.match(s)
        if m:
            day = _ordinal(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            self._extend(day)
            return str(day)
        m = _DMY.match(s)
        if not m:
            raise ValueError("expected a date like 2024-05-31 (or 31.05.2024, 05/31/2024)")
        a, b, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if s[len(m.group(1))] == ".":  # 31.05.2024 is always day-first
            day = _ordinal(y, b, a)
            self._extend(day)
            return str(day)
        if a > 12 and b <= 12:
            self._settle("dmy")
        elif b > 12 and a <= 12:
            self._settle("mdy")
        dmy = _try_ordinal(y, b, a)
        mdy = _try_ordinal(y, a, b)
        if (self.order == "dmy" and dmy is None) or (self.order == "mdy" and mdy is None):
            raise ValueError("expected a valid calendar date")
        if dmy is None and mdy is None:
            raise ValueError("expected a valid calendar date")
        self.seen_slash = True
        if dmy is not None:
            self.min_dmy = dmy if self.min_dmy is None else min(self.min_dmy, dmy)
            self.max_dmy = dmy if self.max_dmy is None else max(self.max_dmy, dmy)
        if mdy is not None:
            self.min_mdy = mdy if self.min_mdy is None else min(self.min_mdy, mdy)
            self.max_mdy = mdy if self.max_mdy is None else max(self.max_mdy, mdy)
        return s

    def _settle(self, order: str) -> None:
        if self.order is not None and self.order != order:
            raise ValueError(f"expected one date order per file (earlier rows were {self.order})")
        self.order = order

    def _extend(self, day: int) -> None:
        self._lo = day if self._lo is None else min(self._lo, day)
        self._hi = day if self._hi is None else max(self._hi, day)

    def window(self) -> tuple[int, int] | None:
        """First and last day (ordinals) seen in this file, or None without dates."""
        lo, hi = self._lo, self._hi
        if self.seen_slash:
            order = self.order or "dmy"
            slo, shi = (
                (self.min_dmy, self.max_dmy) if order == "dmy" else (self.min_mdy, self.max_mdy)
            )
            if slo is not None and shi is not None:
                lo = slo if lo is None else min(lo, slo)
                hi = shi if hi is None else max(hi, shi)
        if lo is None or hi is None:
            return None
        return lo, hi


def _try_ordinal(y: int, m: int, d: int) -> int | None:
    try:
        return dt.date(y, m, d).toordinal()
    except ValueError:
        return None


def _ordinal(y: int, m: int, d: int) -> int:
    o = _try_ordinal(y, m, d)
    if o is None:
        raise ValueError("expected a valid calendar date")
    return o


def ordinal_to_iso(day: int) -> str:
    return dt.date.fromordinal(day).isoformat()
