"""Read and check the lexicon's data files, so a bad edit fails at import with a precise message.

Every problem raises `LexiconDataError` naming the file and the JSON path of the field
(e.g. ``regions.json: regions[2].colours[0].hex: ...``) and what was expected.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NamedTuple

from engine.culture.model import ATTRIBUTES, MOTIF_IDS, REGION_IDS, Colour, Motif, Region
from engine.culture.text import has_cjk
from engine.errors import UserInputError

DATA_DIR = Path(__file__).resolve().parent / "data"
REGIONS_FILE = "regions.json"
ATTRIBUTES_FILE = "attributes.json"
WORDS_FILE = "words.json"

MIN_MOTIFS = 6
MIN_COLOURS = 6


def _is_hex(s: str) -> bool:
    return len(s) == 7 and s[0] == "#" and all(c in "0123456789ABCDEF" for c in s[1:])


def _is_id(s: str) -> bool:
    return (
        bool(s)
        and s.isascii()
        and s[0].isalpha()
        and s == s.lower()
        and s.replace("_", "").isalnum()
    )


class LexiconDataError(UserInputError):
    """A lexicon data file is malformed; the message names the file and the field."""


class AttributeWord(NamedTuple):
    """One attribute word: which attribute, signed strength, and how to say it in English."""

    attribute: str
    strength: float
    english: str


class LexiconData(NamedTuple):
    """Everything read from the data files, checked and typed."""

    regions: tuple[Region, ...]
    attribute_words: dict[str, dict[str, AttributeWord]]  # lang -> term -> word
    poles: dict[str, tuple[str, str]]  # attribute -> (positive, negative) English words
    modifiers: dict[str, dict[str, float]]  # lang -> term -> factor
    colour_families: dict[str, dict[str, tuple[str, ...]]]  # family -> lang -> terms
    stop_words: dict[str, frozenset[str]]  # lang -> terms


class _Checker:
    """Walks a decoded JSON document, tracking the field path for error messages."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, expected: str, got: Any = None) -> LexiconDataError:
        got_s = "" if got is None else f", got {json.dumps(got, ensure_ascii=False)[:80]}"
        return LexiconDataError(f"expected {expected}{got_s}", path=self.path.name, field=where)

    def obj(self, v: Any, where: str) -> dict[str, Any]:
        if not isinstance(v, dict):
            raise self.fail(where, "an object", v)
        return v

    def key(self, d: dict[str, Any], k: str, where: str) -> Any:
        if k not in d:
            raise LexiconDataError(
                f"missing required field {k!r}", path=self.path.name, field=where
            )
        return d[k]

    def text(self, d: dict[str, Any], k: str, where: str, *, zh: bool | None = False) -> str:
        """A required string; zh=True must contain Chinese, False must not, None is free text."""
        v = self.key(d, k, where)
        sub = f"{where}.{k}"
        if not isinstance(v, str) or not v.strip():
            raise self.fail(sub, "a non-empty string", v)
        if zh and not has_cjk(v):
            raise self.fail(sub, "Chinese text", v)
        if zh is False and has_cjk(v):
            raise self.fail(sub, "English text without Chinese characters", v)
        return v.strip()

    def texts(self, d: dict[str, Any], k: str, where: str, *, zh: bool) -> tuple[str, ...]:
        v = self.key(d, k, where)
        if not isinstance(v, list):
            raise self.fail(f"{where}.{k}", "a list of strings", v)
        out: list[str] = []
        for i, item in enumerate(v):
            sub = f"{where}.{k}[{i}]"
            if not isinstance(item, str) or not item.strip():
                raise self.fail(sub, "a non-empty string", item)
            if zh != bool(has_cjk(item)):
                raise self.fail(sub, "Chinese text" if zh else "English text", item)
            out.append(item.strip())
        return tuple(out)

    def ident(self, d: dict[str, Any], where: str) -> str:
        v = self.key(d, "id", where)
        if not isinstance(v, str) or not _is_id(v):
            raise self.fail(f"{where}.id", "a lower_snake_case id", v)
        return v

    def number(self, v: Any, where: str, lo: float, hi: float) -> float:
        if isinstance(v, bool) or not isinstance(v, int | float) or not lo <= v <= hi or v == 0:
            raise self.fail(where, f"a non-zero number in [{lo}, {hi}]", v)
        return float(v)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LexiconDataError(f"cannot read lexicon file: {exc}", path=str(path)) from exc
    try:
        doc = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise LexiconDataError(
            f"invalid JSON: {exc.msg} (column {exc.colno})", path=path.name, line=exc.lineno
        ) from exc
    return _Checker(path).obj(doc, "(top level)")


