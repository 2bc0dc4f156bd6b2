"""The culture lexicon as the studio sees it, with a graceful fallback.

engine.culture is pure Python (no torch), so the GUI thread may call it. If it is missing or
broken in a build, the studio still opens with the eight region names and says so.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

# (id, English, Chinese, swatch) — used only when engine.culture cannot be imported
_FALLBACK = (
    ("dunhuang", "Dunhuang", "敦煌", "#C8A25A"),
    ("miao", "Miao", "苗族", "#1F3A5F"),
    ("tibetan", "Tibetan", "藏族", "#B22222"),
    ("mongolian", "Mongolian", "蒙古族", "#2E6DB4"),
    ("jiangnan", "Jiangnan", "江南", "#2B4C7E"),
    ("lingnan", "Lingnan", "岭南", "#D2691E"),
    ("hakka", "Hakka", "客家", "#3B5B92"),
    ("xinjiang", "Xinjiang", "新疆", "#8B1E3F"),
)


@dataclass(frozen=True)
class RegionView:
    id: str
    name_en: str
    name_zh: str
    description: str = ""
    swatch: tuple[str, ...] = ()  # hex colours of the region's palette
    motifs: tuple[str, ...] = field(default_factory=tuple)  # "English 中文"


@dataclass
class Parse:
    recognised: list[str]
    unknown: list[str]
    english: str
    regions: list[str]


@functools.lru_cache(maxsize=1)
def lexicon_error() -> str:
    try:
        import engine.culture as ec

        ec.regions()
        return ""
    except Exception as exc:  # reported in the UI, not raised
        return f"culture lexicon unavailable ({type(exc).__name__}: {exc})"


@functools.lru_cache(maxsize=1)
def regions() -> tuple[RegionView, ...]:
    if not lexicon_error():
        import engine.culture as ec

        return tuple(
            RegionView(
                r.id,
                r.name_en,
                r.name_zh,
                r.description,
                tuple(c.hex for c in r.colours),
                tuple(f"{m.name_en} {m.name_zh}" for m in r.motifs),
            )
            for r in ec.regions()
        )
    return tuple(RegionView(i, en, zh, swatch=(sw,)) for i, en, zh, sw in _FALLBACK)


def region(region_id: str) -> RegionView:
    for r in regions():
        if r.id == region_id:
            return r
    return regions()[0]


@functools.lru_cache(maxsize=1)
def all_terms() -> tuple[str, ...]:
    """Every word the lexicon knows (both languages), for autocompletion."""
    if lexicon_error():
        return tuple(t for _, en, zh, _ in _FALLBACK for t in (en, zh))
    import engine.culture as ec

    fn = getattr(ec, "all_terms", None)
    if fn is not None:  # items are terms or (term, lang, kind, region) tuples
        terms = {t[0] if isinstance(t, tuple | list) else t for t in fn()}
        return tuple(sorted(str(t) for t in terms if t))
    terms: set[str] = set()
    for r in ec.regions():
        terms.update((r.name_en, r.name_zh))
        for m in r.motifs:
            terms.update((m.name_en, m.name_zh, *m.synonyms_en, *m.synonyms_zh))
        for c in r.colours:
            terms.update((c.name_en, c.name_zh))
    return tuple(sorted(t for t in terms if t))


def parse(text: str) -> Parse:
    """Words understood and not understood; never raises (the box must keep working)."""
    if not text.strip():
        return Parse([], [], "", [])
    if lexicon_error():
        return Parse([], text.split(), text, [])
    try:
        import engine.culture as ec

        p = ec.parse_descriptors(text)
        return Parse(list(p.recognised), list(p.unknown), p.english, list(p.regions))
    except Exception:
        return Parse([], text.split(), text, [])


def prompt_for(region_id: str, text: str) -> str:
    """The English prompt for the CLIP text encoder: region plus the understood words."""
    r = region(region_id)
    english = parse(text).english.strip()
    base = f"{r.name_en} pattern"
    return f"{base}, {english}" if english else base
