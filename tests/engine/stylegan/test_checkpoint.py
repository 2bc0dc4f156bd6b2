"""Checkpoints: round trip, float16 storage, and clear errors for broken folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from engine.errors import UserInputError
from engine.stylegan.checkpoint import load_generator, read_config, save_generator


def test_round_trip_renders_identically(tiny_generator, tiny_model_dir: Path) -> None:
    G2 = load_generator(tiny_model_dir)
    cfg = read_config(tiny_model_dir)
    assert cfg["format_version"] == 1 and len(cfg["sha256"]) == 64
    assert cfg["init_kwargs"]["tileable"] is True and cfg["meta"] == {"note": "test"}
    assert G2.model_hash == cfg["sha256"]
    z, c = torch.randn(2, 16), torch.randn(2, 8)
    with torch.no_grad():
        a = tiny_generator(z, c, noise_mode="const")
        b = G2(z, c, noise_mode="const")
    assert torch.equal(a, b)


def test_float16_storage_is_close(tiny_generator, tmp_path: Path) -> None:
    d = save_generator(tiny_generator, tmp_path / "h", float16=True)
    G2 = load_generator(d)
    assert next(G2.parameters()).dtype == torch.float32
    z, c = torch.randn(1, 16), torch.randn(1, 8)
    with torch.no_grad():
        diff = (tiny_generator(z, c, noise_mode="const") - G2(z, c, noise_mode="const")).abs()
    assert 0 < diff.max() < 0.05


def test_tampered_weights_are_refused(tiny_model_dir: Path) -> None:
    w = tiny_model_dir / "model.safetensors"
    w.write_bytes(w.read_bytes()[:-10])
    with pytest.raises(UserInputError, match="sha256"):
        load_generator(tiny_model_dir)


def test_missing_and_bad_config(tmp_path: Path, tiny_model_dir: Path) -> None:
    with pytest.raises(UserInputError, match=r"config\.json"):
        load_generator(tmp_path / "nothing")
    cfg_path = tiny_model_dir / "config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["format_version"] = 99
    cfg_path.write_text(json.dumps(cfg))
    with pytest.raises(UserInputError, match="format_version"):
        load_generator(tiny_model_dir)
    cfg["format_version"] = 1
    cfg["init_kwargs"]["w_dim"] = 32  # weights no longer fit
    cfg_path.write_text(json.dumps(cfg))
    with pytest.raises(UserInputError, match="do not fit"):
        load_generator(tiny_model_dir)
    cfg_path.write_text("{not json")
    with pytest.raises(UserInputError, match="JSON"):
        load_generator(tiny_model_dir)
