"""A malformed data file fails with a message naming the file and the field."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from engine.culture import LexiconDataError, load_lexicon
from engine.culture.loader import DATA_DIR
from engine.errors import UserInputError


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    out = tmp_path / "data"
    shutil.copytree(DATA_DIR, out)
    return out


def _edit(data: Path, name: str, change: Callable[[Any], None]) -> None:
    p = data / name
    doc = json.loads(p.read_text(encoding="utf-8"))
    change(doc)
    p.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")


def _fails(data: Path, *fragments: str) -> str:
    with pytest.raises(LexiconDataError) as exc:
        load_lexicon(data)
    msg = str(exc.value)
    for f in fragments:
        assert f in msg, msg
    assert isinstance(exc.value, UserInputError)  # the CLI shows it without a traceback
    return msg


def test_copy_loads(data_copy):
    assert len(load_lexicon(data_copy).regions) == 8


def test_bad_hex(data_copy):
    def change(d):
        d["regions"][2]["colours"][0]["hex"] = "#zz0000"

    _edit(data_copy, "regions.json", change)
    _fails(data_copy, "regions.json", "regions[2] (tibetan).colours[0].hex", "#RRGGBB")


def test_rgb_disagrees_with_hex(data_copy):
    def change(d):
        d["regions"][0]["colours"][1]["rgb"] = [1, 2, 3]

    _edit(data_copy, "regions.json", change)
    _fails(data_copy, "regions.json", "regions[0] (dunhuang).colours[1].rgb", "same colour")


def test_missing_field(data_copy):
    _edit(data_copy, "regions.json", lambda d: d["regions"][1]["motifs"][3].pop("note"))
    _fails(data_copy, "regions.json", "regions[1] (miao).motifs[3]", "'note'")


def test_too_few_motifs(data_copy):
    _edit(
        data_copy,
        "regions.json",
        lambda d: d["regions"][4].update(motifs=d["regions"][4]["motifs"][:5]),
    )
    _fails(data_copy, "regions[4] (jiangnan).motifs", "at least 6")


def test_wrong_motif_id(data_copy):
    def change(d):
        d["regions"][6]["motifs"][0]["id"] = "peony"

    _edit(data_copy, "regions.json", change)
    _fails(data_copy, "regions[6] (hakka).motifs", "peony_flower_cloth")


def test_unknown_region(data_copy):
    def change(d):
        d["regions"][7]["id"] = "atlantis"

    _edit(data_copy, "regions.json", change)
    _fails(data_copy, "regions[7].id", "xinjiang", "atlantis")


def test_english_field_with_chinese(data_copy):
    def change(d):
        d["regions"][3]["motifs"][1]["synonyms_en"][0] = "回纹"

    _edit(data_copy, "regions.json", change)
    _fails(data_copy, "regions[3] (mongolian).motifs[1].synonyms_en[0]", "English")


def test_metallic_flag(data_copy):
    def change(d):
        d["regions"][0]["colours"][0]["metallic"] = True  # azurite is not metal

    _edit(data_copy, "regions.json", change)
    _fails(data_copy, "colours[0].metallic", "gold/silver")


def test_invalid_json_names_line(data_copy):
    p = data_copy / "attributes.json"
    lines = p.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3] + ",,"
    p.write_text("\n".join(lines), encoding="utf-8")
    _fails(data_copy, "attributes.json:4", "invalid JSON")


def test_attribute_strength_out_of_range(data_copy):
    def change(d):
        d["attributes"]["gold"]["en"]["golden"] = 3

    _edit(data_copy, "attributes.json", change)
    _fails(data_copy, "attributes.json", "attributes.gold.en.golden", "[-1, 1]")


def test_missing_attribute(data_copy):
    _edit(data_copy, "attributes.json", lambda d: d["attributes"].pop("warmth"))
    _fails(data_copy, "attributes.json", "complexity, density, gold, warmth, symmetry")


def test_stop_word_that_is_a_term(data_copy):
    _edit(data_copy, "words.json", lambda d: d["stop_words"]["en"].append("lotus"))
    _fails(data_copy, "words.json", "stop_words.en", "'lotus'")


def test_unknown_colour_family(data_copy):
    def change(d):
        d["regions"][5]["colours"][0]["families"] = ["ultraviolet"]

    _edit(data_copy, "regions.json", change)
    _fails(data_copy, "regions[5] (lingnan).colours[0].families[0]", "ultraviolet")
