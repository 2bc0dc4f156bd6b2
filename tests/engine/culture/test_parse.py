"""parse_descriptors: English, Chinese without spaces, mixed; modifiers, negation, unknowns."""

from __future__ import annotations

import pytest

from engine.culture import REGION_IDS, get_region, parse_descriptors


def test_brief_example_chinese():
    r = parse_descriptors("敦煌飞天飘带，金色")
    assert r.regions == ["dunhuang"]
    assert r.motifs == [("dunhuang", "apsaras_ribbon")]
    assert r.attributes == {"gold": 1.0}
    assert ("dunhuang", "gold") in r.colours
    assert r.unknown == []
    assert r.english == "dunhuang flying apsaras ribbons, golden"
    assert r.recognised == ["敦煌", "飞天飘带", "金色"]


def test_mixed_input_dedupes_one_motif_named_twice():
    r = parse_descriptors("飞天 ribbons, golden accents")
    assert r.motifs == [("dunhuang", "apsaras_ribbon")]
    assert r.regions == ["dunhuang"]  # implied by an unambiguous motif
    assert r.attributes == {"gold": 1.0}
    assert r.english == "flying apsaras ribbons, golden"
    assert r.unknown == []


def test_english_multiword_before_single_words():
    r = parse_descriptors("Tibetan endless knot and key meander, flying apsaras")
    assert r.motifs == [
        ("tibetan", "endless_knot"),
        ("mongolian", "key_meander"),
        ("dunhuang", "apsaras_ribbon"),
    ]
    assert r.regions == ["tibetan", "mongolian", "dunhuang"]
    assert "endless knot" in r.english and "key meander" in r.english


def test_case_punctuation_and_width_insensitive():
    a = parse_descriptors("TIBETAN Endless-Knot!!! (GOLDEN)")
    b = parse_descriptors("tibetan endless knot, golden")
    assert (a.regions, a.motifs, a.attributes) == (b.regions, b.motifs, b.attributes)
    c = parse_descriptors("ＧＯＬＤＥＮ　ｌｏｔｕｓ")  # full-width Latin
    assert c.attributes == {"gold": 1.0} and c.unknown == []
    assert c.english == "golden lotus"


def test_chinese_punctuation_splits_clauses():
    r = parse_descriptors("江南蓝印花布、梅花；冰裂纹。疏朗")
    assert r.motifs == [
        ("jiangnan", "blue_calico"),
        ("jiangnan", "plum_blossom"),
        ("jiangnan", "ice_crack"),
    ]
    assert r.attributes == {"density": -1.0}
    assert r.english.count(",") == 3  # four clauses


def test_stop_words_and_function_chars_are_silent():
    r = parse_descriptors("a pattern with the motif of pomegranate in Xinjiang style")
    assert r.unknown == []
    assert r.motifs == [("xinjiang", "pomegranate")]
    assert "pattern" not in r.recognised and "the" not in r.recognised
    z = parse_descriptors("新疆的石榴和巴旦木纹样与图案")
    assert z.unknown == []
    assert z.motifs == [("xinjiang", "pomegranate"), ("xinjiang", "badam")]


def test_chinese_segmentation_prefers_full_coverage():
    # greedy would take 漩涡纹 and strand 样; the segmenter keeps 纹样 whole
    r = parse_descriptors("漩涡纹样")
    assert r.motifs == [("miao", "vortex_spiral")] and r.unknown == []
    # coverage beats fewer tokens: 漩涡+纹饰 (not 漩涡纹+饰), 梅+花窗 (not 梅花+窗)
    r = parse_descriptors("漩涡纹饰")
    assert r.motifs == [("miao", "vortex_spiral")] and r.unknown == []
    r = parse_descriptors("江南梅花窗")
    assert r.motifs == [("jiangnan", "plum_blossom"), ("jiangnan", "lattice_window")]
    assert r.unknown == []
    # a single character counts only when it is a lexicon term
    r = parse_descriptors("梅")
    assert r.motifs == [("jiangnan", "plum_blossom")]


def test_unknown_words_keep_original_spelling():
    r = parse_descriptors("Dunhuang Dragons, xyZZy 龙凤呈祥 lotus")
    assert r.unknown == ["Dragons", "xyZZy", "龙凤呈祥"]
    assert r.regions == ["dunhuang"]
    assert r.motifs == [("dunhuang", "caisson_lotus")]  # lotus narrowed by the named region


