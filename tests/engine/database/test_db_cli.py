"""`wenyang db build | sheet | import` through the real CLI entry point."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.cli import main
from engine.culture import REGION_IDS
from engine.database import load_image, read_manifest
from engine.errors import UserInputError


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("db") / "tiles"
    assert (
        main(
            [
                "db",
                "build",
                "--out",
                str(out),
                "--per-region",
                "2",
                "--size",
                "48",
                "--seed",
                "3",
                "--workers",
                "2",
            ]
        )
        == 0
    )
    return out


def test_build_writes_images_and_manifest(built):
    recs = read_manifest(built)
    assert len(recs) == 2 * len(REGION_IDS)
    assert {r["region"] for r in recs} == set(REGION_IDS)
    assert len({r["id"] for r in recs}) == len(recs)
    img = load_image(built, recs[0])
    assert img.shape == (48, 48, 3)
    assert not any(p.name.endswith(".part") for p in built.parent.iterdir())


def test_build_is_deterministic_across_worker_counts(built, tmp_path):
    out = tmp_path / "one"
    assert (
        main(
            [
                "db",
                "build",
                "--out",
                str(out),
                "--per-region",
                "2",
                "--size",
                "48",
                "--seed",
                "3",
                "--workers",
                "1",
            ]
        )
        == 0
    )
    a, b = read_manifest(built), read_manifest(out)
    assert a == b
    assert np.array_equal(load_image(built, a[5]), load_image(out, b[5]))


def test_sheet(built, tmp_path):
    png = tmp_path / "sheet.png"
    assert (
        main(["db", "sheet", str(built), "--out", str(png), "--per-region", "2", "--tile", "32"])
        == 0
    )
    im = Image.open(png)
    assert im.width > 200 and im.height > 8 * 64


def test_bad_flags_and_missing_folder_exit_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["db", "build", "--out", str(tmp_path / "x"), "--per-region", "0"])
    assert e.value.code == 2
    assert main(["db", "sheet", str(tmp_path / "nope"), "--out", str(tmp_path / "s.png")]) == 2


def _photo(path: Path, w: int, h: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(path)


def test_import_good_rows(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    _photo(src / "a.png", 120, 80, 1)
    Image.fromarray(np.full((50, 90), 200, np.uint8)).save(src / "b.jpg")  # greyscale
    csv = tmp_path / "m.csv"
    csv.write_text(
        "file,region,motifs,caption,caption_zh\n"
        "a.png,miao,butterfly_mother;vortex_spiral,a Miao butterfly,苗族蝴蝶\n"
        "b.jpg,tibetan,pulu_stripes not_a_motif,grey pulu,\n",
        encoding="utf-8",
    )
    out = tmp_path / "db"
    assert (
        main(["db", "import", str(src), "--manifest", str(csv), "--out", str(out), "--size", "40"])
        == 0
    )
    recs = read_manifest(out)
    assert [r["region"] for r in recs] == ["miao", "tibetan"]
    assert recs[0]["motifs"] == ["butterfly_mother", "vortex_spiral"]
    assert recs[1]["motifs"] == ["pulu_stripes"]  # unknown motif warned and left out
    assert recs[0]["caption_zh"] == "苗族蝴蝶" and recs[1]["caption_zh"]
    img = load_image(out, recs[1])
    assert img.shape == (40, 40, 3)
    # measured, not guessed: a flat grey image has no edges, no warmth either way
    assert recs[1]["attributes"]["complexity"] == 0.0
    assert recs[1]["attributes"]["warmth"] == 0.5
    assert recs[0]["attributes"]["complexity"] > 0.5  # noise is all edges


def test_import_reports_every_bad_row_and_writes_nothing(tmp_path, capsys):
    src = tmp_path / "src"
    src.mkdir()
    _photo(src / "ok.png", 30, 30, 2)
    (src / "broken.png").write_bytes(b"not an image at all")
    csv = tmp_path / "bad.csv"
    csv.write_text(
        "file,region,motifs,caption\n"
        "ok.png,miao,butterfly_mother,fine row\n"
        "missing.png,miao,butterfly_mother,no such file\n"
        "broken.png,hakka,tulou_rings,unreadable\n"
        "ok.png,atlantis,,unknown region\n"
        "ok.png,lingnan,kapok,\n",
        encoding="utf-8",
    )
    out = tmp_path / "db"
    rc = main(["db", "import", str(src), "--manifest", str(csv), "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 2
    assert f"{csv}:3:" in err and "missing.png" in err
    assert f"{csv}:4:" in err and "unreadable" in err
    assert f"{csv}:5:" in err and "atlantis" in err
    assert f"{csv}:6:" in err and "empty caption" in err
    assert f"{csv}:2:" not in err
    assert "Traceback" not in err
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".db")]


def test_import_rejects_oversized_images(tmp_path, monkeypatch):
    import engine.database.importer as imp

    monkeypatch.setattr(imp, "MAX_PIXELS", 500)
    src = tmp_path / "src"
    src.mkdir()
    _photo(src / "big.png", 40, 40, 3)
    csv = tmp_path / "m.csv"
    csv.write_text("file,region,motifs,caption\nbig.png,miao,,big\n", encoding="utf-8")
    with pytest.raises(UserInputError, match=r"m.csv:2: .*over the"):
        imp.import_database(src, csv, tmp_path / "db")


def test_read_manifest_names_bad_lines(tmp_path):
    d = tmp_path / "db"
    d.mkdir()
    good = {
        "id": "x",
        "file": "images/x.png",
        "region": "miao",
        "motifs": [],
        "palette": [],
        "attributes": {k: 0.5 for k in ("complexity", "density", "gold", "warmth", "symmetry")},
        "caption_en": "a",
        "caption_zh": "甲",
        "seed": 1,
    }
    bad_attr = dict(good, attributes=dict(good["attributes"], gold=1.5))
    (d / "manifest.jsonl").write_text(
        json.dumps(good) + "\n{not json\n" + json.dumps(bad_attr) + "\n", encoding="utf-8"
    )
    with pytest.raises(UserInputError) as e:
        read_manifest(d)
    msg = str(e.value)
    assert "manifest.jsonl:2: not valid JSON" in msg and "manifest.jsonl:3: attributes.gold" in msg
