"""`parse_descriptors`: designer text in English, Chinese or both -> lexicon meanings.

Steps: fold case/width per character (keeping a map back to the original text), split into
clauses at punctuation (ASCII and Chinese), match English word n-grams longest first and
segment Chinese runs with the fewest unknown characters (then fewest, longest-first tokens),
then read the tokens left to right: modifiers ("very", "不", "no") scale or negate the next
content word of the same clause; stop words are skipped silently; anything else unmatched is
reported in `unknown` with its original spelling. Ambiguous motifs and colours ("lotus",
"red") are narrowed to the regions the text names or implies.
"""

from __future__ import annotations

from typing import NamedTuple

from engine.culture.lexicon import Lexicon, Sense
from engine.culture.model import ParsedDescriptors
from engine.culture.text import is_cjk, normalise_char

CLAUSE_BREAKS = frozenset(',;.!?:\n\r\t/|()[]{}<>"、，。；！？：（）【】《》「」『』…·')


class _Token(NamedTuple):
    surface: str  # original spelling
    senses: list[Sense]  # [] = unknown
    lang: str
    key: str  # folded form, as looked up


class _Mention(NamedTuple):
    """A content word after modifiers: what it may refer to, and how to say it in English."""

    clause: int
    kind: str  # region | motif | colour
    candidates: list[tuple[str, str]]  # (region_id, motif/colour id); regions: (rid, "")
    english: str
    specific: bool = True  # colour named by a region's own colour name (not a plain word)


