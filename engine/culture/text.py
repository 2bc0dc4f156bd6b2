"""Character classes and folding shared by the index and the parser.

Plain comparisons instead of regex character ranges: compiling wide Unicode ranges costs
milliseconds at import, and the lexicon must import fast.
"""

from __future__ import annotations

import unicodedata


def is_cjk(ch: str) -> bool:
    """True for a Chinese (CJK unified or compatibility) ideograph."""
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or "\uf900" <= ch <= "\ufaff"


def has_cjk(s: str) -> bool:
    return not s.isascii() and any(is_cjk(c) for c in s)


def normalise_char(ch: str) -> str:
    """Case/width folding of one character (may return "" or several chars)."""
    n = unicodedata.normalize("NFKC", ch).lower()
    return n.replace("-", " ").replace("_", " ").replace("'", "").replace("\u2019", "")


def normalise(term: str) -> str:
    """The index key of a term: folded, single-spaced; no spaces at all in Chinese terms."""
    s = term if term.isascii() else unicodedata.normalize("NFKC", term)
    s = s.lower().replace("-", " ").replace("_", " ").replace("'", "").replace("\u2019", "")
    s = " ".join(s.split())
    if has_cjk(s):
        s = s.replace(" ", "")
    return s
