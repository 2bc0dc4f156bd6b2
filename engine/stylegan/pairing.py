"""Which CLIP model a generator understands.

A CLIP-conditioned generator is trained on embeddings from one encoder; another encoder's
embeddings are a different language to it. Exported generators record the encoder's hash
(`meta.clip_hash`); this compares it with the encoder a program loaded. No torch here: the
studio calls it from any thread.
"""

from __future__ import annotations


def condition_mismatch(generator_clip_hash: str, encoder_hash: str) -> str | None:
    """A notice when a generator's training conditions came from another CLIP model than
    the one loaded (its `c` would then be a different language), or None when they match or
    either side does not say."""
    a, b = str(generator_clip_hash or "")[:16], str(encoder_hash or "")[:16]
    if not a or not b or a == b:
        return None
    return (
        f"the generator was trained on conditions from CLIP model {a[:12]}, but CLIP model "
        f"{b[:12]} is loaded: descriptors will not steer it as trained. Use the CLIP model "
        "the generator was trained with (its model card names it), or continue training "
        "the generator on the new one (`wenyang train gan --cond clip`)."
    )
