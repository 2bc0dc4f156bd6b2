"""Building blocks shared by the StyleGAN2 generator and discriminator.

Parameter and buffer names, shapes, initialisation and gains follow NVIDIA's StyleGAN2-ADA
release (equalised learning rate: weights are stored N(0,1)/lr_multiplier and scaled by
lr_multiplier/sqrt(fan_in) at run time), so state dicts move between the two unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from cuda_ops import bias_act as ba
from cuda_ops import conv2d_resample as cr
from cuda_ops import upfirdn2d as ufd

DEFAULT_FILTER: tuple[int, ...] = (1, 3, 3, 1)


def normalize_2nd_moment(x: torch.Tensor, dim: int = 1, eps: float = 1e-8) -> torch.Tensor:
    """Scale to unit mean square along `dim` (pixel norm for latents)."""
    return x * (x.square().mean(dim=dim, keepdim=True) + eps).rsqrt()


def modulated_conv2d(
    x: torch.Tensor,  # [N, I, H, W] activations
    weight: torch.Tensor,  # [O, I, kh, kw] unscaled weight
    styles: torch.Tensor,  # [N, I] per-sample input-channel scales
    noise: torch.Tensor | None = None,  # added after the convolution (broadcastable)
    up: int = 1,  # integer upsampling factor
    down: int = 1,  # integer downsampling factor
    padding: int = 0,  # padding on the upsampled image
    resample_filter: torch.Tensor | None = None,  # FIR filter for resampling
    demodulate: bool = True,  # normalise each output channel to unit variance
    flip_weight: bool = True,  # True = correlation (as torch's conv2d)
    fused_modconv: bool = True,  # one grouped conv with per-sample weights
    tileable: bool = False,  # wrap around instead of zero padding
    impl: str = "auto",  # op implementation, see cuda_ops
) -> torch.Tensor:
    """StyleGAN2 weight modulation/demodulation around a (resampling) convolution."""
    n = x.shape[0]
    _, in_ch, kh, kw = weight.shape
    if x.shape[1] != in_ch or styles.shape != (n, in_ch):
        raise ValueError(
            f"shape mismatch: x {tuple(x.shape)}, weight {tuple(weight.shape)}, "
            f"styles {tuple(styles.shape)}"
        )
    if x.dtype == torch.float16 and demodulate:  # pre-normalise against fp16 overflow
        weight = weight * (
            1 / math.sqrt(in_ch * kh * kw) / weight.norm(float("inf"), dim=[1, 2, 3], keepdim=True)
        )
        styles = styles / styles.norm(float("inf"), dim=1, keepdim=True)

    if impl != "ref" and x.dtype == torch.float32 and not torch.is_grad_enabled():
        return _modulated_conv2d_infer(
            x,
            weight,
            styles,
            noise,
            up,
            down,
            padding,
            resample_filter,
            demodulate,
            flip_weight,
            tileable,
            impl,
        )

    w = None
    dcoefs = None
    if fused_modconv:
        w = weight.unsqueeze(0) * styles.reshape(n, 1, -1, 1, 1)  # [N, O, I, kh, kw]
    if demodulate:
        # sum_ik (w_oik s_i)^2 = sum_i s_i^2 sum_k w_oik^2: a matrix product instead of
        # squaring the [N, O, I, kh, kw] per-sample weights (a large share of a training step)
        wsq = weight.square().sum(dim=[2, 3])  # [O, I]
        dcoefs = (styles.square() @ wsq.t() + 1e-8).rsqrt()  # [N, O]
    if demodulate and fused_modconv:
        assert w is not None and dcoefs is not None
        w = w * dcoefs.reshape(n, -1, 1, 1, 1)

    if not fused_modconv:  # scale activations instead of weights
        x = x * styles.to(x.dtype).reshape(n, -1, 1, 1)
        x = cr.conv2d_resample(
            x,
            weight.to(x.dtype),
            resample_filter,
            up=up,
            down=down,
            padding=padding,
            flip_weight=flip_weight,
            tileable=tileable,
            impl=impl,
        )
        if demodulate and noise is not None:
            assert dcoefs is not None
            x = torch.addcmul(noise.to(x.dtype), x, dcoefs.to(x.dtype).reshape(n, -1, 1, 1))
        elif demodulate:
            assert dcoefs is not None
            x = x * dcoefs.to(x.dtype).reshape(n, -1, 1, 1)
        elif noise is not None:
            x = x + noise.to(x.dtype)
        return x

    assert w is not None
    x = x.reshape(1, -1, *x.shape[2:])
    w = w.reshape(-1, in_ch, kh, kw)
    x = cr.conv2d_resample(
        x,
        w.to(x.dtype),
        resample_filter,
        up=up,
        down=down,
        padding=padding,
        groups=n,
        flip_weight=flip_weight,
        tileable=tileable,
        impl=impl,
    )
    x = x.reshape(n, -1, *x.shape[2:])
    if noise is not None:
        x = x.add_(noise.to(x.dtype))  # x is a fresh conv output
    return x


def _modulated_conv2d_infer(
    x: torch.Tensor,
    weight: torch.Tensor,
    styles: torch.Tensor,
    noise: torch.Tensor | None,
    up: int,
    down: int,
    padding: int,
    resample_filter: torch.Tensor | None,
    demodulate: bool,
    flip_weight: bool,
    tileable: bool,
    impl: str,
) -> torch.Tensor:
    """Inference path with the same maths and fewer memory passes.

    Demodulation coefficients come from a matrix product (sum_i s_i^2 sum_k w_oik^2) instead
    of materialising the squared per-sample weights, and for each layer the cheaper of "scale
    the weights" and "scale the activations" is chosen: large low-resolution layers scale
    the activations, wide high-resolution ones the (small) weights.
    """
    n = x.shape[0]
    out_ch, in_ch, kh, kw = weight.shape
    dcoefs = None
    if demodulate:
        wsq = weight.square().sum(dim=[2, 3])  # [O, I]
        dcoefs = (styles.square() @ wsq.t() + 1e-8).rsqrt()  # [N, O]
    out_px = (x.shape[2] * x.shape[3]) * (up * up) // (down * down)
    scale_weights = n * weight.numel() < x[0].numel() + out_ch * out_px
    if scale_weights:
        s = styles.reshape(n, 1, -1, 1, 1)
        w = (
            weight.unsqueeze(0) * s
            if dcoefs is None
            else (weight.unsqueeze(0) * s * dcoefs.reshape(n, -1, 1, 1, 1))
        )
        y = cr.conv2d_resample(
            x.reshape(1, -1, *x.shape[2:]),
            w.reshape(-1, in_ch, kh, kw),
            resample_filter,
            up=up,
            down=down,
            padding=padding,
            groups=n,
            flip_weight=flip_weight,
            tileable=tileable,
            impl=impl,
        )
        y = y.reshape(n, -1, *y.shape[2:])
        return y.add_(noise) if noise is not None else y
    y = cr.conv2d_resample(
        x * styles.reshape(n, -1, 1, 1),
        weight,
        resample_filter,
        up=up,
        down=down,
        padding=padding,
        flip_weight=flip_weight,
        tileable=tileable,
        impl=impl,
    )
    if dcoefs is not None:
        y = y.mul_(dcoefs.reshape(n, -1, 1, 1))
    return y.add_(noise) if noise is not None else y


class FullyConnectedLayer(torch.nn.Module):
    """Dense layer with equalised learning rate."""

    def __init__(
        self,
        in_features: int,  # input width
        out_features: int,  # output width
        bias: bool = True,  # add a bias before the activation
        activation: str = "linear",  # 'linear', 'lrelu', ...
        lr_multiplier: float = 1.0,  # learning-rate multiplier (0.01 in the mapping network)
        bias_init: float = 0.0,  # initial bias value (1 for style affines)
    ) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.activation = activation
        self.weight = torch.nn.Parameter(torch.randn([out_features, in_features]) / lr_multiplier)
        self.bias = (
            torch.nn.Parameter(torch.full([out_features], float(bias_init))) if bias else None
        )
        self.weight_gain = lr_multiplier / math.sqrt(in_features)
        self.bias_gain = lr_multiplier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.weight.to(x.dtype) * self.weight_gain
        b: torch.Tensor | None = self.bias
        if b is not None:
            b = b.to(x.dtype)
            if self.bias_gain != 1:
                b = b * self.bias_gain
        if self.activation == "linear" and b is not None:
            return torch.addmm(b.unsqueeze(0), x, w.t())
        x = x.matmul(w.t())
        return ba.bias_act(x, b, act=self.activation)

    def extra_repr(self) -> str:
        return f"in={self.in_features}, out={self.out_features}, act={self.activation}"


class Conv2dLayer(torch.nn.Module):
    """Plain (non-modulated) convolution with optional resampling, used by D and resnet G."""

    def __init__(
        self,
        in_channels: int,  # input channels
        out_channels: int,  # output channels
        kernel_size: int,  # square kernel size
        bias: bool = True,  # add a bias before the activation
        activation: str = "linear",  # activation function name
        up: int = 1,  # integer upsampling factor
        down: int = 1,  # integer downsampling factor
        resample_filter: Sequence[int] = DEFAULT_FILTER,  # FIR taps for resampling
        conv_clamp: float | None = None,  # clamp outputs to ±conv_clamp
        channels_last: bool = False,  # keep the weight channels-last
        trainable: bool = True,  # False stores weight/bias as buffers (Freeze-D)
        tileable: bool = False,  # wrap around instead of zero padding
    ) -> None:
        super().__init__()
        self.activation = activation
        self.up = up
        self.down = down
        self.conv_clamp = conv_clamp
        self.tileable = tileable
        self.resample_filter: torch.Tensor
        self.register_buffer("resample_filter", ufd.setup_filter(list(resample_filter)))
        self.padding = kernel_size // 2
        self.weight_gain = 1 / math.sqrt(in_channels * kernel_size**2)
        self.act_gain = ba.ACTIVATIONS[activation].def_gain
        fmt = torch.channels_last if channels_last else torch.contiguous_format
        weight = torch.randn([out_channels, in_channels, kernel_size, kernel_size]).to(
            memory_format=fmt
        )
        b = torch.zeros([out_channels]) if bias else None
        self.weight: torch.Tensor
        self.bias: torch.Tensor | None
        if trainable:
            self.weight = torch.nn.Parameter(weight)
            self.bias = torch.nn.Parameter(b) if b is not None else None
        else:
            self.register_buffer("weight", weight)
            if b is not None:
                self.register_buffer("bias", b)
            else:
                self.bias = None

    def forward(self, x: torch.Tensor, gain: float = 1.0) -> torch.Tensor:
        w = self.weight * self.weight_gain
        b = self.bias.to(x.dtype) if self.bias is not None else None
        x = cr.conv2d_resample(
            x,
            w.to(x.dtype),
            self.resample_filter,
            up=self.up,
            down=self.down,
            padding=self.padding,
            flip_weight=(self.up == 1),
            tileable=self.tileable,
        )
        clamp = self.conv_clamp * gain if self.conv_clamp is not None else None
        return ba.bias_act(x, b, act=self.activation, gain=self.act_gain * gain, clamp=clamp)


class MinibatchStdLayer(torch.nn.Module):
    """Append the mean per-group standard deviation as extra feature maps (D diversity cue)."""

    def __init__(self, group_size: int | None, num_channels: int = 1) -> None:
        super().__init__()
        self.group_size = group_size
        self.num_channels = num_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        g = min(self.group_size, n) if self.group_size is not None else n
        f = self.num_channels
        y = x.reshape(g, -1, f, c // f, h, w)  # [G, n, F, c, H, W]
        y = y - y.mean(dim=0)
        y = (y.square().mean(dim=0) + 1e-8).sqrt()  # [n, F, c, H, W] std over the group
        y = y.mean(dim=[2, 3, 4]).reshape(-1, f, 1, 1)  # [n, F, 1, 1]
        y = y.repeat(g, 1, h, w)  # [N, F, H, W]
        return torch.cat([x, y], dim=1)
