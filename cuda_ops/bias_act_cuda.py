"""CUDA twin of `bias_act`: the kernel computes the forward pass; gradients (of any order)
come from differentiating the reference, so R1 penalties work through it."""

from __future__ import annotations

import torch

from cuda_ops import _plugin


def available() -> bool:
    """True when the kernel built (one warning otherwise)."""
    return _plugin.get_plugin("bias_act") is not None


class _BiasActCuda(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, b, dim, act, alpha, gain, clamp):  # type: ignore[no-untyped-def]
        from cuda_ops.bias_act import ACTIVATIONS

        plugin = _plugin.get_plugin("bias_act")
        assert plugin is not None
        ctx.save_for_backward(x, b if b is not None else torch.empty(0))
        ctx.args = (dim, act, alpha, gain, clamp)
        ctx.has_b = b is not None
        bb = b.float() if b is not None else torch.empty(0, device=x.device)
        y = plugin.bias_act(x.float(), bb, dim, ACTIVATIONS[act].cuda_idx, alpha, gain, clamp)
        return y.to(x.dtype)

    @staticmethod
    def backward(ctx, dy):  # type: ignore[no-untyped-def]
        from cuda_ops.bias_act import bias_act_ref

        x, b = ctx.saved_tensors
        dim, act, alpha, gain, clamp = ctx.args
        with torch.enable_grad():
            xr = x.detach().requires_grad_(True)
            br = b.detach().requires_grad_(True) if ctx.has_b else None
            y = bias_act_ref(xr, br, dim, act, alpha, gain, clamp if clamp >= 0 else None)
            inputs = [xr] + ([br] if br is not None else [])
            grads = torch.autograd.grad(y, inputs, dy, create_graph=torch.is_grad_enabled())
        db = grads[1] if ctx.has_b else None
        return grads[0], db, None, None, None, None, None


def bias_act_cuda(
    x: torch.Tensor,
    b: torch.Tensor | None,
    dim: int,
    act: str,
    alpha: float,
    gain: float,
    clamp: float,
) -> torch.Tensor:
    """Kernel forward; `clamp` < 0 means no clamping."""
    return _BiasActCuda.apply(x, b, dim, act, alpha, gain, clamp)