def _load_colour(ck: _Checker, c: dict[str, Any], where: str, families: set[str]) -> Colour:
    cid = ck.ident(c, where)
    hex_ = ck.key(c, "hex", where)
    if not isinstance(hex_, str) or not _is_hex(hex_):
        raise ck.fail(f"{where}.hex", "an upper-case '#RRGGBB' string", hex_)
    rgb = ck.key(c, "rgb", where)
    if (
        not isinstance(rgb, list)
        or len(rgb) != 3
        or not all(isinstance(x, int) and not isinstance(x, bool) and 0 <= x <= 255 for x in rgb)
    ):
        raise ck.fail(f"{where}.rgb", "three integers 0..255", rgb)
    rgb_t = (rgb[0], rgb[1], rgb[2])
    if "#{:02X}{:02X}{:02X}".format(*rgb_t) != hex_:
        raise ck.fail(f"{where}.rgb", f"the same colour as hex {hex_}", rgb)
    metallic = ck.key(c, "metallic", where)
    if not isinstance(metallic, bool):
        raise ck.fail(f"{where}.metallic", "true or false", metallic)
    fams = ck.texts(c, "families", where, zh=False)
    for i, f in enumerate(fams):
        if f not in families:
            raise ck.fail(f"{where}.families[{i}]", f"one of {sorted(families)}", f)
    if metallic != bool({"gold", "silver"} & set(fams)):
        raise ck.fail(f"{where}.metallic", "true exactly for gold/silver colours", metallic)
    return Colour(
        id=cid,
        name_en=ck.text(c, "name_en", where),
        name_zh=ck.text(c, "name_zh", where, zh=True),
        rgb=rgb_t,
        hex=hex_,
        metallic=metallic,
        families=fams,
        synonyms_en=ck.texts(c, "synonyms_en", where, zh=False),
        synonyms_zh=ck.texts(c, "synonyms_zh", where, zh=True),
    )


def _load_motif(ck: _Checker, m: dict[str, Any], where: str) -> Motif:
    return Motif(
        id=ck.ident(m, where),
        name_en=ck.text(m, "name_en", where),
        name_zh=ck.text(m, "name_zh", where, zh=True),
        synonyms_en=ck.texts(m, "synonyms_en", where, zh=False),
        synonyms_zh=ck.texts(m, "synonyms_zh", where, zh=True),
        note=ck.text(m, "note", where, zh=None),
    )


def _unique(ck: _Checker, ids: list[str], where: str, what: str) -> None:
    seen: set[str] = set()
    for i, x in enumerate(ids):
        if x in seen:
            raise ck.fail(f"{where}[{i}].id", f"a {what} id not used before in this list", x)
        seen.add(x)


def load_regions(path: Path, families: set[str]) -> tuple[Region, ...]:
    ck = _Checker(path)
    doc = _read_json(path)
    items = ck.key(doc, "regions", "(top level)")
    if not isinstance(items, list):
        raise ck.fail("regions", "a list of regions", items)
    out: list[Region] = []
    for ri, r_any in enumerate(items):
        where = f"regions[{ri}]"
        r = ck.obj(r_any, where)
        rid = ck.ident(r, where)
        if rid not in REGION_IDS:
            raise ck.fail(f"{where}.id", f"one of {', '.join(REGION_IDS)}", rid)
        where = f"regions[{ri}] ({rid})"
        motifs_raw = ck.key(r, "motifs", where)
        colours_raw = ck.key(r, "colours", where)
        if not isinstance(motifs_raw, list) or len(motifs_raw) < MIN_MOTIFS:
            raise ck.fail(
                f"{where}.motifs",
                f"a list of at least {MIN_MOTIFS} motifs",
                len(motifs_raw) if isinstance(motifs_raw, list) else motifs_raw,
            )
        if not isinstance(colours_raw, list) or len(colours_raw) < MIN_COLOURS:
            raise ck.fail(
                f"{where}.colours",
                f"a list of at least {MIN_COLOURS} colours",
                len(colours_raw) if isinstance(colours_raw, list) else colours_raw,
            )
        motifs = tuple(
            _load_motif(ck, ck.obj(m, f"{where}.motifs[{i}]"), f"{where}.motifs[{i}]")
            for i, m in enumerate(motifs_raw)
        )
        colours = tuple(
            _load_colour(ck, ck.obj(c, f"{where}.colours[{i}]"), f"{where}.colours[{i}]", families)
            for i, c in enumerate(colours_raw)
        )
        _unique(ck, [m.id for m in motifs], f"{where}.motifs", "motif")
        _unique(ck, [c.id for c in colours], f"{where}.colours", "colour")
        if tuple(m.id for m in motifs) != MOTIF_IDS[rid]:
            raise ck.fail(
                f"{where}.motifs",
                f"motif ids {', '.join(MOTIF_IDS[rid])} in this order",
                [m.id for m in motifs],
            )
        out.append(
            Region(
                id=rid,
                name_en=ck.text(r, "name_en", where),
                name_zh=ck.text(r, "name_zh", where, zh=True),
                description=ck.text(r, "description", where, zh=None),
                motifs=motifs,
                colours=colours,
                synonyms_en=ck.texts(r, "synonyms_en", where, zh=False),
                synonyms_zh=ck.texts(r, "synonyms_zh", where, zh=True),
            )
        )
    if tuple(r.id for r in out) != REGION_IDS:
        raise ck.fail(
            "regions", f"the regions {', '.join(REGION_IDS)} in this order", [r.id for r in out]
        )
    return tuple(out)


