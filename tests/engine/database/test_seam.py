"""The seam metric separates seamless tiles from cut-out images, and every region's tiles are
drawn on a torus (the same pattern wherever the repeat is cut)."""

import numpy as np
import pytest

from engine.culture import REGION_IDS
from engine.database import render_sample
from engine.seam import grid_ratio, seam_error


def test_gradient_fails_the_seam_check():
    ramp = np.tile(np.linspace(0, 255, 64, dtype=np.float32)[None, :, None], (64, 1, 3))
    err = seam_error(ramp.astype(np.uint8))
    assert err.ratio > 10


def test_cut_out_of_a_larger_pattern_fails():
    big = render_sample("xinjiang", 5, 96).image
    crop = big[10:70, 13:73]  # not a whole period: the wrap edge jumps
    assert seam_error(crop).ratio > 1.10
    assert seam_error(big).ratio <= 1.10


def test_flat_and_shape_checks():
    assert seam_error(np.full((8, 8, 3), 7, np.uint8)).ratio == 1.0
    with pytest.raises(ValueError):
        seam_error(np.zeros((2, 2)))


@pytest.mark.parametrize("region", REGION_IDS)
def test_region_tiles_are_seamless(region):
    ratios = [seam_error(render_sample(region, s, 64).image).ratio for s in range(4)]
    assert max(ratios) <= 1.10, ratios


@pytest.mark.parametrize("region", REGION_IDS)
def test_drawing_is_on_a_torus(region):
    """Shifting the origin by whole pixels must equal rolling the image: any primitive that
    does not wrap (clipped at an edge) breaks this."""
    size = 64
    for seed in (0, 1, 2):
        a = render_sample(region, seed, size, cut=False).image.astype(np.int16)
        b = render_sample(region, seed, size, origin=(0.25, 0.5), cut=False).image
        rolled = np.roll(a, (size // 2, size // 4), axis=(0, 1))
        diff = np.abs(rolled - b.astype(np.int16))
        assert diff.mean() < 0.5, (seed, diff.mean())
        assert np.percentile(diff, 99.5) <= 12, (seed, np.percentile(diff, 99.5))


def test_odd_sizes_still_wrap():
    size = 50  # not a power of two: counted grids and bundles must still fill the tile
    for region, seed in (("miao", 0), ("xinjiang", 0), ("tibetan", 1)):
        a = render_sample(region, seed, size, cut=False).image.astype(np.int16)
        b = render_sample(region, seed, size, origin=(0.5, 0.5), cut=False).image
        diff = np.abs(np.roll(a, (25, 25), axis=(0, 1)) - b.astype(np.int16))
        assert diff.mean() < 0.5, (region, diff.mean())


def test_grid_ratio_finds_block_edges_and_nothing_else():
    rng = np.random.default_rng(0)
    blocks = np.kron(
        rng.integers(0, 255, (8, 8)), np.ones((8, 8))
    )  # 8 px blocks: jumps on edges only
    assert grid_ratio(blocks) > 5
    assert grid_ratio(np.roll(blocks, 4, axis=(0, 1))) < 0.2  # the same grid off the 8 px lines
    from scipy.ndimage import gaussian_filter

    smooth = gaussian_filter(rng.standard_normal((4, 64, 64)), (0, 2, 2), mode="wrap")
    assert all(0.85 < grid_ratio(x) < 1.15 for x in smooth)  # no preferred phase
    assert 0.8 < np.mean([grid_ratio(render_sample(r, 0, 64).image) for r in REGION_IDS]) < 1.2
    assert grid_ratio(np.zeros((16, 16))) == 1.0
    with pytest.raises(ValueError):
        grid_ratio(np.zeros((8, 8, 3)))
