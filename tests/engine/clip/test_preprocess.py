"""One preprocessing path for uint8 tiles and [-1, 1] generator output."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.clip.preprocess import resize, resize_uint8, to_unit_range


def test_uint8_and_signed_tensor_agree() -> None:
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (2, 16, 16, 3), dtype=np.uint8)
    a = to_unit_range(img)
    signed = torch.from_numpy(img).permute(0, 3, 1, 2).float() / 127.5 - 1
    b = to_unit_range(signed)
    assert a.shape == (2, 3, 16, 16)
    assert torch.allclose(a, b, atol=1e-6)
    assert torch.allclose(to_unit_range(img[0]), a[:1])
    assert torch.allclose(to_unit_range([img[0], img[1]]), a)


def test_resize_keeps_gradient() -> None:
    x = torch.zeros(1, 3, 64, 64, requires_grad=True)
    y = resize(to_unit_range(x), 32)
    y.sum().backward()
    assert y.shape == (1, 3, 32, 32)
    assert x.grad is not None and float(x.grad.abs().sum()) > 0


def test_resize_uint8_shape_and_range() -> None:
    img = np.full((1, 64, 64, 3), 200, np.uint8)
    out = resize_uint8(img, 32)
    assert out.dtype == torch.uint8 and out.shape == (1, 3, 32, 32)
    assert int(out.min()) == 200 and int(out.max()) == 200


def test_rejects_wrong_layouts() -> None:
    with pytest.raises(ValueError):
        to_unit_range(np.zeros((2, 3, 16, 16), np.uint8))
    with pytest.raises(ValueError):
        to_unit_range(np.zeros((1, 16, 16, 3), np.float32))
