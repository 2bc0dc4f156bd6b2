from __future__ import annotations

import cv2
import numpy as np
import pytest

from engine.errors import UserInputError
from engine.export.colour import ciede2000, lab_to_srgb, mean_delta_e, parse_hex, srgb_to_lab
from engine.export.inks import NamedColour, reduce_inks, remove_speckles
from engine.export.upscale import compare_upscalers, upscale

# Sharma, Wu & Dalal (2005) test data
SHARMA = [
    ((50, 2.6772, -79.7751), (50, 0, -82.7485), 2.0425),
    ((50, 2.5, 0), (73, 25, -18), 27.1492),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((90.9257, -0.5406, -0.9208), (88.6381, -0.8985, -0.7239), 1.5381),
    ((50, 0, 0), (50, -1, 2), 2.3669),
    ((2.0776, 0.0795, -1.1350), (0.9033, -0.0636, -0.5514), 0.9082),
]


@pytest.mark.parametrize(("a", "b", "expected"), SHARMA)
def test_ciede2000_matches_published_pairs(a: tuple, b: tuple, expected: float) -> None:
    assert float(ciede2000(np.array(a), np.array(b))) == pytest.approx(expected, abs=1e-4)


def test_lab_round_trip() -> None:
    rgb = np.random.default_rng(0).integers(0, 256, (500, 3)).astype(np.uint8)
    assert np.array_equal(lab_to_srgb(srgb_to_lab(rgb)), rgb)


def test_parse_hex() -> None:
    assert parse_hex("#2E5E8C") == (46, 94, 140)
    with pytest.raises(UserInputError, match="--lock"):
        parse_hex("blue", field="--lock")


def test_reduce_inks_is_faithful_and_deterministic(tile: np.ndarray) -> None:
    a = reduce_inks(tile, 6, seed=1)
    b = reduce_inks(tile, 6, seed=1)
    assert np.array_equal(a.labels, b.labels) and np.array_equal(a.palette, b.palette)
    assert 2 <= a.n_inks <= 6
    assert mean_delta_e(a.image(), tile) < 3.0


def test_ink_count_is_checked(tile: np.ndarray) -> None:
    with pytest.raises(UserInputError, match="--inks"):
        reduce_inks(tile, 17)
    with pytest.raises(UserInputError, match="--inks"):
        reduce_inks(tile, 1)


def test_locked_colours_are_kept_exactly(tile: np.ndarray) -> None:
    locked = [(10, 200, 10)]
    inks = reduce_inks(tile, 5, locked=locked)
    assert (10, 200, 10) in {tuple(int(v) for v in p) for p in inks.palette} or (
        inks.n_inks < 5
    )  # a locked ink no pixel uses is dropped
    inks = reduce_inks(tile, 5, locked=[(245, 236, 215)])  # the background colour
    assert tuple(int(v) for v in inks.palette[0]) == (245, 236, 215)


def test_snap_to_named_colours(tile: np.ndarray) -> None:
    names = [
        NamedColour((240, 240, 220), "月白", "moon white"),
        NamedColour((40, 90, 150), "石青", "azurite"),
        NamedColour((190, 30, 40), "朱砂", "cinnabar"),
        NamedColour((220, 170, 30), "藤黄", "gamboge"),
        NamedColour((20, 20, 20), "墨", "ink black"),
    ]
    inks = reduce_inks(tile, 4, snap=names)
    allowed = {c.rgb for c in names}
    assert {tuple(int(v) for v in p) for p in inks.palette} <= allowed
    assert all(
        n is not None and n.rgb == tuple(int(v) for v in p)
        for n, p in zip(inks.names, inks.palette, strict=True)
    )


def test_speckles_are_merged_wrapping_the_edges() -> None:
    lab = np.zeros((40, 40), np.int32)
    lab[10:12, 10:12] = 1  # a 4 px speckle
    lab[0:6, 0:3] = 2  # 18 px block …
    lab[0:6, -3:] = 2  # … that wraps around to 36 px
    out = remove_speckles(lab, 10)
    assert (out[10:12, 10:12] == 0).all()
    assert (out[0:6, 0:3] == 2).all() and (out[0:6, -3:] == 2).all()


def _seam_jump(img: np.ndarray) -> float:
    return float(np.abs(img[0].astype(int) - img[-1].astype(int)).mean())


@pytest.mark.parametrize("method", ["hybrid", "inks", "lanczos"])
def test_upscale_shape_and_still_tiles(tile: np.ndarray, method: str) -> None:
    up = upscale(tile, (150, 170), method)
    assert up.shape == (150, 170, 3) and up.dtype == np.uint8
    inner = float(np.abs(np.diff(up.astype(int), axis=0)).mean())
    assert _seam_jump(up) < 2.5 * inner + 1


def test_bilinear_enlargement_still_tiles_and_keeps_the_colours(tile: np.ndarray) -> None:
    from engine.export.upscale import bilinear

    up = bilinear(tile, (tile.shape[0] * 4, tile.shape[1] * 4))
    assert up.shape == (tile.shape[0] * 4, tile.shape[1] * 4, 3) and up.dtype == np.uint8
    inner = float(np.abs(np.diff(up.astype(int), axis=0)).mean())
    assert _seam_jump(up) < 2.5 * inner + 1
    # without the wrap the edge rows would blend with nothing (a plain resize clamps)
    plain = cv2.resize(tile, (tile.shape[1] * 4, tile.shape[0] * 4), interpolation=cv2.INTER_LINEAR)
    assert not np.array_equal(up[0], plain[0])
    assert abs(float(up.mean()) - float(tile.mean())) < 2.0


def test_edge_preserving_upscale_is_crisper_than_lanczos(tile: np.ndarray) -> None:
    res = compare_upscalers(tile, 4.0)
    assert res["hybrid"]["edge_sharpness"] > 1.5 * res["lanczos"]["edge_sharpness"]
    assert res["inks"]["edge_sharpness"] > 1.5 * res["lanczos"]["edge_sharpness"]
    # and no less faithful to the original once brought back to its size
    assert res["hybrid"]["redownscale_delta_e"] < res["lanczos"]["redownscale_delta_e"] + 0.5


def test_antialiasing_inks_fold_into_their_neighbours() -> None:
    img = np.full((40, 40, 3), 250, np.uint8)
    img[:, 20:] = (30, 30, 200)
    img[:, 19] = (140, 140, 225)  # a 1-px blended column, like an anti-aliased edge
    img[:, 39] = (140, 140, 225)  # (and across the wrap)
    img[5:15, 5:12] = (200, 30, 30)  # a real third ink, a solid block
    kept = reduce_inks(img, 4, edge_inks=True, min_area=1)
    assert kept.n_inks == 4
    folded = reduce_inks(img, 4, min_area=1)
    assert folded.n_inks == 3
    assert set(np.unique(folded.labels[:, 19])) <= set(np.unique(folded.labels[:, [18, 20]]))
