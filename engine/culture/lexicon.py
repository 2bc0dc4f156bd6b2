"""The term index: every word of the data files, normalised, mapped to what it means.

One index serves both languages: English keys are space-joined lower-case words, Chinese keys
are runs of characters. A term can carry several senses (``gold`` is an attribute and a
colour; ``lotus`` is a motif in two regions); the parser resolves them in context.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import NamedTuple

from engine.culture.loader import (
    ATTRIBUTES_FILE,
    WORDS_FILE,
    LexiconData,
    LexiconDataError,
    load_data,
)
from engine.culture.model import Colour, Motif, Region
from engine.culture.text import is_cjk, normalise


class Sense(NamedTuple):
    """One meaning of a term.

    kind: region | motif | colour | attribute | modifier | stop.
    key: motif id, colour id, attribute name or colour family (None for regions/stops).
    region_id: the region of a region/motif/colour sense (None for colour families).
    value: an attribute word's strength or a modifier's factor.
    english: how the term is rendered in the English phrase.
    """

    kind: str
    region_id: str | None = None
    key: str | None = None
    value: float = 0.0
    english: str = ""


class Lexicon:
    """Regions, their motifs and colours, and the index of every term that names them."""

    def __init__(self, data: LexiconData) -> None:
        self.data = data
        self.regions = data.regions
        self.by_id: dict[str, Region] = {r.id: r for r in data.regions}
        self.poles = data.poles
        self.index: dict[str, list[Sense]] = defaultdict(list)
        self._display: list[tuple[str, str, str, str | None]] = []
        self.family_colours: dict[str, list[tuple[str, str]]] = defaultdict(list)
        self._build()
        self.index = dict(self.index)
        self.max_zh_len = max((len(k) for k in self.index if is_cjk(k[0])), default=1)
        self.max_en_words = max(
            (k.count(" ") + 1 for k in self.index if not is_cjk(k[0])), default=1
        )

    # -- building -----------------------------------------------------------------------
    def _add(self, term: str, lang: str, sense: Sense) -> None:
        key = normalise(term)
        if not key:
            return
        senses = self.index[key]
        if sense not in senses:
            senses.append(sense)
            if sense.kind != "stop":
                self._display.append((term, lang, sense.kind, sense.region_id))

    def _add_region(self, r: Region) -> None:
        sense = Sense("region", r.id, None, 0.0, r.name_en.lower())
        for t in (r.name_en, *r.synonyms_en):
            self._add(t, "en", sense)
        for t in (r.name_zh, *r.synonyms_zh):
            self._add(t, "zh", sense)

    def _add_motif(self, r: Region, m: Motif) -> None:
        sense = Sense("motif", r.id, m.id, 0.0, normalise(m.name_en))
        for t in (m.name_en, *m.synonyms_en):
            self._add(t, "en", sense)
        for t in (m.name_zh, *m.synonyms_zh):
            self._add(t, "zh", sense)

    def _add_colour(self, r: Region, c: Colour) -> None:
        sense = Sense("colour", r.id, c.id, 0.0, normalise(c.name_en))
        for t in (c.name_en, *c.synonyms_en):
            self._add(t, "en", sense)
        for t in (c.name_zh, *c.synonyms_zh):
            self._add(t, "zh", sense)
        for fam in c.families:
            self.family_colours[fam].append((r.id, c.id))

    def _build(self) -> None:
        d = self.data
        for r in d.regions:
            self._add_region(r)
            for m in r.motifs:
                self._add_motif(r, m)
            for c in r.colours:
                self._add_colour(r, c)
        for fam, langs in d.colour_families.items():
            for t in langs["en"]:
                self._add(t, "en", Sense("colour", None, fam, 0.0, normalise(t)))
            for t in langs["zh"]:
                self._add(t, "zh", Sense("colour", None, fam, 0.0, fam))
        for lang, words in d.attribute_words.items():
            for t, w in words.items():
                self._add(
                    t, lang, Sense("attribute", None, w.attribute, w.strength, normalise(w.english))
                )
        content = {k for k, ss in self.index.items() if ss}
        for lang, mods in d.modifiers.items():
            for t, f in mods.items():
                if normalise(t) in content:
                    raise LexiconDataError(
                        f"modifier {t!r} is also a content word",
                        path=ATTRIBUTES_FILE,
                        field=f"modifiers.{lang}",
                    )
                self._add(t, lang, Sense("modifier", None, None, f, normalise(t)))
        for lang, stops in d.stop_words.items():
            for t in sorted(stops):
                if normalise(t) in self.index:
                    raise LexiconDataError(
                        f"stop word {t!r} is also a lexicon term "
                        f"({self.index[normalise(t)][0].kind})",
                        path=WORDS_FILE,
                        field=f"stop_words.{lang}",
                    )
                self._add(t, lang, Sense("stop"))

    # -- queries ------------------------------------------------------------------------
    def lookup(self, key: str) -> list[Sense]:
        """Senses of an already normalised term ([] if unknown)."""
        return self.index.get(key, [])

    def lookup_english(self, words: tuple[str, ...]) -> list[Sense]:
        """Senses of an English n-gram, trying a singular form of its last word too."""
        key = " ".join(words)
        senses = self.index.get(key)
        if senses:
            return senses
        last = words[-1]
        if len(last) > 3 and last.endswith("s") and not last.endswith("ss"):
            stems = [last[:-3] + "y"] if last.endswith("ies") else []
            stems += [last[:-2]] if last.endswith("es") else []
            stems.append(last[:-1])
            for stem in stems:
                senses = self.index.get(" ".join((*words[:-1], stem)))
                if senses:
                    return senses
        return []

    def all_terms(self) -> list[tuple[str, str, str, str | None]]:
        return list(self._display)


def load_lexicon(data_dir: Path | None = None) -> Lexicon:
    """Build a lexicon from the data files (the shipped ones when `data_dir` is None)."""
    return Lexicon(load_data() if data_dir is None else load_data(data_dir))
