"""The shipped CLIP model in assets/models/clip: plain open_clip loading, card, figures."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from engine.paths import MODELS_DIR

CLIP_DIR = MODELS_DIR / "clip"


def test_shipped_folder_complete_and_small() -> None:
    from engine.clip.checkpoint import find_model

    _name, _cfg, weights = find_model(CLIP_DIR)
    assert (CLIP_DIR / "README.md").is_file()
    assert (CLIP_DIR / "probe.safetensors").is_file()
    assert weights.stat().st_size < 20 * 2**20
    card = (CLIP_DIR / "README.md").read_text(encoding="utf-8")
    for word in ("seed", "wenyang train clip", "zero-shot", "precision@10"):
        assert word in card


def test_loads_with_plain_open_clip() -> None:
    import open_clip

    import engine.clip  # noqa: F401  (registers the config)
    from engine.clip.checkpoint import find_model

    name, _, weights = find_model(CLIP_DIR)
    model, _, _preprocess = open_clip.create_model_and_transforms(name, pretrained=str(weights))
    tok = open_clip.get_tokenizer(name)
    with torch.no_grad():
        t = model.encode_text(tok(["a miao pattern"]))
    assert t.shape[1] == json.loads((CLIP_DIR / f"{name}.json").read_text())["embed_dim"]


@pytest.mark.slow
def test_shipped_model_classifies_fresh_tiles() -> None:
    """Tiles rendered with seeds far from any training seed mostly land in their region
    (chance is 1/8; the card states the held-out accuracies)."""
    from engine.clip import load_encoder
    from engine.culture import REGION_IDS
    from engine.database import render_sample

    enc = load_encoder()
    assert enc.probe is not None
    imgs = np.stack(
        [render_sample(r, 987_654 + i, size=128).image for r in REGION_IDS for i in range(3)]
    )
    labels = torch.tensor([i for i in range(len(REGION_IDS)) for _ in range(3)])
    probe_acc = float((enc.classify(imgs).argmax(1) == labels).float().mean())
    zero_shot_acc = float((enc.classify(imgs, use_probe=False).argmax(1) == labels).float().mean())
    assert probe_acc >= 0.5
    assert zero_shot_acc >= 0.35
