"""What turns a region + text + tuned policy into generator inputs, shared by A/B batches,
`wenyang export` of a project and the studio: the CLIP prompt, the condition vector c and
the policy's w offset."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import UserInputError


def condition_prompt(region: str, text: str) -> str:
    """The CLIP prompt: region name + descriptors, as the training captions read."""
    from engine.culture import get_region

    name = get_region(region).name_en
    return f"{name} pattern, {text}" if text.strip() else f"{name} pattern"


def check_region(region: str) -> str:
    from engine.culture import REGION_IDS

    if region not in REGION_IDS:
        raise UserInputError(
            f"unknown region {region!r}; expected one of {', '.join(REGION_IDS)}", field="--region"
        )
    return region


def load_policy_offset(
    path: Path, region: str, c: np.ndarray | None, strength: float
) -> tuple[np.ndarray, str]:
    """The tuned policy's w offset at `strength`, and its id (clear error without a tuner)."""
    try:
        from engine.tuner.policy import load_policy
    except ImportError as exc:
        raise UserInputError(
            "this build has no tuner (engine.tuner), so a policy cannot be applied",
            path=str(path),
            field="--policy",
        ) from exc
    if not Path(path).is_file():
        raise UserInputError("policy file not found", path=str(path), field="--policy")
    policy = load_policy(path)
    pid = str(policy.meta.get("policy_id") or "")
    if not pid:
        pid = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
    return policy.offset(region, c, strength), pid


def text_condition(encoder: Any, prompt: str, c_dim: int) -> np.ndarray:
    enc = encoder.encode_text([prompt])
    c = enc.embeddings[0].detach().cpu().numpy().astype(np.float32)
    if c.shape[0] != c_dim:
        raise UserInputError(
            f"the CLIP model gives {c.shape[0]}-d text embeddings but the "
            f"generator expects c_dim={c_dim}; use the CLIP model it was "
            "trained with",
            field="--clip",
        )
    unknown = [w for ws in enc.unknown_words for w in ws]
    if unknown:
        print(f"note: words not in the lexicon: {', '.join(unknown)}", file=sys.stderr)
    return c
