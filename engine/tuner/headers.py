"""Recognise the column headers of results CSVs from shops, analytics and A/B tools.

Headers are normalised ("Avg. Time on Page (s)" → "avg_time_on_page" + unit seconds,
"CTR (%)" → "ctr" + percent) and looked up in alias tables, English and Chinese.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ROLES = (
    "variant", "impressions", "clicks", "ctr", "shares", "share_rate",
    "dwell_total", "dwell_mean", "dwell_count", "dwell_std", "date",
)  # fmt: skip

_ALIASES: dict[str, tuple[str, ...]] = {
    "variant": (
        "variant_id", "variant", "variation", "variation_id", "variation_name", "variant_name",
        "arm", "arm_id", "arm_name", "id", "design", "design_id", "creative", "creative_id",
        "treatment", "version", "recipe", "experience", "item", "item_id", "sku",
        "变体", "变体id", "版本", "方案", "设计", "款式", "编号",
    ),
    "impressions": (
        "impressions", "impression", "impr", "imps", "views", "view", "users", "visitors",
        "unique_visitors", "sessions", "exposures", "exposed", "participants", "sample_size",
        "n", "visits", "pageviews", "page_views", "reach", "曝光", "曝光量", "曝光数", "展示",
        "展示量", "展现量", "浏览量", "访客", "访客数", "用户数", "会话", "会话数",
    ),
    "clicks": (
        "clicks", "click", "clicked", "click_count", "n_clicks", "link_clicks", "点击",
        "点击量", "点击数", "点击次数",
    ),
    "ctr": (
        "ctr", "click_through_rate", "clickthrough_rate", "click_rate", "ctr_rate", "点击率",
    ),
    "shares": (
        "shares", "share", "shared", "share_count", "reshares", "forwards", "reposts", "分享",
        "分享数", "分享量", "分享次数", "转发", "转发数",
    ),
    "share_rate": ("share_rate", "分享率", "转发率"),
    "dwell_total": (
        "dwell_seconds_total", "dwell_total", "total_dwell", "dwell_time_total",
        "total_dwell_time", "total_time_on_page", "total_time", "time_on_page_total",
        "总停留时长", "停留总时长", "总停留时间",
    ),
    "dwell_mean": (
        "dwell", "dwell_time", "dwell_seconds", "dwell_mean", "mean_dwell", "avg_dwell",
        "average_dwell", "avg_dwell_time", "mean_dwell_time", "average_dwell_time",
        "time_on_page", "avg_time_on_page", "average_time_on_page", "mean_time_on_page",
        "avg_session_duration", "average_session_duration", "session_duration", "duration",
        "停留时长", "平均停留时长", "停留时间", "平均停留时间",
    ),
    "dwell_count": (
        "dwell_count", "dwell_n", "n_dwell", "dwell_samples", "dwell_observations",
    ),
    "dwell_std": (
        "dwell_std", "dwell_sd", "std_dwell", "sd_dwell", "dwell_stdev", "dwell_stddev",
        "dwell_time_std", "dwell_time_sd", "std_time_on_page", "停留时长标准差",
    ),
    "date": (
        "date", "day", "timestamp", "time", "datetime", "event_time", "event_date",
        "report_date", "session_date", "visit_date", "日期", "时间",
    ),
}  # fmt: skip

_LOOKUP = {alias: role for role, names in _ALIASES.items() for alias in names}
_UNITS = {
    "s": 1.0,
    "sec": 1.0,
    "secs": 1.0,
    "seconds": 1.0,
    "second": 1.0,
    "ms": 0.001,
    "milliseconds": 0.001,
    "min": 60.0,
    "mins": 60.0,
    "minutes": 60.0,
}
_PCT = {"pct", "percent", "percentage", "in"}


@dataclass(frozen=True)
class Column:
    """One recognised column: its index, role, header text and how to read its values."""

    index: int
    role: str
    header: str
    percent: bool = False  # values are percent even without a "%" sign
    unit: float = 1.0  # multiply to get seconds (dwell columns)


def normalise(header: str) -> tuple[str, bool, float]:
    """(lookup key, header says percent, seconds per unit)."""
    h = header.replace("\ufeff", "").strip().lower().replace("%", " pct ")
    tokens = [t for t in re.split(r"[^\w]+", h) if t]
    percent = any(t in ("pct", "percent", "percentage") for t in tokens)
    unit = 1.0
    kept: list[str] = []
    for t in tokens:
        if t in _UNITS and kept:
            unit = _UNITS[t]
        elif t in _PCT and kept:
            continue
        else:
            kept.append(t)
    return "_".join(kept), percent, unit


def recognise(header: list[str]) -> tuple[dict[str, Column], list[str], list[str]]:
    """Map roles to columns; return (columns, ignored headers, duplicate-role problems)."""
    cols: dict[str, Column] = {}
    ignored: list[str] = []
    problems: list[str] = []
    for i, raw in enumerate(header):
        key, pct, unit = normalise(raw)
        role = _LOOKUP.get(key)
        if role is None:
            ignored.append(raw)
            continue
        if role in cols:
            problems.append(
                f"{raw!r}: expected one {role} column (already read from {cols[role].header!r})"
            )
            continue
        cols[role] = Column(i, role, raw.strip().lstrip("\ufeff"), pct, unit)
    return cols, ignored, problems


def examples(role: str, k: int = 5) -> str:
    """A few accepted spellings, for error messages."""
    return ", ".join(_ALIASES[role][:k]) + " …"
