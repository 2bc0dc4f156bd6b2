"""A generator names the CLIP model its conditions came from; a mismatch is reported."""

from __future__ import annotations

import json
from pathlib import Path

from engine.stylegan.pairing import condition_mismatch


def test_condition_mismatch_only_when_both_sides_know_and_differ() -> None:
    assert condition_mismatch("", "abcd") is None
    assert condition_mismatch("abcd", "") is None
    assert condition_mismatch("0123456789abcdef", "0123456789abcdef99") is None  # 16-char ids
    msg = condition_mismatch("0123456789abcdef", "fedcba9876543210")
    assert msg is not None and "0123456789ab" in msg and "fedcba987654" in msg


def test_renderer_info_carries_the_generators_clip_hash(tmp_path: Path) -> None:
    import torch

    from engine.stylegan.checkpoint import save_generator
    from engine.stylegan.config import generator_kwargs
    from engine.stylegan.networks import Generator
    from engine.stylegan.render import Renderer

    torch.manual_seed(0)
    d = tmp_path / "g"
    save_generator(Generator(**generator_kwargs("tiny", c_dim=0, tileable=True)).eval(), d, {})
    assert Renderer(d, device="cpu").info.clip_hash == ""  # older exports: unknown
    cfg = json.loads((d / "config.json").read_text())
    cfg.setdefault("meta", {})["clip_hash"] = "0123456789abcdef"
    (d / "config.json").write_text(json.dumps(cfg))
    assert Renderer(d, device="cpu").info.clip_hash == "0123456789abcdef"