def _lang_table(ck: _Checker, d: dict[str, Any], where: str) -> tuple[dict[str, Any], ...]:
    return tuple(ck.obj(ck.key(d, lang, where), f"{where}.{lang}") for lang in ("en", "zh"))


def load_attributes(
    path: Path,
) -> tuple[
    dict[str, dict[str, AttributeWord]], dict[str, tuple[str, str]], dict[str, dict[str, float]]
]:
    ck = _Checker(path)
    doc = _read_json(path)
    attrs = ck.obj(ck.key(doc, "attributes", "(top level)"), "attributes")
    if set(attrs) != set(ATTRIBUTES):
        raise ck.fail(
            "attributes", f"exactly the attributes {', '.join(ATTRIBUTES)}", sorted(attrs)
        )
    words: dict[str, dict[str, AttributeWord]] = {"en": {}, "zh": {}}
    poles: dict[str, tuple[str, str]] = {}
    for attr in ATTRIBUTES:
        where = f"attributes.{attr}"
        a = ck.obj(attrs[attr], where)
        p = ck.obj(ck.key(a, "poles", where), f"{where}.poles")
        poles[attr] = (
            ck.text(p, "positive", f"{where}.poles"),
            ck.text(p, "negative", f"{where}.poles"),
        )
        en, zh = _lang_table(ck, a, where)
        for term, s in en.items():
            if has_cjk(term):
                raise ck.fail(f"{where}.en.{term}", "an English word")
            english = term  # an English word says itself unless given [strength, "rendering"]
            if isinstance(s, list) and len(s) == 2 and isinstance(s[1], str) and s[1].strip():
                s, english = s[0], s[1].strip()
            words["en"][term] = AttributeWord(
                attr, ck.number(s, f"{where}.en.{term}", -1, 1), english
            )
        for term, v in zh.items():
            sub = f"{where}.zh.{term}"
            if not has_cjk(term):
                raise ck.fail(sub, "a Chinese word")
            if (
                not isinstance(v, list)
                or len(v) != 2
                or not isinstance(v[1], str)
                or not v[1].strip()
                or has_cjk(v[1])
            ):
                raise ck.fail(sub, '[strength, "English rendering"]', v)
            words["zh"][term] = AttributeWord(attr, ck.number(v[0], sub, -1, 1), v[1].strip())
    mods = ck.obj(ck.key(doc, "modifiers", "(top level)"), "modifiers")
    modifiers: dict[str, dict[str, float]] = {}
    for lang, table in zip(("en", "zh"), _lang_table(ck, mods, "modifiers"), strict=True):
        modifiers[lang] = {
            t: ck.number(f, f"modifiers.{lang}.{t}", -2, 2) for t, f in table.items()
        }
    return words, poles, modifiers


def load_words(
    path: Path,
) -> tuple[dict[str, dict[str, tuple[str, ...]]], dict[str, frozenset[str]]]:
    ck = _Checker(path)
    doc = _read_json(path)
    fams_raw = ck.obj(ck.key(doc, "colour_families", "(top level)"), "colour_families")
    families: dict[str, dict[str, tuple[str, ...]]] = {}
    for fam, v in fams_raw.items():
        where = f"colour_families.{fam}"
        d = ck.obj(v, where)
        families[fam] = {
            "en": ck.texts(d, "en", where, zh=False),
            "zh": ck.texts(d, "zh", where, zh=True),
        }
    stop = ck.obj(ck.key(doc, "stop_words", "(top level)"), "stop_words")
    stop_words = {
        lang: frozenset(ck.texts(stop, lang, "stop_words", zh=lang == "zh"))
        for lang in ("en", "zh")
    }
    return families, stop_words


def load_data(data_dir: Path = DATA_DIR) -> LexiconData:
    """Read the three data files in `data_dir`; raise LexiconDataError on the first problem."""
    families, stop_words = load_words(data_dir / WORDS_FILE)
    regions = load_regions(data_dir / REGIONS_FILE, set(families))
    words, poles, modifiers = load_attributes(data_dir / ATTRIBUTES_FILE)
    return LexiconData(
        regions=regions,
        attribute_words=words,
        poles=poles,
        modifiers=modifiers,
        colour_families=families,
        stop_words=stop_words,
    )
