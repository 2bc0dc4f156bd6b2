"""The shipped lexicon data: complete, consistent, and matching the agreed ids."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from engine import culture
from engine.culture import ATTRIBUTES, REGION_IDS, get_region, regions

# The motif ids as written in the brief's shared interfaces (independent copy on purpose).
BRIEF_MOTIFS = {
    "dunhuang": "caisson_lotus apsaras_ribbon honeysuckle_scroll pearl_roundel cloud_scroll "
    "flame_halo scrolling_vine",
    "miao": "butterfly_mother vortex_spiral diamond_cross_stitch batik_crackle silver_ornament "
    "bronze_drum_sun zigzag_band",
    "tibetan": "endless_knot eight_auspicious pulu_stripes double_vajra dharma_wheel lotus_tibetan "
    "cloud_flame_border",
    "mongolian": "horn_pattern key_meander cloud_motif coiled_knot roundel scrolling_grass",
    "jiangnan": "blue_calico plum_blossom ice_crack lattice_window ink_bamboo suzhou_embroidery",
    "lingnan": "kapok lychee canton_embroidery banana_leaf xiangyunsha manchurian_window "
    "canton_porcelain",
    "hakka": "peony_flower_cloth tulou_rings indigo_cloth lantern flower_band cool_hat",
    "xinjiang": "atlas_ikat pomegranate badam eight_pointed_star carpet_medallion "
    "geometric_interlace",
}


def _has_cjk(s: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in s)


def test_region_ids_and_attributes_match_the_brief():
    assert REGION_IDS == (
        "dunhuang",
        "miao",
        "tibetan",
        "mongolian",
        "jiangnan",
        "lingnan",
        "hakka",
        "xinjiang",
    )
    assert ATTRIBUTES == ("complexity", "density", "gold", "warmth", "symmetry")
    assert [r.id for r in regions()] == list(REGION_IDS)


@pytest.mark.parametrize("rid", REGION_IDS)
def test_region_names_and_motif_ids(rid):
    r = get_region(rid)
    assert r.name_en.isascii() and r.name_en[0].isupper()
    assert _has_cjk(r.name_zh)
    assert len(r.description) > 40
    assert tuple(m.id for m in r.motifs) == tuple(BRIEF_MOTIFS[rid].split())
    assert len(r.motifs) >= 6


@pytest.mark.parametrize("rid", REGION_IDS)
def test_motifs_have_bilingual_names_synonyms_and_notes(rid):
    for m in get_region(rid).motifs:
        assert m.name_en.isascii() and _has_cjk(m.name_zh), m.id
        assert len(m.synonyms_en) >= 2 and len(m.synonyms_zh) >= 2, m.id
        assert all(s.isascii() for s in m.synonyms_en), m.id
        assert all(_has_cjk(s) for s in m.synonyms_zh), m.id
        assert len(m.note) > 30 and m.note.rstrip().endswith("."), m.id


@pytest.mark.parametrize("rid", REGION_IDS)
def test_colours(rid):
    colours = get_region(rid).colours
    assert len(colours) >= 6
    ids = [c.id for c in colours]
    assert len(set(ids)) == len(ids)
    for c in colours:
        assert len(c.hex) == 7 and c.hex.startswith("#") and c.hex == c.hex.upper()
        assert tuple(int(c.hex[i : i + 2], 16) for i in (1, 3, 5)) == c.rgb
        assert all(isinstance(v, int) and 0 <= v <= 255 for v in c.rgb)
        assert c.metallic == (c.id in ("gold", "silver")), c.id
        assert c.name_en.isascii() and _has_cjk(c.name_zh)
        assert c.families


def test_culture_md_colours_are_present():
    # a few anchors from CULTURE.md
    assert culture.region_colour("dunhuang", "azurite").hex == "#2E5E8C"
    assert culture.region_colour("dunhuang", "cinnabar").name_zh == "朱砂"
    assert culture.region_colour("tibetan", "turquoise").name_zh == "松石绿"
    assert culture.region_colour("jiangnan", "indigo").hex == "#22427C"
    assert culture.region_colour("miao", "silver").metallic
    assert culture.region_colour("lingnan", "gold").rgb == (0xD4, 0xA0, 0x17)


def test_unique_motif_ids_and_frozen_values():
    r = get_region("dunhuang")
    assert len({m.id for m in r.motifs}) == len(r.motifs)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.name_en = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.motifs[0].note = "x"  # type: ignore[misc]


def test_lookup_helpers_and_errors():
    m = culture.motif("dunhuang", "apsaras_ribbon")
    assert m.name_zh == "飞天飘带" and "飞天" in m.synonyms_zh
    with pytest.raises(KeyError, match="dunhuang, miao"):
        get_region("atlantis")
    with pytest.raises(KeyError, match="no motif"):
        culture.motif("miao", "apsaras_ribbon")
    with pytest.raises(KeyError, match="no colour"):
        culture.region_colour("miao", "azurite")


def test_all_terms_for_autocompletion():
    terms = culture.all_terms()
    kinds = {k for _, _, k, _ in terms}
    assert kinds == {"region", "motif", "colour", "attribute", "modifier"}
    assert ("飞天", "zh", "motif", "dunhuang") in terms
    assert ("endless knot", "en", "motif", "tibetan") in terms
    assert ("繁复", "zh", "attribute", None) in terms
    assert ("Xinjiang", "en", "region", "xinjiang") in terms
    assert not any(t == "the" for t, _, _, _ in terms)  # stop words are not offered
    for rid in REGION_IDS:  # every motif can be typed in both languages
        for m in get_region(rid).motifs:
            assert (m.name_zh, "zh", "motif", rid) in terms
            assert (m.name_en, "en", "motif", rid) in terms


def test_import_is_light():
    """The lexicon must not drag in heavy libraries (the GUI imports it at start-up)."""
    code = (
        "import sys, time; t = time.perf_counter(); import engine.culture; "
        "print(time.perf_counter() - t); "
        "print(any(m in sys.modules for m in ('numpy', 'torch', 'PySide6')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out[1] == "False"
    assert float(out[0]) < 1.0  # generous: ~30 ms idle, shared CI machines are noisy