def test_unknown_chinese_run_between_terms():
    r = parse_descriptors("苗族恐龙蝴蝶")
    assert r.unknown == ["恐龙"]
    assert r.motifs == [("miao", "butterfly_mother")]


def test_modifiers_scale_strength():
    assert parse_descriptors("detailed").attributes == {"complexity": 0.7}
    assert parse_descriptors("very detailed").attributes == {"complexity": 1.0}  # clamped
    assert parse_descriptors("slightly detailed").attributes == {"complexity": 0.35}
    assert parse_descriptors("slightly sparse").attributes == {"density": -0.5}
    assert parse_descriptors("很密").attributes == {"density": 1.0}
    assert parse_descriptors("稍微密").attributes == {"density": 0.4}
    r = parse_descriptors("slightly sparse")
    assert r.english == "slightly sparse"


def test_negation():
    r = parse_descriptors("no gold, not symmetric")
    assert r.attributes == {"gold": -1.0, "symmetry": -1.0}
    assert r.colours == []  # an excluded colour is not a palette hint
    assert r.negated == ["gold"]
    assert r.english == "no gold, free-flowing"
    z = parse_descriptors("不要金色，不对称，不繁复")
    assert z.attributes == {"gold": -1.0, "symmetry": -1.0, "complexity": -1.0}
    assert z.english == "no gold, asymmetric, simple"
    assert parse_descriptors("not simple").attributes == {"complexity": 1.0}
    assert parse_descriptors("not very intricate").attributes == {"complexity": -0.5}


def test_negation_is_clause_scoped_and_excludes_motifs():
    r = parse_descriptors("no ribbons, lotus")
    assert r.motifs == [("dunhuang", "caisson_lotus"), ("tibetan", "lotus_tibetan")]
    assert r.negated == ["ribbons"]
    assert "ribbons" not in r.english
    r = parse_descriptors("without gold; golden")  # the second clause is not negated
    assert r.attributes == {"gold": 0.0}


def test_signed_attribute_vocabulary():
    cases = {
        "intricate": ("complexity", 1.0),
        "繁复": ("complexity", 1.0),
        "复杂": ("complexity", 1.0),
        "simple": ("complexity", -1.0),
        "简洁": ("complexity", -1.0),
        "简约": ("complexity", -1.0),
        "sparse": ("density", -1.0),
        "疏朗": ("density", -1.0),
        "dense": ("density", 1.0),
        "密集": ("density", 1.0),
        "golden": ("gold", 1.0),
        "金色": ("gold", 1.0),
        "金": ("gold", 1.0),
        "warm": ("warmth", 1.0),
        "暖色": ("warmth", 1.0),
        "cool": ("warmth", -1.0),
        "冷色": ("warmth", -1.0),
        "symmetric": ("symmetry", 1.0),
        "对称": ("symmetry", 1.0),
        "free-flowing": ("symmetry", -1.0),
        "自由": ("symmetry", -1.0),
    }
    for word, (attr, value) in cases.items():
        assert parse_descriptors(word).attributes == {attr: value}, word


def test_colour_words_map_to_region_colours():
    r = parse_descriptors("Jiangnan indigo")
    assert r.colours == [("jiangnan", "indigo")]
    r = parse_descriptors("藏族 红 松石绿")
    assert r.colours == [("tibetan", "maroon"), ("tibetan", "turquoise")]
    r = parse_descriptors("red")  # no region in context: every region's reds
    assert {rid for rid, _ in r.colours} >= {"dunhuang", "miao", "lingnan", "hakka", "xinjiang"}
    assert all("red" in get_region(rid).colour(cid).families for rid, cid in r.colours)
    r = parse_descriptors("朱砂")  # a region's own pigment name hints the region
    assert r.colours == [("dunhuang", "cinnabar")] and r.regions == ["dunhuang"]
    assert r.english == "cinnabar red"


def test_ambiguous_motif_resolved_by_context():
    assert parse_descriptors("knot").motifs == [
        ("tibetan", "endless_knot"),
        ("mongolian", "coiled_knot"),
    ]
    assert parse_descriptors("Mongolian knot").motifs == [("mongolian", "coiled_knot")]
    assert parse_descriptors("卷草纹，回纹").motifs == [
        ("mongolian", "scrolling_grass"),
        ("mongolian", "key_meander"),
    ]
    r = parse_descriptors("cloud")
    assert r.regions == []  # an ambiguous motif alone is no region hint


