"""Fused bias + activation + gain + clamp.

Three implementations with one meaning: `ref` (plain PyTorch, the ground truth), `cuda` (a
fused kernel) and, for CPU inference, a variant that works in place on a fresh tensor to save
memory passes. `impl="auto"` picks the fastest one that applies to the tensor at hand.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from cuda_ops import _plugin, bias_act_cuda


@dataclass(frozen=True)
class Activation:
    """An activation function with its default slope and its variance-preserving gain."""

    func: Callable[[torch.Tensor, float], torch.Tensor]
    def_alpha: float
    def_gain: float
    cuda_idx: int
    # positive homogeneous (f(a*x) == a*f(x) for a > 0): lets the gain fold into inputs
    homogeneous: bool = False


ACTIVATIONS: dict[str, Activation] = {
    "linear": Activation(lambda x, a: x, 0.0, 1.0, 1, True),
    "relu": Activation(lambda x, a: F.relu(x), 0.0, math.sqrt(2), 2, True),
    "lrelu": Activation(lambda x, a: F.leaky_relu(x, a), 0.2, math.sqrt(2), 3, True),
    "tanh": Activation(lambda x, a: torch.tanh(x), 0.0, 1.0, 4),
    "sigmoid": Activation(lambda x, a: torch.sigmoid(x), 0.0, 1.0, 5),
    "elu": Activation(lambda x, a: F.elu(x), 0.0, 1.0, 6),
    "selu": Activation(lambda x, a: F.selu(x), 0.0, 1.0, 7),
    "softplus": Activation(lambda x, a: F.softplus(x), 0.0, 1.0, 8),
    "swish": Activation(lambda x, a: torch.sigmoid(x) * x, 0.0, math.sqrt(2), 9),
}


def _params(
    act: str, alpha: float | None, gain: float | None, clamp: float | None
) -> tuple[Activation, float, float, float]:
    if act not in ACTIVATIONS:
        raise ValueError(f"unknown activation {act!r}; expected one of {sorted(ACTIVATIONS)}")
    spec = ACTIVATIONS[act]
    if clamp is not None and clamp < 0:
        raise ValueError("clamp must be >= 0 or None")
    a = float(alpha if alpha is not None else spec.def_alpha)
    g = float(gain if gain is not None else spec.def_gain)
    c = float(clamp) if clamp is not None else -1.0
    return spec, a, g, c


def _bias_shape(x: torch.Tensor, b: torch.Tensor, dim: int) -> list[int]:
    if b.ndim != 1 or not 0 <= dim < x.ndim or b.shape[0] != x.shape[dim]:
        raise ValueError(
            f"bias of shape {tuple(b.shape)} does not fit dim {dim} of {tuple(x.shape)}"
        )
    return [-1 if i == dim else 1 for i in range(x.ndim)]


def bias_act_ref(
    x: torch.Tensor,
    b: torch.Tensor | None = None,
    dim: int = 1,
    act: str = "linear",
    alpha: float | None = None,
    gain: float | None = None,
    clamp: float | None = None,
) -> torch.Tensor:
    """Reference: y = clamp(act(x + b) * gain, -clamp, clamp), step by step."""
    spec, a, g, c = _params(act, alpha, gain, clamp)
    if b is not None:
        x = x + b.reshape(_bias_shape(x, b, dim))
    x = spec.func(x, a)
    if g != 1:
        x = x * g
    if c >= 0:
        x = x.clamp(-c, c)
    return x


def _bias_act_inplace(
    x: torch.Tensor, b: torch.Tensor | None, dim: int, act: str, a: float, g: float, c: float
) -> torch.Tensor:
    """CPU inference path: same maths as the reference, one fresh tensor, in-place updates."""
    spec = ACTIVATIONS[act]
    y = x + b.reshape(_bias_shape(x, b, dim)) if b is not None else x.clone()
    if act == "lrelu":
        F.leaky_relu_(y, a)
    elif act == "relu":
        F.relu_(y)
    elif act != "linear":
        y = spec.func(y, a)
    if g != 1:
        y.mul_(g)
    if c >= 0:
        y.clamp_(-c, c)
    return y


def bias_act(
    x: torch.Tensor,
    b: torch.Tensor | None = None,
    dim: int = 1,
    act: str = "linear",
    alpha: float | None = None,
    gain: float | None = None,
    clamp: float | None = None,
    impl: str = "auto",
) -> torch.Tensor:
    """Add bias `b` along `dim`, apply `act`, scale by `gain`, clamp to ±`clamp`.

    impl: "auto" (CUDA kernel for CUDA tensors, an in-place variant for CPU inference),
    "ref" (reference), "cuda" (kernel; falls back to the reference with one warning).
    """
    if impl not in ("auto", "ref", "cuda"):
        raise ValueError(f"impl must be auto, ref or cuda, not {impl!r}")
    spec, a, g, c = _params(act, alpha, gain, clamp)
    if impl == "ref":
        return bias_act_ref(x, b, dim, act, alpha, gain, clamp)
    if x.device.type == "cuda":
        if bias_act_cuda.available():
            return bias_act_cuda.bias_act_cuda(x, b, dim, act, a, g, c)
    elif impl == "cuda":
        _plugin.warn_once("bias_act", "CPU tensor; using the PyTorch reference")
    needs_grad = torch.is_grad_enabled() and (
        x.requires_grad or (b is not None and b.requires_grad)
    )
    if not needs_grad and spec.cuda_idx <= 3:
        return _bias_act_inplace(x, b, dim, act, a, g, c)
    if b is not None and g > 0 and g != 1 and c < 0 and spec.homogeneous:
        # act(x + b) * g == act(g*x + g*b): bias and gain in one pass (training forward),
        # plain autograd ops, so double backward (R1, path length) needs nothing special
        gb = (b * g).to(x.dtype).reshape(_bias_shape(x, b, dim))
        return spec.func(torch.add(gb, x, alpha=g), a)
    return bias_act_ref(x, b, dim, act, alpha, gain, clamp)
