"""Compositing: the print stays in the mask, at true scale, follows folds and light."""

from __future__ import annotations

import numpy as np
import pytest

from engine.errors import UserInputError
from engine.mockup.composite import MockupRenderer, cell_shape
from tests.engine.mockup.conftest import make_template, stripes


def test_outside_the_mask_is_the_base(square):
    tile = np.random.default_rng(1).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    out = MockupRenderer(square).render(tile, repeat_cm=5)
    outside = square.regions[0].mask == 0
    assert np.array_equal(out[outside], square.base[outside])
    inside = square.regions[0].mask == 1
    assert not np.array_equal(out[inside], square.base[inside])


def test_print_is_pattern_times_shading(square):
    tile = np.full((8, 8, 3), 200, np.uint8)
    out = MockupRenderer(square).render(tile, repeat_cm=4)
    inside = square.regions[0].mask == 1
    # a flat template without highlights: print x shading (0.9)
    assert np.abs(out[inside].astype(int) - 180).max() <= 1


def test_repeat_has_true_physical_size():
    t = make_template(128)  # 2 px per cm
    tile = np.zeros((16, 16, 3), np.uint8)
    tile[:, :8] = 255
    out = MockupRenderer(t).render(tile, repeat_cm=8)  # 8 cm -> 16 px per repeat
    row = out[64, 16:112, 0].astype(float)
    spec = np.abs(np.fft.rfft(row - row.mean()))
    period = len(row) / np.argmax(spec)
    assert period == pytest.approx(16, rel=0.1)
    out2 = MockupRenderer(t).render(tile, repeat_cm=8, scale=2)
    row2 = out2[64, 16:112, 0].astype(float)
    period2 = len(row2) / np.argmax(np.abs(np.fft.rfft(row2 - row2.mean())))
    assert period2 == pytest.approx(32, rel=0.1)


def test_displacement_shifts_the_pattern():
    tile = stripes(16, 16)
    flat = MockupRenderer(make_template(64)).render(tile, repeat_cm=8)
    moved = MockupRenderer(make_template(64, disp=1.0, disp_px=(5.0, 0.0))).render(
        tile, repeat_cm=8
    )
    assert not np.array_equal(flat[20:44, 20:44], moved[20:44, 20:44])
    # sampling 5 px further right: the print moves 5 px left
    assert np.abs(moved[12:52, 12:40].astype(int) - flat[12:52, 17:45].astype(int)).max() <= 2


def test_displacement_bends_the_pattern_along_a_fold():
    d = np.zeros((64, 64), np.float32)
    d[:, 32:] = 1.0  # the right half is pushed (a fold edge)
    tile = stripes(16, 16)
    flat = MockupRenderer(make_template(64)).render(tile, repeat_cm=8)
    bent = MockupRenderer(make_template(64, disp=d, disp_px=(4.0, 0.0))).render(tile, repeat_cm=8)
    assert np.array_equal(flat[10:54, 10:28], bent[10:54, 10:28])
    assert not np.array_equal(flat[10:54, 36:54], bent[10:54, 36:54])


def test_shading_darkens_folds():
    sh = np.full((64, 64), 0.95, np.float32)
    sh[:, 28:36] = 0.5  # a fold's shadow
    t = make_template(64, shading=sh)
    out = MockupRenderer(t).render(np.full((8, 8, 3), 240, np.uint8), repeat_cm=4).astype(float)
    assert out[16:48, 28:36].mean() < 0.6 * out[16:48, 14:24].mean()


def test_highlights_are_restored_over_the_print():
    t = make_template(64)
    t.base[30:34, 30:34] = 255  # a specular spot brighter than albedo x shading explains
    from engine.mockup.template import highlights

    t.spec = highlights(t.base, t.shading, t.albedo)
    out = MockupRenderer(t).render(np.zeros((8, 8, 3), np.uint8), repeat_cm=4)
    assert out[31, 31].min() > 200  # black print, yet the sheen shows
    assert out[20, 20].max() < 10


def test_rotation_offset_and_layouts_change_the_print(square):
    tile = np.random.default_rng(3).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    r = MockupRenderer(square)
    ref = r.render(tile, repeat_cm=6)
    assert not np.array_equal(ref, r.render(tile, repeat_cm=6, rotation_deg=30))
    assert not np.array_equal(ref, r.render(tile, repeat_cm=6, offset=(0.5, 0.0)))
    assert np.array_equal(ref, r.render(tile, repeat_cm=6, offset=(1.0, 0.0)))  # wraps
    for layout in ("half-drop", "half-brick", "mirror", "center"):
        assert r.render(tile, repeat_cm=6, layout=layout).shape == ref.shape
    assert cell_shape("mirror", (4, 5)) == (8, 10)


def test_bad_inputs_are_user_errors(square):
    r = MockupRenderer(square)
    with pytest.raises(UserInputError):
        r.render(np.zeros((8, 8), np.uint8))
    with pytest.raises(UserInputError):
        r.render(np.zeros((8, 8, 3), np.uint8), repeat_cm=0)
    with pytest.raises(UserInputError):
        r.render(np.zeros((8, 8, 3), np.uint8), layout="zigzag")


def test_photo_maps_keep_folds_and_drop_the_old_print():
    from engine.mockup.photo import photo_maps

    n = 160
    xs = np.arange(n, dtype=np.float32)
    light = 0.75 + 0.2 * np.sin(xs / n * 2 * np.pi * 2)  # two broad folds across
    img = np.empty((n, n, 3), np.float32)
    img[:] = np.array([60, 90, 200], np.float32)  # a blue garment ...
    for y in range(8, n, 20):  # ... with small orange dots printed on it
        for x in range(8, n, 20):
            img[y - 3 : y + 3, x - 3 : x + 3] = (230, 140, 40)
    img = np.clip(img * light[None, :, None], 0, 255).astype(np.uint8)
    mask = np.ones((n, n), np.float32)
    shading, disp, spec = photo_maps(img, mask)
    row = shading[98, 10:-10]  # a row between the dots
    dots = shading[8::20, 8::20]
    # the folds are there: bright and dark columns follow the light
    assert np.corrcoef(row, light[10:-10])[0, 1] > 0.9
    # the dots are not: their shading matches the columns they sit in
    assert np.abs(dots - shading[18::20, 8::20][: dots.shape[0]]).max() < 0.08
    assert disp.min() >= -1 and disp.max() <= 1 and spec.max() < 0.3


def test_half_size_preview_matches_the_full_render():
    import cv2

    t = make_template(128)
    tile = stripes(16, 16)
    full = MockupRenderer(t).render(tile, repeat_cm=8)
    half = MockupRenderer(t, max_side=64).render(tile, repeat_cm=8)
    assert half.shape == (64, 64, 3)
    ref = cv2.resize(full, (64, 64), interpolation=cv2.INTER_AREA)
    assert np.abs(half[20:44, 20:44].astype(int) - ref[20:44, 20:44].astype(int)).mean() < 12
