"""Results CSVs in the styles shops and A/B tools export, and every kind of bad row."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.errors import UserInputError
from engine.tuner.csvimport import import_results

IDS = [f"v{i}" for i in range(1, 7)]
CREATED = {i: 738_642 for i in IDS}  # 2023-05-01 (day ordinal)


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def errors_of(exc: pytest.ExceptionInfo) -> list[str]:
    return [ln for ln in str(exc.value).splitlines()[1:] if ln]


def test_template_style(tmp_path):
    p = write(
        tmp_path,
        "r.csv",
        "variant_id,impressions,clicks,shares,dwell_seconds_total\n"
        "v1,1000,32,5,20000\nv2,2000,80,0,41000.5\n",
    )
    res = import_results([p], IDS)
    assert res.arms["v1"].impressions == 1000 and res.arms["v1"].clicks == 32
    assert res.arms["v2"].dwell_total == pytest.approx(41000.5)
    assert res.has_shares and res.has_dwell
    assert res.files[0].mode == "aggregate" and res.files[0].delimiter == ","


def test_bom_semicolon_decimal_comma_percent_mean_dwell(tmp_path):
    text = (
        "Variation;Users;CTR (%);Shares;Avg. time on page (s);Dwell SD\n"
        "v1;1.000;3,2;5;20,5;10\n"
        "v2;2.500;4;7;19;8,5\n"
    )
    p = write(tmp_path, "r.csv", text, "utf-8-sig")
    res = import_results([p], IDS)
    a1, a2 = res.arms["v1"], res.arms["v2"]
    assert (a1.impressions, a1.clicks, a1.shares) == (1000, 32, 5)
    assert (a2.impressions, a2.clicks) == (2500, 100)
    assert a1.dwell_total == pytest.approx(20500.0) and a1.dwell_n == 1000
    assert a1.dwell_sumsq == pytest.approx(999 * 100 + 1000 * 20.5**2)
    assert res.files[0].delimiter == ";"


def test_quoted_thousands_percent_strings_and_total_row(tmp_path):
    text = (
        "Arm,Impressions,Clicks,CTR,Time on page (ms)\n"
        'v1,"12,000",384,3.20%,"20,000"\n'
        'V2 ,"1,500",45,3.0%,18000\n'
        'Total,"13,500",429,3.18%,\n'
    )
    res = import_results([write(tmp_path, "r.csv", text)], IDS)
    assert res.arms["v1"].impressions == 12_000 and res.arms["v1"].clicks == 384
    assert res.arms["v1"].dwell_total == pytest.approx(20.0 * 12_000)  # ms -> s, mean x n
    assert res.arms["v2"].impressions == 1500  # case/space-insensitive id
    assert not res.has_shares


def test_chinese_headers_and_gbk_fallback(tmp_path):
    text = "变体,曝光量,点击量,分享数,总停留时长\nv1,100,3,1,2000\nv3,200,9,2,3900\n"
    res = import_results([write(tmp_path, "cn.csv", text, "gb18030")], IDS)
    assert res.arms["v3"].clicks == 9 and res.arms["v3"].shares == 2
    assert any("GB18030" in n for n in res.notes)


def test_tab_separated_utf16_excel(tmp_path):
    text = "variant\tviews\tclicks\nv1\t100\t3\n"
    res = import_results([write(tmp_path, "x.csv", text, "utf-16")], IDS)
    assert res.arms["v1"].impressions == 100


def test_event_rows_stream_into_totals(tmp_path):
    rows = ["variant,clicked,shared,dwell,timestamp"]
    rows += [
        "v1,1,0,12.5,2024-05-02T10:00:00",
        "v1,0,,3,2024-05-02T10:01:00",
        "v2,true,yes,,2024-05-03T09:00:00",
        "v2.png,no,no,7,2024-05-03T09:00:01",
    ]
    res = import_results([write(tmp_path, "ev.csv", "\n".join(rows) + "\n")], IDS)
    a1, a2 = res.arms["v1"], res.arms["v2"]
    assert (a1.impressions, a1.clicks, a1.shares, a1.dwell_n) == (2, 1, 0, 2)
    assert a1.dwell_total == pytest.approx(15.5) and a1.dwell_sumsq == pytest.approx(165.25)
    assert (a2.impressions, a2.clicks, a2.shares, a2.dwell_n) == (2, 1, 1, 1)
    assert res.files[0].mode == "events" and res.window == ("2024-05-02", "2024-05-03")


def test_daily_rows_sum_and_identical_duplicates_count_once(tmp_path):
    a = write(
        tmp_path, "a.csv", "date,variant,visitors,clicks\n2024-05-02,v1,100,3\n2024-05-03,v1,50,2\n"
    )
    b = write(tmp_path, "b.csv", "date,variant,visitors,clicks\n2024-05-03,v1,50,2\n")
    res = import_results([a, b], IDS)
    assert (res.arms["v1"].impressions, res.arms["v1"].clicks) == (150, 5)
    assert any("duplicate" in n for n in res.notes)


def test_channels_summed_only_when_asked(tmp_path):
    a = write(tmp_path, "a.csv", "variant,impressions,clicks\nv1,100,3\n")
    b = write(tmp_path, "b.csv", "variant,impressions,clicks\nv1,200,9\n")
    with pytest.raises(UserInputError) as e:
        import_results([a, b], IDS)
    assert re.search(
        r"b\.csv:2: variant: 'v1': expected one row per variant: .*a\.csv:2", str(e.value)
    )
    res = import_results([a, b], IDS, duplicates="sum")
    assert res.arms["v1"].impressions == 300


BAD = [
    # (csv text, expected fragments of the single problem line)
    ("variant,impressions,clicks\nv1,100,120\n", "r.csv:2: clicks: '120': expected at most"),
    ("variant,impressions,clicks,shares\nv1,100,1,101\n", "shares: '101': expected at most"),
    ("variant,impressions,clicks\nv1,-5,0\n", "impressions: '-5': expected a non-neg"),
    ("variant,impressions,clicks\nv1,NaN,0\n", "r.csv:2: impressions: 'NaN': expected a finite"),
    ("variant,impressions,clicks\nv1,10.5,0\n", "r.csv:2: impressions: '10.5': expected a whole"),
    ("variant,impressions,clicks\nv9,10,0\n", "r.csv:2: variant: 'v9': expected a variant id"),
    ("variant,impressions,clicks\nv1,10\n", "r.csv:2: row: 'v1,10': expected 3 fields"),
    ("variant,impressions,clicks\nv1,,1\n", "r.csv:2: impressions: '': expected a count"),
    ("variant,impressions,clicks,ctr\nv1,1000,32,9%\n", "r.csv:2: ctr: '9%': expected 32/1000"),
    ("variant,impressions,ctr\nv1,1000,3.2\n", "r.csv:2: ctr: '3.2': expected a rate"),
    ("variant,impressions,clicks,dwell\nv1,10,1,-3\n", "r.csv:2: dwell: '-3': expected a non-neg"),
    ("variant,impressions,clicks,date\nv1,10,1,31/31/2024\n", "r.csv:2: date: '31/31/2024'"),
    ("variant,impressions,clicks,date\nv1,10,1,2020-01-01\n", "on or after the variant"),
    ("variant,impressions,clicks\nv1,10,1\nv1,10,2\n", "r.csv:3: variant: 'v1': expected one row"),
    ("name,impressions,clicks\nv1,10,1\n",
     "r.csv:1: header: 'name,impressions,clicks': expected a variant id"),
    ("variant,colour\nv1,red\n", "r.csv:1: header: 'variant,colour': expected an impressions"),
    ("variant,impressions\nv1,10\n", "expected a clicks or CTR column"),
    ("variant,clicked\nv1,2\n", "r.csv:2: clicked: '2': expected 0/1"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "fragment"), BAD)
def test_each_bad_row_is_reported_with_file_line_column_value(tmp_path, text, fragment):
    p = write(tmp_path, "r.csv", text)
    with pytest.raises(UserInputError) as e:
        import_results([p], IDS, created=CREATED)
    lines = errors_of(e)
    assert len(lines) == 1, lines
    assert fragment in lines[0].replace(str(tmp_path) + "/", "")
    assert "nothing was imported" in str(e.value)


def test_all_problems_in_all_files_are_collected(tmp_path):
    a = write(
        tmp_path, "a.csv", "variant,impressions,clicks\nv1,10,20\nv2,x,1\nv3,5,1\nbogus,5,1\n"
    )
    b = write(tmp_path, "b.csv", "variant;impressions;clicks\nv4;5;-1\n")
    with pytest.raises(UserInputError) as e:
        import_results([a, b, tmp_path / "missing.csv"], IDS)
    lines = errors_of(e)
    assert len(lines) == 5, lines
    assert [ln.split(": ")[0].rsplit("/", 1)[-1] for ln in lines] == [
        "a.csv:2",
        "a.csv:3",
        "a.csv:5",
        "b.csv:2",
        "missing.csv:0",
    ]


def test_dates_outside_one_test_window(tmp_path):
    a = write(tmp_path, "a.csv", "date,variant,visitors,clicks\n2023-05-02,v1,10,1\n")
    b = write(tmp_path, "b.csv", "date,variant,visitors,clicks\n2024-01-02,v2,10,1\n")
    with pytest.raises(
        UserInputError,
        match=r"b\.csv:0: date: '2024-01-02': expected all "
        r"results within one test window",
    ):
        import_results([a, b], IDS, created=CREATED)


def test_problems_are_available_as_a_list_for_the_gui(tmp_path):
    from engine.tuner.csvimport import ResultsError

    p = write(tmp_path, "r.csv", "variant,impressions,clicks\nv1,10,20\nv2,5,-1\n")
    with pytest.raises(ResultsError) as e:
        import_results([p], IDS)
    assert e.value.count == 2 and len(e.value.problems) == 2
    assert e.value.problems[1].endswith("clicks: '-1': expected a non-negative count")


def test_external_control_arm_is_accepted_only_when_named(tmp_path):
    from engine.tuner.reward import arm_figures

    p = write(tmp_path, "r.csv", "variant,impressions,clicks\ncontrol,1000,32\nv1,1000,45\n")
    with pytest.raises(UserInputError, match="'control': expected a variant id"):
        import_results([p], IDS)
    res = import_results([p], IDS, extra_arms=["control"])
    f = arm_figures(res, baseline="control")
    row = {v: i for i, v in enumerate(f.ids)}
    assert f.index[row["control"], 0] == pytest.approx(100.0)
    assert f.index[row["v1"], 0] > 100.0