def _fold(text: str) -> tuple[str, list[int]]:
    """Folded text plus, for each folded char, the index of the original char it came from."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        if ch.isascii():
            n = ch.lower()
            n = " " if n in "-_" else ("" if n == "'" else n)
        else:
            n = normalise_char(ch)
        out.append(n)
        where.extend([i] * len(n))
    return "".join(out), where


def _pieces(folded: str) -> list[list[tuple[str, int, int]]]:
    """Clauses of pieces (kind 'w' English word / 'c' Chinese run, start, end) in folded text."""
    clauses: list[list[tuple[str, int, int]]] = [[]]
    kind, start = "", 0
    for j, ch in enumerate(folded + " "):
        k = "c" if is_cjk(ch) else ("w" if ch.isalnum() else "")
        if k != kind:
            if kind:
                clauses[-1].append((kind, start, j))
            kind, start = k, j
        if ch in CLAUSE_BREAKS and clauses[-1]:
            clauses.append([])
    return [c for c in clauses if c]


class Parser:
    """Reads designer text against one lexicon (the module keeps one for the shipped data)."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lex = lexicon

    # -- tokenising ---------------------------------------------------------------------
    def _segment_chinese(self, run: str) -> list[tuple[int, int, bool]]:
        """Split a Chinese run into (start, end, known) spans: fewest unknown chars, then fewest
        tokens; ties go to the longest-first (greedy) split. Unknown chars are merged."""
        n, index, maxlen = len(run), self.lex.index, self.lex.max_zh_len
        inf = (n + 1, n + 1)
        best: list[tuple[int, int]] = [(0, 0)] + [inf] * n
        back: list[tuple[int, bool]] = [(0, False)] * (n + 1)
        for i in range(n):
            u, t = best[i]
            if (u + 1, t + 1) <= best[i + 1]:
                best[i + 1], back[i + 1] = (u + 1, t + 1), (i, False)
            for length in range(1, min(maxlen, n - i) + 1):
                if run[i : i + length] in index and (u, t + 1) <= best[i + length]:
                    best[i + length], back[i + length] = (u, t + 1), (i, True)
        spans: list[tuple[int, int, bool]] = []
        j = n
        while j > 0:
            i, known = back[j]
            if not known and spans and not spans[-1][2] and spans[-1][0] == j:
                spans[-1] = (i, spans[-1][1], False)
            else:
                spans.append((i, j, known))
            j = i
        return spans[::-1]

    def _tokens(self, text: str) -> list[list[_Token]]:
        folded, where = _fold(text)

        def orig(a: int, b: int) -> str:
            return text[where[a] : where[b - 1] + 1]

        clauses: list[list[_Token]] = []
        for pieces in _pieces(folded):
            toks: list[_Token] = []
            i = 0
            while i < len(pieces):
                kind, a, b = pieces[i]
                if kind == "c":
                    run = folded[a:b]
                    for s, e, known in self._segment_chinese(run):
                        senses = self.lex.lookup(run[s:e]) if known else []
                        toks.append(_Token(orig(a + s, a + e), senses, "zh", run[s:e]))
                    i += 1
                    continue
                j = i  # consecutive English words: longest n-gram first
                while j < len(pieces) and pieces[j][0] == "w":
                    j += 1
                words = tuple(folded[p[1] : p[2]] for p in pieces[i:j])
                for n in range(min(self.lex.max_en_words, len(words)), 0, -1):
                    senses = self.lex.lookup_english(words[:n])
                    if senses or n == 1:
                        toks.append(
                            _Token(orig(a, pieces[i + n - 1][2]), senses, "en", " ".join(words[:n]))
                        )
                        i += n
                        break
            clauses.append(toks)
        return clauses

    # -- reading ------------------------------------------------------------------------
    def parse(self, text: str) -> ParsedDescriptors:
        recognised: list[str] = []
        unknown: list[str] = []
        negated: list[str] = []
        attributes: dict[str, float] = {}
        # in reading order: a mention, or the English words of an attribute (clause, phrase)
        items: list[_Mention | tuple[int, str]] = []
        for ci, toks in enumerate(self._tokens(text)):
            factor = 1.0
            for tok in toks:
                kinds = {s.kind for s in tok.senses}
                if not kinds:
                    if tok.key.isdigit():  # counts ("2 butterflies") carry no style
                        continue
                    if tok.surface not in unknown:
                        unknown.append(tok.surface)
                    continue
                if kinds == {"stop"}:
                    continue
                recognised.append(tok.surface)
                if "modifier" in kinds:
                    factor *= next(s.value for s in tok.senses if s.kind == "modifier")
                    continue
                attr = next((s for s in tok.senses if s.kind == "attribute"), None)
                if attr is not None and attr.key is not None:
                    total = attributes.get(attr.key, 0.0) + attr.value * factor
                    attributes[attr.key] = max(-1.0, min(1.0, total))
                    items.append((ci, self._attr_english(attr, factor)))
                if factor < 0:
                    if kinds - {"attribute"}:
                        negated.append(tok.surface)
                else:
                    items.extend(self._mentions(tok, ci, speak=attr is None))
                factor = 1.0
        return self._resolve(items, attributes, recognised, unknown, negated)

    def _attr_english(self, sense: Sense, factor: float) -> str:
        """'very intricate', 'slightly sparse'; a negated word becomes its opposite pole."""
        word, mag = sense.english, abs(factor)
        if factor < 0 and sense.key is not None:
            pos, neg = self.lex.poles[sense.key]
            word = neg if sense.value > 0 else pos
        if mag > 1.01:
            return f"very {word}"
        if mag < 0.99:
            return f"slightly {word}"
        return word

    def _mentions(self, tok: _Token, ci: int, speak: bool) -> list[_Mention]:
        """Region/motif/colour mentions of one token (speak=False: its attribute speaks)."""
        out: list[_Mention] = []
        regions = [s for s in tok.senses if s.kind == "region"]
        if regions:
            out.append(
                _Mention(
                    ci, "region", [(s.region_id or "", "") for s in regions], regions[0].english
                )
            )
        motifs = [s for s in tok.senses if s.kind == "motif"]
        if motifs:
            # several regions: the designer's own English word, else the first motif's name
            english = motifs[0].english
            if len(motifs) > 1 and tok.lang == "en":
                english = tok.key
            out.append(
                _Mention(ci, "motif", [(s.region_id or "", s.key or "") for s in motifs], english)
            )
        colours = [s for s in tok.senses if s.kind == "colour"]
        if colours:
            cands: list[tuple[str, str]] = []
            for s in colours:
                if s.region_id is not None:
                    cands.append((s.region_id, s.key or ""))
                else:
                    cands.extend(self.lex.family_colours.get(s.key or "", []))
            plain_word = any(s.region_id is None for s in colours)
            out.append(
                _Mention(
                    ci,
                    "colour",
                    list(dict.fromkeys(cands)),
                    colours[0].english if speak else "",
                    specific=not plain_word,
                )
            )
        return out

    def _resolve(
        self,
        items: list[_Mention | tuple[int, str]],
        attributes: dict[str, float],
        recognised: list[str],
        unknown: list[str],
        negated: list[str],
    ) -> ParsedDescriptors:
        mentions = [m for m in items if isinstance(m, _Mention)]
        regions: list[str] = []
        # region hints: named regions, then regions of unambiguous motifs, then of named colours
        for kind, specific_only in (("region", False), ("motif", False), ("colour", True)):
            for m in mentions:
                rids = {r for r, _ in m.candidates}
                if m.kind == kind and len(rids) == 1 and (m.specific or not specific_only):
                    rid = next(iter(rids))
                    if rid not in regions:
                        regions.append(rid)

        motifs: list[tuple[str, str]] = []
        colours: list[tuple[str, str]] = []
        clause_words: dict[int, list[str]] = {}
        seen: set[object] = set()
        for item in items:
            if not isinstance(item, _Mention):
                ci, english = item
                key: object = ("attr", english)
            else:
                ci, english = item.clause, item.english
                cands = item.candidates
                if item.kind != "region":
                    cands = [c for c in cands if c[0] in regions] or cands
                if item.kind == "motif":
                    motifs.extend(c for c in cands if c not in motifs)
                    if len(cands) == 1:
                        name = self.lex.by_id[cands[0][0]].motif(cands[0][1]).name_en
                        english = " ".join(name.lower().replace("-", " ").split())
                    key = ("motif", tuple(cands))
                elif item.kind == "colour":
                    colours.extend(c for c in cands if c not in colours)
                    key = ("colour", english)
                else:
                    key = ("region", cands[0][0])
            if english and key not in seen:
                seen.add(key)
                clause_words.setdefault(ci, []).append(english)
        return ParsedDescriptors(
            regions=regions,
            motifs=motifs,
            attributes={a: round(v, 3) for a, v in attributes.items()},
            colours=colours,
            recognised=recognised,
            unknown=unknown,
            english=", ".join(" ".join(w) for _, w in sorted(clause_words.items())),
            negated=negated,
        )
