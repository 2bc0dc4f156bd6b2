"""Tileable mode: a random-init generator's tile has no seam; off = official numerics."""

from __future__ import annotations

import numpy as np
import torch

from engine.seam import seam_error
from engine.stylegan.networks import Generator
from engine.stylegan.render import to_uint8

KW = dict(z_dim=16, c_dim=8, w_dim=16, img_resolution=32, img_channels=3,
          mapping_kwargs=dict(num_layers=2),
          synthesis_kwargs=dict(channel_base=512, channel_max=32, conv_clamp=256))


def _pooled_ratio(G: Generator, n: int = 32) -> float:
    """Seam/interior ratio pooled over n images: one image's single wrap row is too noisy."""
    g = torch.Generator().manual_seed(7)
    z, c = torch.randn(n, 16, generator=g), torch.randn(n, 8, generator=g)
    with torch.no_grad():
        imgs = to_uint8(G(z, c, noise_mode="const"))
    errs = [seam_error(im) for im in imgs]
    return float(np.mean([e.seam for e in errs]) / np.mean([e.interior for e in errs]))


def _render(G: Generator, seed: int) -> np.ndarray:
    g = torch.Generator().manual_seed(seed)
    z, c = torch.randn(1, 16, generator=g), torch.randn(1, 8, generator=g)
    with torch.no_grad():
        return to_uint8(G(z, c, noise_mode="const"))[0]


def test_tileable_generator_has_no_seam() -> None:
    torch.manual_seed(0)
    G = Generator(**KW, tileable=True).eval()
    with torch.no_grad():
        for name, p in G.named_parameters():
            if name.endswith("noise_strength"):
                p.fill_(0.5)  # noise must wrap too
    ratio = _pooled_ratio(G)
    assert abs(ratio - 1) < 0.1, ratio


def test_plain_generator_has_a_seam() -> None:
    """Control: the same weights without wrap-around show a visible seam."""
    torch.manual_seed(0)
    G = Generator(**KW, tileable=False).eval()
    ratio = _pooled_ratio(G)
    assert ratio > 1.2, ratio


def test_switch_off_keeps_weights_and_numerics() -> None:
    torch.manual_seed(0)
    off = Generator(**KW).eval()
    on = Generator(**KW, tileable=True).eval()
    on.load_state_dict(off.state_dict(), strict=True)  # same parameter layout
    plain = Generator(**KW, tileable=False).eval()
    plain.load_state_dict(off.state_dict())
    assert np.array_equal(_render(off, 1), _render(plain, 1))
    assert not np.array_equal(_render(off, 1), _render(on, 1))
