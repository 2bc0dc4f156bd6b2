import pytest

from engine.tuner import numbers as num


@pytest.mark.parametrize(
    ("raw", "dc", "value", "pct"),
    [
        ("1234", False, 1234.0, False),
        ("1,234", False, 1234.0, False),
        ("1,234,567.5", False, 1234567.5, False),
        ("1.234.567,5", True, 1234567.5, False),
        ("4,5", True, 4.5, False),
        ("0,25", False, 0.25, False),
        ("1.234", True, 1234.0, False),
        ("12.5", True, 12.5, False),
        ("3.2%", False, 0.032, True),
        ("3,2 %", True, 0.032, True),
        ("1 234", False, 1234.0, False),
        ("\u00a01\u202f234 ", False, 1234.0, False),
    ],
)
def test_parse_float_locales(raw, dc, value, pct):
    v, p = num.parse_float(raw, decimal_comma=dc)
    assert v == pytest.approx(value)
    assert p is pct


@pytest.mark.parametrize("raw", ["", "abc", "nan", "inf", "-inf", "1,23,4", "1.2.3"])
def test_parse_float_rejects(raw):
    with pytest.raises(ValueError, match="expected"):
        num.parse_float(raw)


def test_counts_accept_thousands_either_way_and_reject_fractions():
    assert num.parse_count("1,234") == 1234
    assert num.parse_count("1.234", decimal_comma=True) == 1234
    assert num.parse_count("1.234") == 1234  # a count is whole: grouping, not a decimal
    with pytest.raises(ValueError, match="whole"):
        num.parse_count("12.5")
    with pytest.raises(ValueError, match="non-negative"):
        num.parse_count("-3")
    with pytest.raises(ValueError, match="percent"):
        num.parse_count("5%")


def test_rates_and_flags():
    assert num.parse_rate("3.2", header_is_percent=True) == pytest.approx(0.032)
    assert num.parse_rate("0.032") == pytest.approx(0.032)
    with pytest.raises(ValueError, match="rate"):
        num.parse_rate("3.2")
    assert [num.parse_flag(x) for x in ("1", "0", "", "TRUE", "no", "yes")] == [1, 0, 0, 1, 0, 1]
    with pytest.raises(ValueError):
        num.parse_flag("2")
    assert num.decimals_of("3.25%") == 2
    assert num.decimals_of("1,234") == 0


def test_dates_order_settled_per_file():
    r = num.DateReader()
    r.parse("03/04/2024")
    r.parse("25/04/2024")  # settles day-first
    lo, hi = r.window()
    assert num.ordinal_to_iso(lo) == "2024-04-03"
    assert num.ordinal_to_iso(hi) == "2024-04-25"
    with pytest.raises(ValueError, match="one date order"):
        r.parse("04/25/2024")
    r2 = num.DateReader()
    for s in ("2024-05-02", "2024-05-03T10:00:00", "2024年5月4日", "05.05.2024", "20240506"):
        r2.parse(s)
    assert num.ordinal_to_iso(r2.window()[1]) == "2024-05-06"
    with pytest.raises(ValueError, match="date"):
        r2.parse("yesterday")
    with pytest.raises(ValueError, match="calendar"):
        r2.parse("2024-02-30")
