from __future__ import annotations

import numpy as np
import pytest

from engine.errors import UserInputError
from engine.export.repeat import CanvasSource, canvas_strips, check_layout, tile_canvas
from engine.export.units import mm_to_px, parse_length_mm


@pytest.mark.parametrize(
    ("text", "mm"),
    [("60cm", 600.0), ("23.6in", 599.44), ("600mm", 600.0), (" 10 CM", 100.0), ("2,5cm", 25.0)],
)
def test_parse_length(text: str, mm: float) -> None:
    assert parse_length_mm(text) == pytest.approx(mm)


@pytest.mark.parametrize("bad", ["60", "60 km", "cm", "-3cm", "0cm", ""])
def test_parse_length_errors_name_the_flag(bad: str) -> None:
    with pytest.raises(UserInputError, match="--height"):
        parse_length_mm(bad, field="--height")


def test_mm_to_px_print_size() -> None:
    assert mm_to_px(600, 300) == 7087


def _tile(h: int = 6, w: int = 8) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (h, w, 3)).astype(np.uint8)


def test_full_layout_is_plain_tiling() -> None:
    t = _tile()
    out = tile_canvas(t, 20, 15, "full")
    assert out.shape == (15, 20, 3)
    assert np.array_equal(out, np.tile(t, (3, 3, 1))[:15, :20])


def test_half_drop_shifts_every_other_column() -> None:
    t = _tile()
    out = tile_canvas(t, 16, 12, "half-drop")
    assert np.array_equal(out[:6, :8], t)
    assert np.array_equal(out[:, 8:16], np.roll(np.tile(t, (2, 1, 1)), 3, axis=0))


def test_half_brick_shifts_every_other_row() -> None:
    t = _tile()
    out = tile_canvas(t, 16, 12, "half-brick")
    assert np.array_equal(out[6:12], np.roll(np.tile(t, (1, 2, 1)), 4, axis=1))


def test_mirror_reflects_neighbours() -> None:
    t = _tile()
    out = tile_canvas(t, 16, 12, "mirror")
    assert np.array_equal(out[:6, 8:], t[:, ::-1])
    assert np.array_equal(out[6:, :8], t[::-1])
    assert np.array_equal(out[6:, 8:], t[::-1, ::-1])


def test_center_puts_a_tile_centre_on_the_canvas_centre() -> None:
    t = _tile(6, 8)
    out = tile_canvas(t, 21, 17, "center")
    # the tile's own centre pixel (3, 4) lands on the canvas centre (8, 10)
    assert np.array_equal(out[8 - 3 : 8 + 3, 10 - 4 : 10 + 4], t)


def test_repeat_px_resizes_the_tile() -> None:
    t = _tile(6, 8)
    out = tile_canvas(t, 40, 30, "full", repeat_px=16)
    assert out.shape == (30, 40, 3)
    assert np.array_equal(out[:12, :16], out[12:24, 16:32])


@pytest.mark.parametrize("layout", ["full", "half-drop", "half-brick", "mirror", "center"])
def test_strips_equal_the_whole_canvas(layout: str) -> None:
    t = _tile(7, 9)
    whole = tile_canvas(t, 50, 41, layout, repeat_px=(11, 13))
    parts = list(canvas_strips(t, 50, 41, layout, repeat_px=(11, 13), strip_rows=6))
    assert [y0 for y0, _ in parts] == list(range(0, 41, 6))
    assert np.array_equal(np.concatenate([r for _, r in parts]), whole)


def test_unknown_layout_is_a_user_error() -> None:
    with pytest.raises(UserInputError, match="--repeat"):
        check_layout("diagonal")
    assert check_layout("centre") == "center"


def test_canvas_source_holds_no_full_canvas() -> None:
    src = CanvasSource(_tile(), 5000, 5000, "half-drop")
    assert src._wide.nbytes < 5000 * 5000 * 3 / 50
