"""Small synthetic templates for the compositing tests (no shipped assets needed)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.mockup.template import Region, Template


def make_template(
    size: int = 64,
    shading: np.ndarray | None = None,
    disp: float | np.ndarray = 0.0,
    disp_px: tuple[float, float] = (0.0, 0.0),
) -> Template:
    """A grey square 'garment' (inner 3/4 of the image) on a noisy background."""
    rng = np.random.default_rng(0)
    base = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
    mask = np.zeros((size, size), np.float32)
    q = size // 8
    mask[q:-q, q:-q] = 1.0
    sh = np.full((size, size), 0.9, np.float32) if shading is None else shading
    # the plain garment is exactly albedo x shading: no highlights unless a test adds them
    plain = np.floor(255 * 0.9 * sh).astype(np.uint8)
    base[mask > 0] = plain[mask > 0][:, None]
    d = np.broadcast_to(np.float32(disp), (size, size)).copy() if np.isscalar(disp) else disp
    bbox = (q, q, size - q, size - q)
    w_cm = (size - 2 * q) / 2.0  # 2 px per cm
    return Template(
        name="square",
        title="Square",
        base=base,
        regions=[Region("body", mask, bbox, (w_cm, w_cm))],
        shading=sh,
        displacement=d.astype(np.float32),
        displacement_px=disp_px,
        albedo=0.9,
    )


@pytest.fixture
def square() -> Template:
    return make_template()


def stripes(period: int = 8, size: int = 16) -> np.ndarray:
    """A tile with one dark vertical stripe per `period` px (tileable)."""
    t = np.full((size, size, 3), 220, np.uint8)
    t[:, : max(1, period // 2)] = 20
    return t
