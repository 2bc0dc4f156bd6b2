"""The fixed prompt set of `wenyang eval gen`: region names alone and sampled full
descriptors from held-out captions, in English and Chinese."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Prompt:
    region: str
    text: str  # what the designer would type; also what CLIP encodes
    lang: str  # "en" or "zh"
    kind: str  # "name" or "descriptor"


def build_prompts(
    records: list[dict], descriptors_per_region: int = 2, seed: int = 0
) -> list[Prompt]:
    """Per region: its name (en, zh) and `descriptors_per_region` held-out captions, each in
    both languages. Deterministic for a given database and seed."""
    from engine.culture import REGION_IDS, get_region
    from engine.directions.conditions import region_prompt

    rng = np.random.default_rng(seed)
    out: list[Prompt] = []
    for r in REGION_IDS:
        reg = get_region(r)
        out.append(Prompt(r, region_prompt(r), "en", "name"))
        out.append(Prompt(r, f"{reg.name_zh}纹样", "zh", "name"))
        recs = sorted((x for x in records if x.get("region") == r), key=lambda x: str(x["id"]))
        if not recs or descriptors_per_region <= 0:
            continue
        pick = rng.choice(len(recs), size=min(descriptors_per_region, len(recs)), replace=False)
        for i in sorted(int(p) for p in pick):
            rec = recs[i]
            if rec.get("caption_en"):
                out.append(Prompt(r, str(rec["caption_en"]), "en", "descriptor"))
            if rec.get("caption_zh"):
                out.append(Prompt(r, str(rec["caption_zh"]), "zh", "descriptor"))
    return out
