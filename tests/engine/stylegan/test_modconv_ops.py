"""modulated_conv2d (matrix-product demodulation, minimal-wrap tileable resampling) equals
the straightforward formulation: per-sample weights squared and summed, wide-margin wrap."""

from __future__ import annotations

import pytest
import torch

from cuda_ops import conv2d_resample as cr
from cuda_ops import upfirdn2d as ufd
from engine.stylegan.layers import modulated_conv2d


def _reference(x, weight, styles, up, down, tileable, f):
    n = x.shape[0]
    w = weight.unsqueeze(0) * styles.reshape(n, 1, -1, 1, 1)
    w = w * (w.square().sum(dim=[2, 3, 4]) + 1e-8).rsqrt().reshape(n, -1, 1, 1, 1)
    y = cr.conv2d_resample(
        x.reshape(1, -1, *x.shape[2:]),
        w.reshape(-1, *weight.shape[1:]),
        f,
        up=up,
        down=down,
        padding=1,
        groups=n,
        tileable=tileable,
        impl="ref",
    )
    return y.reshape(n, -1, *y.shape[2:])


@pytest.mark.parametrize("up,down", [(1, 1), (2, 1), (1, 2)])
@pytest.mark.parametrize("tileable", [False, True])
@pytest.mark.parametrize("fused", [False, True])
def test_modulated_conv2d_matches_reference_with_double_backward(up, down, tileable, fused):
    g = torch.Generator().manual_seed(up * 10 + down * 3 + tileable + 2 * fused)
    x = torch.randn(2, 5, 8, 8, generator=g, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(4, 5, 3, 3, generator=g, dtype=torch.float64, requires_grad=True)
    styles = torch.randn(2, 5, generator=g, dtype=torch.float64, requires_grad=True)
    f = ufd.setup_filter([1, 3, 3, 1]).to(torch.float64)
    new = modulated_conv2d(
        x, weight, styles, up=up, down=down, padding=1, resample_filter=f,
        fused_modconv=fused, tileable=tileable,
    )  # fmt: skip
    ref = _reference(x, weight, styles, up, down, tileable, f)
    torch.testing.assert_close(new, ref, rtol=1e-5, atol=1e-5)
    gy = torch.randn(new.shape, generator=g, dtype=torch.float64)
    out = []
    for y in (new, ref):
        gs = torch.autograd.grad((y * gy).sum(), [x, weight, styles], create_graph=True)
        gg = torch.autograd.grad(sum(t.square().sum() for t in gs), [x, weight, styles])
        out.append((*gs, *gg))
    for a, b in zip(*out, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)
