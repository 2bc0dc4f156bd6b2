"""Our networks against facts recorded from NVIDIA's official StyleGAN2-ADA release.

The fixtures were written once by data/make_official_fixtures.py (seeded random weights,
fixed inputs): names/shapes of the official state dicts and the official outputs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from engine.stylegan.networks import Discriminator, Generator

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def layout() -> dict:
    return json.loads((DATA / "official_layout.json").read_text())


@pytest.fixture(scope="module")
def tensors() -> dict[str, torch.Tensor]:
    return load_file(str(DATA / "official_parity.safetensors"))


def _sub(tensors: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    return {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}


def test_generator_state_dict_layout_matches_official(layout: dict) -> None:
    ours = Generator(**layout["G_kwargs"]).state_dict()
    assert [[k, list(v.shape)] for k, v in ours.items()] == layout["G"]


def test_discriminator_state_dict_layout_matches_official(layout: dict) -> None:
    ours = Discriminator(**layout["D_kwargs"]).state_dict()
    assert [[k, list(v.shape)] for k, v in ours.items()] == layout["D"]


@pytest.fixture(scope="module")
def G(layout: dict, tensors: dict[str, torch.Tensor]) -> Generator:
    g = Generator(**layout["G_kwargs"]).eval()
    g.load_state_dict(_sub(tensors, "G."), strict=True)
    return g


@pytest.mark.parametrize("impl", ["auto", "ref"])
def test_generator_matches_official_image(G: Generator, tensors: dict, impl: str) -> None:
    z, c = tensors["in.z"], tensors["in.c"]
    with torch.no_grad():
        ws = G.mapping(z, c, truncation_psi=0.7)
        torch.testing.assert_close(ws, tensors["out.ws_psi07"], atol=1e-5, rtol=0)
        img = G(z, c, truncation_psi=0.7, noise_mode="const", impl=impl)
        assert img.abs().max() > 0.1  # a real image, not a blank one
        torch.testing.assert_close(img, tensors["out.img_psi07_const"], atol=1e-4, rtol=0)
        img = G(z, c, noise_mode="none", impl=impl)
        torch.testing.assert_close(img, tensors["out.img_psi1_none"], atol=1e-4, rtol=0)
        img = G.synthesis(ws, noise_mode="const", fused_modconv=False, impl=impl)
        torch.testing.assert_close(img, tensors["out.img_unfused"], atol=1e-4, rtol=0)


def test_generator_inference_mode_matches(G: Generator, tensors: dict) -> None:
    with torch.inference_mode():
        img = G(tensors["in.z"], tensors["in.c"], truncation_psi=0.7, noise_mode="const")
    torch.testing.assert_close(img, tensors["out.img_psi07_const"], atol=1e-4, rtol=0)


def test_discriminator_matches_official_logits(layout: dict, tensors: dict) -> None:
    D = Discriminator(**layout["D_kwargs"]).eval()
    D.load_state_dict(_sub(tensors, "D."), strict=True)
    with torch.no_grad():
        logits = D(tensors["in.img"], tensors["in.cd"])
    assert logits.shape == (4, 1)
    torch.testing.assert_close(logits, tensors["out.logits"], atol=1e-4, rtol=1e-5)


def test_state_dict_round_trips_to_official_names(G: Generator, tensors: dict) -> None:
    sd = G.state_dict()
    official = _sub(tensors, "G.")
    assert set(sd) == set(official)
    for k, v in sd.items():
        assert torch.equal(v, official[k]), k
