"""Small generators shared by the StyleGAN tests."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from engine.stylegan.checkpoint import save_generator
from engine.stylegan.networks import Generator

TINY = dict(
    z_dim=16,
    c_dim=8,
    w_dim=16,
    img_resolution=32,
    img_channels=3,
    mapping_kwargs=dict(num_layers=2),
    synthesis_kwargs=dict(channel_base=256, channel_max=16, conv_clamp=256),
)


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Training writes caches (tiles, CLIP conditions); never into the user's own."""
    monkeypatch.setenv("WENYANG_CACHE_DIR", str(tmp_path / "user-cache"))


@pytest.fixture()
def tiny_generator() -> Generator:
    torch.manual_seed(0)
    G = Generator(**TINY, tileable=True).eval()
    with torch.no_grad():
        G.mapping.w_avg.normal_()
        for name, p in G.named_parameters():
            if name.endswith("noise_strength"):
                p.fill_(0.3)
    return G


@pytest.fixture()
def tiny_model_dir(tiny_generator: Generator, tmp_path: Path) -> Path:
    return save_generator(tiny_generator, tmp_path / "gen", extra_meta={"note": "test"})


# an unconditional generator whose 4 and 8 px blocks are the only ones at channel_max 64
# (channels 4: 64, 8: 64, 16: 32, 32: 16; a cap of 32 narrows 4 and 8 px only)
NARROWABLE = {
    "z_dim": 16,
    "w_dim": 16,
    "c_dim": 0,
    "img_resolution": 32,
    "img_channels": 3,
    "tileable": True,
    "mapping_kwargs": {"num_layers": 2},
    "synthesis_kwargs": {"channel_base": 512, "channel_max": 64, "num_fp16_res": 0},
}


@pytest.fixture(scope="module")
def narrowable_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """NARROWABLE with noise (trained models have it), saved; one per test module."""
    torch.manual_seed(0)
    G = Generator(**NARROWABLE).eval()
    for name, p in G.synthesis.named_parameters():
        if name.endswith("noise_strength"):
            p.data.fill_(0.2)
    return save_generator(G, tmp_path_factory.mktemp("narrowable") / "gen")
