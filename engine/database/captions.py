"""English and Chinese captions built from a tile's annotations, in several phrasings.

Captions only say what the annotations say (region, motifs, ground colour, attribute
words), so that text–image pairs for CLIP are true; varied templates keep the text encoder
from learning one sentence shape.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engine.culture import get_region


def _attr_words(a: dict[str, float]) -> tuple[list[str], list[str]]:
    en: list[str] = []
    zh: list[str] = []
    if a["complexity"] >= 0.66:
        en.append("intricate")
        zh.append("繁复")
    elif a["complexity"] <= 0.3:
        en.append("simple")
        zh.append("简洁")
    if a["density"] >= 0.66:
        en.append("dense")
        zh.append("密集")
    elif a["density"] <= 0.3:
        en.append("sparse")
        zh.append("疏朗")
    if a["symmetry"] >= 0.75:
        en.append("symmetric")
        zh.append("对称")
    elif a["symmetry"] <= 0.3:
        en.append("free-flowing")
        zh.append("自由")
    if a["warmth"] >= 0.7:
        en.append("warm")
        zh.append("暖色")
    elif a["warmth"] <= 0.3:
        en.append("cool")
        zh.append("冷色")
    return en, zh


def _gold_words(region_id: str, a: dict[str, float]) -> tuple[str, str] | None:
    reg = get_region(region_id)
    met = [c for c in reg.colours if c.metallic]
    if not met or a["gold"] < 0.35:
        return None
    c = met[0]
    heavy = a["gold"] >= 0.75
    en = f"{'rich ' if heavy else ''}{c.name_en.lower()} accents"
    zh = f"{'大面积' if heavy else ''}{c.name_zh}色点缀"
    return en, zh


def _join_en(words: Sequence[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def captions(
    region_id: str,
    motifs: Sequence[str],
    attributes: dict[str, float],
    palette_hex: Sequence[str],
    rng: np.random.Generator,
) -> tuple[str, str]:
    """(caption_en, caption_zh) for one tile."""
    reg = get_region(region_id)
    by_id = {m.id: m for m in reg.motifs}
    ms = [by_id[m] for m in motifs if m in by_id]
    cols = {c.hex.upper(): c for c in reg.colours}
    ground = cols.get(palette_hex[0].upper()) if palette_hex else None
    en_attr, zh_attr = _attr_words(attributes)
    gold = _gold_words(region_id, attributes)
    rng_attr = [w for w in en_attr if rng.random() < 0.8]
    zh_pick = [zh_attr[en_attr.index(w)] for w in rng_attr]

    prim_en = ms[0].name_en if ms else "motifs"
    prim_zh = ms[0].name_zh if ms else "纹样"
    rest_en = [m.name_en for m in ms[1:]]
    rest_zh = [m.name_zh for m in ms[1:]]
    adj = " ".join(rng_attr[:3])
    art = "an" if (adj or reg.name_en)[:1].lower() in "aeiou" else "a"
    tails_en: list[str] = []
    tails_zh: list[str] = []
    if rest_en:
        tails_en.append("with " + _join_en(rest_en))
        tails_zh.append("、".join(rest_zh) + "点缀")
    if gold and not (ground is not None and ground.metallic):  # a gilded ground says it
        tails_en.append(gold[0])
        tails_zh.append(gold[1])
    if ground is not None:
        gname = ground.name_en.lower()
        tails_en.append(f"on {gname}" + ("" if gname.endswith("ground") else " ground"))
        tails_zh.append(ground.name_zh + ("" if ground.name_zh.endswith("底") else "底"))

    style = int(rng.integers(4))
    if style == 0:
        en = f"{art} {adj + ' ' if adj else ''}{reg.name_en} pattern of {prim_en}"
    elif style == 1:
        en = f"{reg.name_en} {prim_en} motif{', ' + adj if adj else ''}"
    elif style == 2:
        en = f"seamless {reg.name_en} textile tile: {prim_en}{' (' + adj + ')' if adj else ''}"
    else:
        en = f"{prim_en} in the {reg.name_en} tradition{', ' + adj if adj else ''}"
    if tails_en:
        en += ", " + ", ".join(tails_en)

    zh_adj = "".join(f"{w}" for w in zh_pick[:3])
    zstyle = int(rng.integers(3))
    if zstyle == 0:
        zh = f"{reg.name_zh}{prim_zh}纹样"
    elif zstyle == 1:
        zh = f"{zh_adj + '的' if zh_adj else ''}{reg.name_zh}风格{prim_zh}"
        zh_adj = ""
    else:
        zh = f"{reg.name_zh}传统{prim_zh}四方连续图案"
    parts = [zh, *tails_zh]
    if zh_adj:
        parts.insert(1, "、".join(zh_pick[:3]))
    zh = "，".join(parts)
    return en, zh
