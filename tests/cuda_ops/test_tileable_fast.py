"""The minimal-wrap tileable ops equal the wide-margin reference (values and gradients,
double backward included) and the periodic ground truth (tile 3x3, zero-pad, crop)."""

from __future__ import annotations

import pytest
import torch

from cuda_ops import conv2d_resample as cr
from cuda_ops import upfirdn2d as ufd
from cuda_ops.wrap import wrap_pad

F4 = ufd.setup_filter([1, 3, 3, 1])

CASES = [  # (kernel, up, down, padding)
    (3, 1, 1, 1),
    (3, 2, 1, 1),
    (3, 1, 2, 1),
    (1, 1, 2, 0),
    (1, 1, 1, 0),
    (1, 2, 1, 0),
    (3, 2, 1, (1, 2, 0, 1)),
]


def _periodic_truth(x: torch.Tensor, fn) -> torch.Tensor:
    """Op on the 3x3-tiled input (zero padded), centre tile of the output."""
    y = fn(x.repeat(1, 1, 3, 3))
    oh, ow = y.shape[2] // 3, y.shape[3] // 3
    return y[:, :, oh : 2 * oh, ow : 2 * ow]


@pytest.mark.parametrize("k,up,down,pad", CASES)
@pytest.mark.parametrize("groups", [1, 2])
@pytest.mark.parametrize("size", [4, 8])
def test_conv2d_resample_minimal_wrap_matches_reference(k, up, down, pad, groups, size):
    g = torch.Generator().manual_seed(size * 31 + k + up * 7 + down * 3 + groups)
    x = torch.randn(2, 4, size, size, generator=g, dtype=torch.float64, requires_grad=True)
    w = torch.randn(6, 4 // groups, k, k, generator=g, dtype=torch.float64, requires_grad=True)
    f = F4.to(torch.float64)

    def run(impl: str, tileable: bool = True, xx: torch.Tensor = x) -> torch.Tensor:
        return cr.conv2d_resample(
            xx, w, f, up=up, down=down, padding=pad, groups=groups, tileable=tileable, impl=impl
        )

    new, ref = run("auto"), run("ref")
    assert new.shape == ref.shape
    torch.testing.assert_close(new, ref, rtol=1e-5, atol=1e-5)
    if pad == 1 or pad == 0:  # symmetric cases: also the periodic ground truth
        truth = _periodic_truth(x, lambda t: run("ref", False, t))
        torch.testing.assert_close(new, truth, rtol=1e-5, atol=1e-5)
    # gradients and double backward (as R1 / path length use them)
    gy = torch.randn(new.shape, generator=g, dtype=torch.float64)
    grads = []
    for out in (new, ref):
        gx, gw = torch.autograd.grad((out * gy).sum(), [x, w], create_graph=True)
        gg = torch.autograd.grad(gx.square().sum() + gw.square().sum(), [x, w])
        grads.append((gx, gw, *gg))
    for a, b in zip(*grads, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("op", ["up", "down", "filter"])
def test_upfirdn2d_tileable_cpu_path_matches_reference(op):
    g = torch.Generator().manual_seed(3)
    x = torch.randn(2, 3, 8, 8, generator=g, dtype=torch.float64, requires_grad=True)
    f = F4.to(torch.float64)
    fn = {"up": ufd.upsample2d, "down": ufd.downsample2d, "filter": ufd.filter2d}[op]
    new = fn(x, f, tileable=True)
    ref = fn(x, f, tileable=True, impl="ref")
    torch.testing.assert_close(new, ref, rtol=1e-6, atol=1e-6)
    truth = _periodic_truth(x, lambda t: fn(t, f, impl="ref"))
    torch.testing.assert_close(new, truth, rtol=1e-6, atol=1e-6)
    gy = torch.randn(new.shape, generator=g, dtype=torch.float64)
    (ga,) = torch.autograd.grad((new * gy).sum(), [x])
    (gb,) = torch.autograd.grad((ref * gy).sum(), [x])
    torch.testing.assert_close(ga, gb, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("pad", [(1, 1, 1, 1), (2, 1, 0, 3), (0, 0, 2, 2), (4, 4, 3, 3)])
def test_wrap_pad_equals_circular_and_is_twice_differentiable(pad):
    x = torch.randn(2, 3, 4, 5, dtype=torch.float64, requires_grad=True)
    ref = torch.nn.functional.pad(x, pad, mode="circular")
    torch.testing.assert_close(wrap_pad(x, pad), ref, rtol=0, atol=0)
    torch.autograd.gradcheck(lambda t: wrap_pad(t, pad), (x,))
    torch.autograd.gradgradcheck(lambda t: wrap_pad(t, pad), (x,))
    xc = x.detach().contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(wrap_pad(xc, pad), ref.detach(), rtol=0, atol=0)


def test_wrap_pad_rejects_more_than_one_period():
    with pytest.raises(ValueError):
        wrap_pad(torch.zeros(1, 1, 2, 2), (3, 0, 0, 0))