def test_plurals():
    r = parse_descriptors("pomegranates and butterflies")
    assert r.motifs == [("xinjiang", "pomegranate"), ("miao", "butterfly_mother")]
    assert r.unknown == []


def test_empty_and_junk():
    r = parse_descriptors("")
    assert (r.regions, r.motifs, r.attributes, r.unknown, r.english) == ([], [], {}, [], "")
    r = parse_descriptors("  ,,, ；；  ")
    assert r.unknown == [] and r.english == ""


# one Chinese and one English descriptor per region: (text, region, expected motif ids)
REGION_EXAMPLES = [
    (
        "敦煌藻井莲花，联珠纹，忍冬纹",
        "dunhuang",
        ["caisson_lotus", "pearl_roundel", "honeysuckle_scroll"],
    ),
    ("Dunhuang cloud scrolls and flame halos", "dunhuang", ["cloud_scroll", "flame_halo"]),
    ("苗族蜡染漩涡纹，银饰", "miao", ["batik_crackle", "vortex_spiral", "silver_ornament"]),
    (
        "Miao butterfly mother with cross-stitch diamonds",
        "miao",
        ["butterfly_mother", "diamond_cross_stitch"],
    ),
    (
        "藏式吉祥结，八吉祥，邦典条纹",
        "tibetan",
        ["endless_knot", "eight_auspicious", "pulu_stripes"],
    ),
    ("Tibetan double vajra and dharma wheel", "tibetan", ["double_vajra", "dharma_wheel"]),
    ("蒙古族犄纹盘肠", "mongolian", ["horn_pattern", "coiled_knot"]),
    ("Mongolian ram horns, greek key", "mongolian", ["horn_pattern", "key_meander"]),
    ("江南蓝印花布冰裂纹花窗", "jiangnan", ["blue_calico", "ice_crack", "lattice_window"]),
    ("Suzhou plum blossom, ink bamboo", "jiangnan", ["plum_blossom", "ink_bamboo"]),
    ("岭南木棉荔枝芭蕉香云纱", "lingnan", ["kapok", "lychee", "banana_leaf", "xiangyunsha"]),
    (
        "Cantonese embroidery, Manchurian windows, Canton porcelain",
        "lingnan",
        ["canton_embroidery", "manchurian_window", "canton_porcelain"],
    ),
    ("客家花布牡丹，土楼，灯笼", "hakka", ["peony_flower_cloth", "tulou_rings", "lantern"]),
    ("Hakka cool hat with woven flower band", "hakka", ["cool_hat", "flower_band"]),
    ("新疆艾德莱斯，巴旦木，八角星", "xinjiang", ["atlas_ikat", "badam", "eight_pointed_star"]),
    (
        "Uyghur pomegranate, carpet medallion, geometric interlace",
        "xinjiang",
        ["pomegranate", "carpet_medallion", "geometric_interlace"],
    ),
]


@pytest.mark.parametrize(("text", "region", "motifs"), REGION_EXAMPLES)
def test_examples_per_region(text, region, motifs):
    r = parse_descriptors(text)
    assert r.regions == [region]
    assert r.motifs == [(region, m) for m in motifs]
    assert r.unknown == []
    assert r.english.isascii() and r.english == r.english.lower()


def test_every_motif_name_parses_back_to_itself():
    for rid in REGION_IDS:
        for m in get_region(rid).motifs:
            for text in (m.name_en, m.name_zh):
                r = parse_descriptors(f"{get_region(rid).name_zh} {text}")
                assert r.motifs == [(rid, m.id)], (rid, text, r)
                assert r.unknown == [], (rid, text)


def test_chinese_degree_phrases_and_counts():
    assert parse_descriptors("不很繁复").attributes == {"complexity": -0.5}
    assert parse_descriptors("很多金色").attributes == {"gold": 1.0}
    r = parse_descriptors("2 butterflies, 蓝白相间的回纹")
    assert r.unknown == []  # counts and 相间 carry no style and are not reported
    assert r.motifs == [("miao", "butterfly_mother"), ("mongolian", "key_meander")]
    assert r.english == "butterfly mother, blue white key meander"


def test_excluded_colour_is_reported_as_negated():
    r = parse_descriptors("Miao, no silver")
    assert r.colours == [] and r.negated == ["silver"] and r.english == "miao"
