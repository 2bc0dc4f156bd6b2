"""CUDA twin of `upfirdn2d`: the kernel computes the forward pass; gradients (of any order)
come from differentiating the reference."""

from __future__ import annotations

import torch

from cuda_ops import _plugin


def available() -> bool:
    """True when the kernel built (one warning otherwise)."""
    return _plugin.get_plugin("upfirdn2d") is not None


class _Upfirdn2dCuda(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, f, up, down, pad, flip_filter, gain):  # type: ignore[no-untyped-def]
        plugin = _plugin.get_plugin("upfirdn2d")
        assert plugin is not None
        ctx.save_for_backward(x, f)
        ctx.args = (up, down, pad, flip_filter, gain)
        k = f if f.ndim == 2 else torch.outer(f, f)
        k = k * gain
        if not flip_filter:
            k = k.flip([0, 1])
        y = plugin.upfirdn2d(
            x.float(),
            k.float().to(x.device),
            up[0],
            up[1],
            down[0],
            down[1],
            pad[0],
            pad[1],
            pad[2],
            pad[3],
        )
        return y.to(x.dtype)

    @staticmethod
    def backward(ctx, dy):  # type: ignore[no-untyped-def]
        from cuda_ops.upfirdn2d import upfirdn2d_ref

        x, f = ctx.saved_tensors
        up, down, pad, flip_filter, gain = ctx.args
        with torch.enable_grad():
            xr = x.detach().requires_grad_(True)
            y = upfirdn2d_ref(xr, f, up, down, pad, flip_filter, gain)
            (dx,) = torch.autograd.grad(y, [xr], dy, create_graph=torch.is_grad_enabled())
        return dx, None, None, None, None, None, None


def upfirdn2d_cuda(
    x: torch.Tensor,
    f: torch.Tensor,
    up: tuple[int, int],
    down: tuple[int, int],
    pad: tuple[int, int, int, int],
    flip_filter: bool,
    gain: float,
) -> torch.Tensor:
    """Kernel forward of upfirdn2d (zero padding; wrap padding is applied by the caller)."""
    return _Upfirdn2dCuda.apply(x, f, up, down, pad, flip_filter, gain)
