"""The culture lexicon: eight regional traditions, their motifs, colours and descriptive words.

Loaded from the JSON files in ``data/`` and checked at import (a malformed file raises
`LexiconDataError` naming the file and field). `parse_descriptors` turns designer text in
English, Chinese or both into regions, motifs, attributes and colours, plus an English phrase
for the CLIP text encoder and the words it did not understand.
"""

from __future__ import annotations

from engine.culture.lexicon import Lexicon, load_lexicon
from engine.culture.loader import LexiconDataError
from engine.culture.model import (
    ATTRIBUTES,
    MOTIF_IDS,
    REGION_IDS,
    Colour,
    Motif,
    ParsedDescriptors,
    Region,
)
from engine.culture.parser import Parser

__all__ = [
    "ATTRIBUTES",
    "MOTIF_IDS",
    "REGION_IDS",
    "Colour",
    "Lexicon",
    "LexiconDataError",
    "Motif",
    "ParsedDescriptors",
    "Parser",
    "Region",
    "all_terms",
    "get_region",
    "load_lexicon",
    "motif",
    "parse_descriptors",
    "region_colour",
    "regions",
]

LEXICON: Lexicon = load_lexicon()
_PARSER = Parser(LEXICON)


def get_region(region_id: str) -> Region:
    """The region with this id; KeyError lists the valid ids."""
    try:
        return LEXICON.by_id[region_id]
    except KeyError:
        raise KeyError(
            f"unknown region {region_id!r}; expected one of {', '.join(REGION_IDS)}"
        ) from None


def regions() -> list[Region]:
    """All eight regions in REGION_IDS order."""
    return list(LEXICON.regions)


def motif(region_id: str, motif_id: str) -> Motif:
    """One motif of one region (KeyError if either id is unknown)."""
    return get_region(region_id).motif(motif_id)


def region_colour(region_id: str, colour_id: str) -> Colour:
    """One named colour of one region's palette (KeyError if either id is unknown)."""
    return get_region(region_id).colour(colour_id)


def all_terms() -> list[tuple[str, str, str, str | None]]:
    """Every term for autocompletion: (term, "en"|"zh", kind, region_id or None).

    kind is region, motif, colour, attribute or modifier; stop words are left out.
    """
    return LEXICON.all_terms()


def parse_descriptors(text: str) -> ParsedDescriptors:
    """Read designer text (English, Chinese without spaces, or mixed) against the lexicon."""
    return _PARSER.parse(text)
