"""cuda_ops references against straightforward maths; CPU fast paths against the references."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cuda_ops import bias_act as ba
from cuda_ops import conv2d_resample as cr
from cuda_ops import upfirdn2d as ufd


@pytest.mark.parametrize("act", ["linear", "relu", "lrelu", "tanh", "sigmoid", "swish"])
def test_bias_act_ref_matches_formula(act: str) -> None:
    torch.manual_seed(0)
    x = torch.randn(2, 3, 4, 5)
    b = torch.randn(3)
    y = ba.bias_act_ref(x, b, act=act, clamp=0.8)
    t = x + b.reshape(1, 3, 1, 1)
    f = {
        "linear": t,
        "relu": t.clamp(min=0),
        "lrelu": torch.where(t > 0, t, 0.2 * t),
        "tanh": torch.tanh(t),
        "sigmoid": torch.sigmoid(t),
        "swish": t * torch.sigmoid(t),
    }[act]
    gain = math.sqrt(2) if act in ("relu", "lrelu", "swish") else 1.0
    torch.testing.assert_close(y, (f * gain).clamp(-0.8, 0.8))


@pytest.mark.parametrize("act", ["linear", "lrelu", "tanh", "sigmoid"])
def test_bias_act_gradcheck(act: str) -> None:
    torch.manual_seed(1)
    x = torch.randn(2, 3, 3, dtype=torch.float64, requires_grad=True)
    b = torch.randn(3, dtype=torch.float64, requires_grad=True)
    x.data[x.data.abs() < 0.05] += 0.2  # keep away from the lrelu kink

    assert torch.autograd.gradcheck(lambda x, b: ba.bias_act(x, b, act=act, gain=1.5), (x, b))


def test_bias_act_inplace_path_equals_reference() -> None:
    x = torch.randn(2, 8, 6, 6)
    b = torch.randn(8)
    with torch.inference_mode():
        fast = ba.bias_act(x, b, act="lrelu", clamp=1.0)
    torch.testing.assert_close(fast, ba.bias_act_ref(x, b, act="lrelu", clamp=1.0))
    assert not torch.equal(fast, x)  # x was not modified in place into the result


def _upfirdn_numpy(
    x: np.ndarray, f: np.ndarray, up: int, down: int, pad: tuple, gain: float, wrap: bool = False
) -> np.ndarray:
    """Straightforward loops: zero-insert, pad, true convolution, decimate."""
    n, c, h, w = x.shape
    u = np.zeros((n, c, h * up, w * up))
    u[:, :, ::up, ::up] = x
    x0, x1, y0, y1 = pad
    mode = "wrap" if wrap else "constant"
    u = np.pad(u, ((0, 0), (0, 0), (y0, y1), (x0, x1)), mode=mode)
    k = f[::-1, ::-1] * gain
    fh, fw = k.shape
    oh, ow = u.shape[2] - fh + 1, u.shape[3] - fw + 1
    out = np.zeros((n, c, oh, ow))
    for i in range(fh):
        for j in range(fw):
            out += k[i, j] * u[:, :, i : i + oh, j : j + ow]
    return out[:, :, ::down, ::down]


@pytest.mark.parametrize(
    ("up", "down", "pad"),
    [(1, 1, (1, 2, 1, 2)), (2, 1, (2, 1, 2, 1)), (1, 2, (1, 1, 1, 1)), (2, 2, (3, 2, 3, 2))],
)
@pytest.mark.parametrize("impl", ["ref", "auto"])
def test_upfirdn2d_matches_loops(up: int, down: int, pad: tuple, impl: str) -> None:
    rng = np.random.RandomState(0)
    x = rng.randn(2, 3, 7, 7)
    f = rng.rand(4, 4)
    got = ufd.upfirdn2d(
        torch.from_numpy(x),
        torch.from_numpy(f).float(),
        up=up,
        down=down,
        padding=pad,
        gain=1.7,
        impl=impl,
    )
    want = _upfirdn_numpy(x, f.astype(np.float32).astype(np.float64), up, down, pad, 1.7)
    np.testing.assert_allclose(got.numpy(), want, atol=1e-5)


def test_upfirdn2d_wrap_padding_matches_loops() -> None:
    rng = np.random.RandomState(1)
    x = rng.randn(1, 2, 6, 6)
    f = ufd.setup_filter([1, 3, 3, 1])
    got = ufd.upfirdn2d(torch.from_numpy(x), f, up=2, padding=(2, 1, 2, 1), tileable=True)
    want = _upfirdn_numpy(x, f.double().numpy(), 2, 1, (2, 1, 2, 1), 1.0, wrap=True)
    np.testing.assert_allclose(got.numpy(), want, atol=1e-6)


def test_upfirdn2d_gradcheck() -> None:
    x = torch.randn(1, 2, 5, 5, dtype=torch.float64, requires_grad=True)
    f = ufd.setup_filter([1, 3, 3, 1])

    def fn(x: torch.Tensor) -> torch.Tensor:
        return ufd.upfirdn2d(x, f, up=2, down=1, padding=(2, 1, 2, 1), gain=4)

    assert torch.autograd.gradcheck(fn, (x,))


def test_setup_filter_normalises_and_expands() -> None:
    f = ufd.setup_filter([1, 3, 3, 1])
    assert f.shape == (4, 4)
    assert float(f.sum()) == pytest.approx(1.0)
    assert ufd.setup_filter([1] * 8).ndim == 1  # long filters stay separable


def _periodic(x: torch.Tensor, reps: int = 3) -> torch.Tensor:
    return x.repeat(1, 1, reps, reps)


@pytest.mark.parametrize(
    ("k", "up", "down"), [(3, 1, 1), (3, 2, 1), (3, 1, 2), (1, 1, 2), (1, 2, 1)]
)
def test_tileable_conv_equals_periodic_convolution(k: int, up: int, down: int) -> None:
    """Wrapped op on a tile == centre of the plain op on the tile repeated 3x3."""
    torch.manual_seed(2)
    h = 8
    x = torch.randn(1, 4, h, h)
    w = torch.randn(5, 4, k, k)
    f = ufd.setup_filter([1, 3, 3, 1])
    kw = dict(f=f, up=up, down=down, padding=k // 2, flip_weight=(up == 1))
    tiled = cr.conv2d_resample(x, w, tileable=True, **kw)
    big = cr.conv2d_resample(_periodic(x), w, **kw)
    s = h * up // down
    torch.testing.assert_close(tiled, big[:, :, s : 2 * s, s : 2 * s], atol=1e-4, rtol=1e-4)


def test_tileable_upsample_equals_periodic() -> None:
    x = torch.randn(1, 3, 4, 4)
    f = ufd.setup_filter([1, 3, 3, 1])
    tiled = ufd.upsample2d(x, f, tileable=True)
    big = ufd.upsample2d(_periodic(x), f)
    torch.testing.assert_close(tiled, big[:, :, 8:16, 8:16])


def test_conv2d_resample_up_matches_naive() -> None:
    """Transposed-conv fast path == FIR upsample of the padded image, then a 3x3 convolution."""
    torch.manual_seed(3)
    x = torch.randn(1, 3, 5, 5)
    w = torch.randn(2, 3, 3, 3)
    f = ufd.setup_filter([1, 3, 3, 1])
    got = cr.conv2d_resample(x, w, f, up=2, padding=1, flip_weight=False)
    y = ufd.upfirdn2d_ref(x, f, up=2, padding=(3, 2, 3, 2), gain=4)
    y = F.conv2d(y, w.flip([2, 3]))  # flip_weight=False: a true convolution
    assert got.shape == (1, 2, 10, 10)
    torch.testing.assert_close(got, y, atol=1e-5, rtol=1e-5)
