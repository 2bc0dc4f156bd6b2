"""Per-design ("seeded") synthesis noise: reproducible, different per seed, the same on every
render path (fused CPU kernels, the reference ops, batches, incremental re-renders)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.stylegan import seeded_noise
from engine.stylegan.networks import Generator
from engine.stylegan.render import Renderer, RenderRequest


def _generator(tileable: bool = True, res: int = 64) -> Generator:
    torch.manual_seed(5)
    G = Generator(
        z_dim=16,
        c_dim=0,
        w_dim=16,
        img_resolution=res,
        img_channels=3,
        mapping_kwargs={"num_layers": 2},
        synthesis_kwargs={"channel_base": 1024, "channel_max": 32, "conv_clamp": 256},
        tileable=tileable,
    ).eval()
    with torch.no_grad():
        for n, p in G.named_parameters():
            if n.endswith("noise_strength"):
                p.fill_(0.5)  # noise that shows in the picture
    return G


def test_layer_noise_is_reproducible_and_keyed_by_seed_and_layer() -> None:
    a = seeded_noise.layer_noise(7, "b32.conv1", 32)
    assert a.shape == (32, 32) and a.dtype == np.float32
    np.testing.assert_array_equal(a, seeded_noise.layer_noise(7, "b32.conv1", 32))
    assert not np.allclose(a, seeded_noise.layer_noise(8, "b32.conv1", 32))
    assert not np.allclose(a, seeded_noise.layer_noise(7, "b32.conv0", 32))
    assert abs(float(a.mean())) < 0.2 and 0.8 < float(a.std()) < 1.2


def test_seeded_needs_the_renderer() -> None:
    """A bare network asked for seeded noise says how to get it instead of inventing some."""
    G = _generator()
    ws = G.mapping(torch.randn(1, 16), None)
    with torch.no_grad(), pytest.raises(ValueError, match="seed"):
        G.synthesis(ws, noise_mode="seeded")


def test_seeded_renders_are_reproducible_and_differ_by_seed() -> None:
    r = Renderer.from_generator(_generator())
    ws = r.mapping(3, None, 0.7)
    one = r.render(RenderRequest(ws=ws, noise_mode="seeded", noise_seed=1)).image
    two = r.render(RenderRequest(ws=ws, noise_mode="seeded", noise_seed=2)).image
    again = r.render(RenderRequest(ws=ws, noise_mode="seeded", noise_seed=1)).image
    const = r.render(RenderRequest(ws=ws, noise_mode="const")).image
    np.testing.assert_array_equal(one, again)  # incremental cache reuse keeps the seed's noise
    assert np.abs(one.astype(int) - two).mean() > 2  # same latent, other noise: other picture
    assert np.abs(one.astype(int) - const).mean() > 2
    # without noise_seed the request's own seed draws the noise
    by_seed = r.render(RenderRequest(seed=1, truncation=0.7, noise_mode="seeded")).image
    np.testing.assert_array_equal(
        by_seed, r.render(RenderRequest(ws=r.mapping(1, None, 0.7), **_seeded(1))).image
    )


def _seeded(seed: int) -> dict:
    return {"noise_mode": "seeded", "noise_seed": seed}


@pytest.mark.parametrize("tileable", [False, True])
def test_fast_path_matches_the_reference_network(tileable: bool) -> None:
    """The renderer's fused step chain and the plain network (reference ops) add the same
    seeded noise."""
    G = _generator(tileable)
    r = Renderer.from_generator(G)
    ws = r.mapping(4, None, 1.0)
    got = r.render(RenderRequest(ws=ws, **_seeded(11))).image.astype(int)
    with torch.no_grad(), r._noise(("seeded", 11)):
        ref = G.synthesis(torch.from_numpy(ws)[None], noise_mode="seeded", impl="ref")
    want = ((ref.permute(0, 2, 3, 1) * 127.5 + 128).clamp(0, 255).to(torch.uint8))[0].numpy()
    assert np.abs(got - want).max() <= 1


def test_batches_give_each_request_its_own_noise() -> None:
    r = Renderer.from_generator(_generator())
    reqs = [RenderRequest(ws=r.mapping(s, None, 0.7), **_seeded(s)) for s in (1, 2, 3)]
    batch = r.render_batch(reqs)
    for req, res in zip(reqs, batch, strict=True):
        np.testing.assert_array_equal(res.image, r.render(req).image)


def test_a_new_noise_seed_re_renders_even_when_the_latent_is_unchanged() -> None:
    """The incremental cache is keyed by the noise too: same ws, new seed, new picture."""
    r = Renderer.from_generator(_generator())
    ws = r.mapping(5, None, 0.7)
    first = r.render(RenderRequest(ws=ws, **_seeded(1))).image
    second = r.render(RenderRequest(ws=ws, **_seeded(2))).image
    fresh = Renderer.from_generator(_generator())
    np.testing.assert_array_equal(second, fresh.render(RenderRequest(ws=ws, **_seeded(2))).image)
    assert not np.array_equal(first, second)
