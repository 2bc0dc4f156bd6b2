"""From a designer's words (English, Chinese or mixed) to what the CLIP tokenizer reads.

open_clip's tokenizer is an English BPE, so Chinese and mixed descriptors go through the
culture lexicon (`parse_descriptors(...).english`); the words the lexicon does not know are
reported to the caller so the studio can show them. Training captions take the same path,
which is why Chinese queries land where the English ones do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_ASCII_WORD = re.compile(r"^[A-Za-z][A-Za-z'\-]*$")


@dataclass(frozen=True)
class PreparedText:
    """What the tokenizer sees for one descriptor, and the words nobody understood."""

    text: str
    unknown: tuple[str, ...]


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


@lru_cache(maxsize=8192)
def prepare_text(text: str) -> PreparedText:
    """Map a descriptor to tokenizer input; Chinese goes through the lexicon's English."""
    from engine.culture import parse_descriptors

    raw = " ".join(text.split())
    parsed = parse_descriptors(raw)
    unknown = tuple(str(w) for w in parsed.unknown)
    if not has_cjk(raw):
        return PreparedText(raw, unknown)
    english = parsed.english.strip()
    # unknown Latin words may still mean something to the BPE vocabulary: keep them
    extra = [w for w in unknown if _ASCII_WORD.match(w) and w.lower() not in english.lower()]
    mapped = " ".join([english, *extra]).strip()
    return PreparedText(mapped or raw, unknown)


def primary_motif(record: dict[str, Any]) -> str:
    """The first motif id of a database record ('' when it has none)."""
    motifs = record.get("motifs") or []
    if not motifs:
        return ""
    first = motifs[0]
    if isinstance(first, dict):
        return str(first.get("id") or first.get("motif") or "")
    if isinstance(first, list | tuple):
        return str(first[-1])
    return str(first)


def short_caption(record: dict[str, Any]) -> str:
    """A terse descriptor ('Miao butterfly mother') such as a designer types."""
    from engine.culture import get_region

    region = get_region(str(record["region"]))
    names = {m.id: m.name_en for m in region.motifs}
    motif = names.get(primary_motif(record), "")
    return f"{region.name_en} {motif}".strip()


PROMPT_FORMS = 7  # prompt-form captions per record (see prompt_captions)
REGION_LEVEL_FORMS = 5  # the first forms name only the region


def prompt_captions(record: dict[str, Any]) -> list[str]:
    """PROMPT_FORMS short captions of a tile in prompt form, tokenizer-ready.

    The first REGION_LEVEL_FORMS name only the region ("a Miao pattern", "苗族纹样"), the last
    two the region and the tile's primary motif in English and Chinese. They are true of
    the tile, so training on them is a caption variant, and they teach the forms the
    zero-shot ensemble and short queries take. Region-level forms match every tile of the
    region, which the training loss accounts for.
    """
    from engine.culture import get_region

    r = get_region(str(record["region"]))
    motif = {m.id: m for m in r.motifs}.get(primary_motif(record))
    forms = [
        f"a {r.name_en} pattern",
        f"traditional {r.name_en} textile motif",
        f"a seamless {r.name_en} pattern tile",
        f"{r.name_zh}纹样",
        f"{r.name_zh}传统图案",
    ]
    if motif is not None:
        forms += [f"a {r.name_en} pattern of {motif.name_en}", f"{r.name_zh}风格{motif.name_zh}"]
    else:
        forms += [f"{r.name_en} pattern", f"{r.name_zh}图案"]
    return [prepare_text(t).text for t in forms]


def region_prompts(region_id: str) -> list[str]:
    """The zero-shot prompt ensemble for one region, in tokenizer-ready English.

    General templates plus one prompt per motif of the region in the lexicon (English and
    Chinese), so the ensemble covers the region's whole repertoire; no training data is used.
    """
    from engine.culture import get_region

    r = get_region(region_id)
    templates = [
        f"a {r.name_en} pattern",
        f"traditional {r.name_en} textile motif",
        f"a seamless {r.name_en} pattern tile",
        f"{r.name_zh}纹样",
        f"{r.name_zh}传统图案",
    ]
    for m in r.motifs:
        templates.append(f"a {r.name_en} pattern of {m.name_en}")
        templates.append(f"{r.name_zh}风格{m.name_zh}")
    return [prepare_text(t).text for t in templates]
