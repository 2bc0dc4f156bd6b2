"""Tiny random generators and a tiny random CLIP model for the slider tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

CLIP_NAME = "wenyang-clip-dirtest-tiny"
CLIP_CFG = {
    "embed_dim": 32,
    "vision_cfg": {
        "image_size": 32,
        "patch_size": 8,
        "width": 32,
        "layers": 1,
        "head_width": 16,
        "pool_type": "avg",
    },
    "text_cfg": {"context_length": 32, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """One torch thread: on a shared, oversubscribed CPU, OpenMP spin-waits make two threads
    many times slower than one (measured 20x on the 2-core CI box under load)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WENYANG_CACHE_DIR", str(tmp_path / "cache"))


def make_generator(c_dim: int = 0, seed: int = 0):
    from engine.stylegan.config import generator_kwargs
    from engine.stylegan.networks import Generator

    torch.manual_seed(seed)
    G = Generator(**generator_kwargs("tiny", c_dim=c_dim)).eval().requires_grad_(False)
    with torch.no_grad():
        for name, p in G.named_parameters():
            if name.endswith("noise_strength"):
                p.fill_(0.1)
    return G


@pytest.fixture()
def tiny_G():
    return make_generator(0)


@pytest.fixture()
def tiny_renderer(tiny_G):
    from engine.stylegan.render import Renderer

    return Renderer.from_generator(tiny_G)


@pytest.fixture(scope="session")
def tiny_clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from engine.clip.checkpoint import create_model, save_model
    from engine.clip.registry import register_config_path

    cfg_dir = tmp_path_factory.mktemp("clipcfg")
    (cfg_dir / f"{CLIP_NAME}.json").write_text(json.dumps(CLIP_CFG), encoding="utf-8")
    register_config_path(cfg_dir)
    torch.manual_seed(0)
    model = create_model(CLIP_NAME)
    out = tmp_path_factory.mktemp("clip")
    save_model(model, CLIP_NAME, CLIP_CFG, out)
    return out


@pytest.fixture(scope="session")
def tiny_encoder(tiny_clip_dir: Path):
    from engine.clip import load_encoder

    return load_encoder(tiny_clip_dir)


@pytest.fixture()
def cond_renderer():
    """A tiny generator conditioned on 32-wide (tiny CLIP) embeddings."""
    from engine.stylegan.render import Renderer

    return Renderer.from_generator(make_generator(c_dim=32, seed=1))


@pytest.fixture(scope="session")
def tiny_heldout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from engine.database import build_database

    return build_database(
        tmp_path_factory.mktemp("heldout") / "db", per_region=3, size=64, seed=777005, workers=1
    )


@pytest.fixture()
def tiny_cond_model_dir(tmp_path: Path) -> Path:
    """A saved tiny generator conditioned on 32-wide (tiny CLIP) embeddings."""
    from engine.stylegan.checkpoint import save_generator

    return save_generator(make_generator(c_dim=32, seed=3), tmp_path / "gen")
