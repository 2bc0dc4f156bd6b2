"""The training (autograd) path of bias_act folds bias and gain into one pass; values,
gradients and double backward equal the step-by-step reference."""

from __future__ import annotations

import pytest
import torch

from cuda_ops import bias_act as ba


@pytest.mark.parametrize("act", ["lrelu", "relu", "linear", "tanh"])
@pytest.mark.parametrize("gain", [None, 0.5])
def test_bias_act_autograd_path_matches_reference(act, gain):
    g = torch.Generator().manual_seed(7)
    x = torch.randn(2, 3, 5, 5, generator=g, dtype=torch.float64, requires_grad=True)
    b = torch.randn(3, generator=g, dtype=torch.float64, requires_grad=True)
    new = ba.bias_act(x, b, act=act, gain=gain)
    ref = ba.bias_act(x, b, act=act, gain=gain, impl="ref")
    torch.testing.assert_close(new, ref, rtol=1e-6, atol=1e-6)
    gy = torch.randn(new.shape, generator=g, dtype=torch.float64)
    out = []
    for y in (new, ref):
        gx, gb = torch.autograd.grad((y * gy).sum(), [x, b], create_graph=True)
        gg = torch.autograd.grad((gx * x).sum() + (gb * b).sum() + gx.square().sum(), [x, b])
        out.append((gx, gb, *gg))
    for a, c in zip(*out, strict=True):
        torch.testing.assert_close(a, c, rtol=1e-6, atol=1e-6)
