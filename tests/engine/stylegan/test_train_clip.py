"""CLIP conditioning (cached LAFITE image embeddings), the vision-aided head, contrastive loss."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from engine.stylegan.train.clip_losses import contrastive_loss
from tests.engine.stylegan.train_helpers import build_db, config, tiny_clip_dir


def test_contrastive_loss_prefers_matching_pairs() -> None:
    torch.manual_seed(0)
    c = torch.nn.functional.normalize(torch.randn(8, 16), dim=1)
    matched = contrastive_loss(c, c, tau=0.1)
    shuffled = contrastive_loss(c[torch.roll(torch.arange(8), 1)], c, tau=0.1)
    assert float(matched) < 0.1 * float(shuffled)


def test_clip_conditioned_training_with_head_and_contrastive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine.stylegan.train.trainer import Trainer

    monkeypatch.setenv("WENYANG_CACHE_DIR", str(tmp_path / "cache"))
    db = build_db(tmp_path / "db")
    clip_dir = tiny_clip_dir(tmp_path / "clip")
    cfg = config(
        tmp_path / "run",
        data=str(db),
        cond="clip",
        clip_model=str(clip_dir),
        clip_head=True,
        contrastive=0.5,
        r1_interval=0,
        pl_weight=0.0,
    )
    t = Trainer(cfg, verbose=False)
    assert t.c_dim == 32 and len(t.data) == 8
    assert torch.allclose(t.cond.norm(dim=1), torch.ones(8), atol=1e-5)
    cached = list((tmp_path / "cache" / "gan_conditions").glob("*.safetensors"))
    assert len(cached) == 1
    assert t.head is not None
    h0 = {k: v.clone() for k, v in t.head.state_dict().items()}
    clip0 = {k: v.clone() for k, v in t.encoder.model.state_dict().items()}
    for _ in range(2):
        t.step()
    entry = t._tick_entry(8, 1.0)
    for key in ("D/clip_head", "G/clip_head", "G/contrastive", "D/loss", "G/loss"):
        assert math.isfinite(entry[key]), key
    assert any(not torch.equal(h0[k], v) for k, v in t.head.state_dict().items())
    # CLIP itself stays frozen
    assert all(torch.equal(clip0[k], v) for k, v in t.encoder.model.state_dict().items())
    # the cache is reused: same conditions, no second file
    t2 = Trainer(cfg, verbose=False)
    assert torch.equal(t2.cond, t.cond)
    assert len(list((tmp_path / "cache" / "gan_conditions").glob("*.safetensors"))) == 1
    # the snapshot and the exported generator name the encoder the conditions came from
    import json

    from engine.clip import load_encoder
    from engine.stylegan.train.export import export_snapshot

    snap = t.save()
    assert snap is not None
    want = load_encoder(clip_dir).model_hash[:16]
    assert json.loads((snap / "state.json").read_text())["clip_hash"] == want
    info = export_snapshot(snap, tmp_path / "gen")
    assert info["clip_hash"] == want
    assert json.loads((tmp_path / "gen" / "config.json").read_text())["meta"]["clip_hash"] == want


def test_auto_condition_falls_back_to_unconditional_without_clip(tmp_path: Path) -> None:
    from engine.stylegan.train.trainer import Trainer

    db = build_db(tmp_path / "db")
    cfg = config(tmp_path / "run", data=str(db), cond="auto", clip_model=str(tmp_path / "no"))
    t = Trainer(cfg, verbose=False)
    assert t.c_dim == 0 and t.cfg.cond == "none"
    t.step()
    snap = t.save()
    assert snap is not None
    import json

    meta = json.loads((snap / "state.json").read_text())
    assert meta["config"]["cond"] == "none" and meta["clip_hash"] is None
