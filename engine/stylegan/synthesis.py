"""Synthesis network (skip architecture by default): ws → image in [-1, 1] (roughly).

`tileable=True` makes every spatial operation periodic (wrapped convolutions and resampling,
per-pixel i.i.d. noise), so the output tile repeats without a seam. Off = the official
StyleGAN2-ADA numerics.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch

from cuda_ops import bias_act as ba
from cuda_ops import upfirdn2d as ufd
from engine.stylegan import infer, seeded_noise
from engine.stylegan.layers import (
    DEFAULT_FILTER,
    Conv2dLayer,
    FullyConnectedLayer,
    modulated_conv2d,
)
from engine.stylegan.noise_lowpass import check_sigma, lowpass

# "seeded": per-design noise drawn from the design's seed (engine/stylegan/seeded_noise.py)
NOISE_MODES = ("random", "const", "none", seeded_noise.SEEDED)


def _fast(x: torch.Tensor, impl: str) -> bool:
    """Inference on the CPU in float32: the re-ordered maths of `engine.stylegan.infer`."""
    return (
        impl == "auto"
        and x.device.type == "cpu"
        and x.dtype == torch.float32
        and not torch.is_grad_enabled()
    )


class SynthesisLayer(torch.nn.Module):
    """Modulated 3x3 convolution + noise + bias + activation."""

    def __init__(
        self,
        in_channels: int,  # input channels
        out_channels: int,  # output channels
        w_dim: int,  # w width
        resolution: int,  # output resolution
        kernel_size: int = 3,  # convolution kernel size
        up: int = 1,  # upsampling factor (2 for the first conv of a block)
        use_noise: bool = True,  # add per-pixel noise
        activation: str = "lrelu",  # activation function
        resample_filter: Sequence[int] = DEFAULT_FILTER,  # FIR taps for upsampling
        conv_clamp: float | None = None,  # clamp outputs to ±conv_clamp
        channels_last: bool = False,  # keep the weight channels-last
        tileable: bool = False,  # periodic padding
        noise_lowpass: float = 0.0,  # Gaussian σ (this layer's pixels) of its noise; 0 = white
    ) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.resolution = resolution
        self.up = up
        self.use_noise = use_noise
        self.noise_lowpass = check_sigma(noise_lowpass)
        self.activation = activation
        self.conv_clamp = conv_clamp
        self.tileable = tileable
        self.resample_filter: torch.Tensor
        self.register_buffer("resample_filter", ufd.setup_filter(list(resample_filter)))
        self.padding = kernel_size // 2
        self.act_gain = ba.ACTIVATIONS[activation].def_gain
        self.affine = FullyConnectedLayer(w_dim, in_channels, bias_init=1)
        fmt = torch.channels_last if channels_last else torch.contiguous_format
        self.weight = torch.nn.Parameter(
            torch.randn([out_channels, in_channels, kernel_size, kernel_size]).to(memory_format=fmt)
        )
        self.noise_const: torch.Tensor
        if use_noise:
            self.register_buffer("noise_const", torch.randn([resolution, resolution]))
            self.noise_strength = torch.nn.Parameter(torch.zeros([]))
        self.bias = torch.nn.Parameter(torch.zeros([out_channels]))

    def shape_noise(self, noise: torch.Tensor) -> torch.Tensor:
        """Unit white noise [..., R, R] -> this layer's noise (low-passed if it says so)."""
        return lowpass(noise, self.noise_lowpass)

    def make_noise(self, x: torch.Tensor, noise_mode: str) -> torch.Tensor | None:
        """Noise for this layer's output, or None. Seeded noise arrives already shaped
        (the renderer's table holds each layer's final noise)."""
        if noise_mode not in NOISE_MODES:
            raise ValueError(f"noise_mode must be one of {NOISE_MODES}, not {noise_mode!r}")
        if not self.use_noise or noise_mode == "none":
            return None
        if noise_mode == "random":
            shape = [x.shape[0], 1, self.resolution, self.resolution]
            return self.shape_noise(torch.randn(shape, device=x.device)) * self.noise_strength
        if noise_mode == seeded_noise.SEEDED:
            return seeded_noise.noise_of(self).to(x.device) * self.noise_strength
        return self.shape_noise(self.noise_const) * self.noise_strength

    def forward(
        self,
        x: torch.Tensor,
        w: torch.Tensor,
        noise_mode: str = "random",
        fused_modconv: bool = True,
        gain: float = 1.0,
        impl: str = "auto",
    ) -> torch.Tensor:
        in_res = self.resolution // self.up
        if tuple(x.shape[1:]) != (self.in_channels, in_res, in_res):
            raise ValueError(
                f"expected [N, {self.in_channels}, {in_res}, {in_res}], got {tuple(x.shape)}"
            )
        if _fast(x, impl) and infer.supports(self):
            if noise_mode not in NOISE_MODES:
                raise ValueError(f"noise_mode must be one of {NOISE_MODES}, not {noise_mode!r}")
            return infer.synthesis_layer(self, x, w, noise_mode, gain)
        styles = self.affine(w)
        noise = self.make_noise(x, noise_mode)
        x = modulated_conv2d(
            x,
            self.weight,
            styles,
            noise=noise,
            up=self.up,
            padding=self.padding,
            resample_filter=self.resample_filter,
            flip_weight=(self.up == 1),
            fused_modconv=fused_modconv,
            tileable=self.tileable,
            impl=impl,
        )
        clamp = self.conv_clamp * gain if self.conv_clamp is not None else None
        return ba.bias_act(
            x,
            self.bias.to(x.dtype),
            act=self.activation,
            gain=self.act_gain * gain,
            clamp=clamp,
            impl=impl,
        )


class ToRGBLayer(torch.nn.Module):
    """Modulated 1x1 convolution to image channels, without demodulation."""

    def __init__(
        self,
        in_channels: int,  # input channels
        out_channels: int,  # image channels
        w_dim: int,  # w width
        kernel_size: int = 1,  # kernel size
        conv_clamp: float | None = None,  # clamp outputs to ±conv_clamp
        channels_last: bool = False,  # keep the weight channels-last
        tileable: bool = False,  # periodic padding (matters only for kernel_size > 1)
    ) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.conv_clamp = conv_clamp
        self.tileable = tileable
        self.affine = FullyConnectedLayer(w_dim, in_channels, bias_init=1)
        fmt = torch.channels_last if channels_last else torch.contiguous_format
        self.weight = torch.nn.Parameter(
            torch.randn([out_channels, in_channels, kernel_size, kernel_size]).to(memory_format=fmt)
        )
        self.bias = torch.nn.Parameter(torch.zeros([out_channels]))
        self.weight_gain = 1 / math.sqrt(in_channels * kernel_size**2)

    def forward(
        self, x: torch.Tensor, w: torch.Tensor, fused_modconv: bool = True, impl: str = "auto"
    ) -> torch.Tensor:
        if _fast(x, impl):
            return infer.torgb_layer(self, x, w)
        styles = self.affine(w) * self.weight_gain
        x = modulated_conv2d(
            x,
            self.weight,
            styles,
            demodulate=False,
            fused_modconv=fused_modconv,
            tileable=self.tileable,
            impl=impl,
        )
        return ba.bias_act(x, self.bias.to(x.dtype), clamp=self.conv_clamp, impl=impl)


class SynthesisBlock(torch.nn.Module):
    """One resolution: [const | 2x-up conv0], conv1, and a toRGB added to the upsampled image."""

    def __init__(
        self,
        in_channels: int,  # input channels, 0 = first block (learned constant)
        out_channels: int,  # output channels
        w_dim: int,  # w width
        resolution: int,  # resolution of this block
        img_channels: int,  # image channels
        is_last: bool,  # last block (always has toRGB)
        architecture: str = "skip",  # 'orig', 'skip' or 'resnet'
        resample_filter: Sequence[int] = DEFAULT_FILTER,  # FIR taps for resampling
        conv_clamp: float | None = None,  # clamp conv outputs
        use_fp16: bool = False,  # run this block in float16 (CUDA only)
        fp16_channels_last: bool = False,  # channels-last with float16
        tileable: bool = False,  # periodic padding
        **layer_kwargs: Any,  # more SynthesisLayer arguments
    ) -> None:
        if architecture not in ("orig", "skip", "resnet"):
            raise ValueError(f"unknown architecture {architecture!r}")
        super().__init__()
        self.in_channels = in_channels
        self.w_dim = w_dim
        self.resolution = resolution
        self.img_channels = img_channels
        self.is_last = is_last
        self.architecture = architecture
        self.use_fp16 = use_fp16
        self.channels_last = use_fp16 and fp16_channels_last
        self.tileable = tileable
        self.resample_filter: torch.Tensor
        self.register_buffer("resample_filter", ufd.setup_filter(list(resample_filter)))
        self.num_conv = 0
        self.num_torgb = 0
        if in_channels == 0:
            self.const = torch.nn.Parameter(torch.randn([out_channels, resolution, resolution]))
        if in_channels != 0:
            self.conv0 = SynthesisLayer(
                in_channels,
                out_channels,
                w_dim=w_dim,
                resolution=resolution,
                up=2,
                resample_filter=resample_filter,
                conv_clamp=conv_clamp,
                channels_last=self.channels_last,
                tileable=tileable,
                **layer_kwargs,
            )
            self.num_conv += 1
        self.conv1 = SynthesisLayer(
            out_channels,
            out_channels,
            w_dim=w_dim,
            resolution=resolution,
            conv_clamp=conv_clamp,
            channels_last=self.channels_last,
            tileable=tileable,
            **layer_kwargs,
        )
        self.num_conv += 1
        if is_last or architecture == "skip":
            self.torgb = ToRGBLayer(
                out_channels,
                img_channels,
                w_dim=w_dim,
                conv_clamp=conv_clamp,
                channels_last=self.channels_last,
                tileable=tileable,
            )
            self.num_torgb += 1
        if in_channels != 0 and architecture == "resnet":
            self.skip = Conv2dLayer(
                in_channels,
                out_channels,
                kernel_size=1,
                bias=False,
                up=2,
                resample_filter=resample_filter,
                channels_last=self.channels_last,
                tileable=tileable,
            )

    def dtype_for(self, x_device: torch.device, force_fp32: bool) -> torch.dtype:
        """float16 only for fp16 blocks on CUDA; CPU always computes in float32."""
        use16 = self.use_fp16 and not force_fp32 and x_device.type == "cuda"
        return torch.float16 if use16 else torch.float32

    def prefers_channels_last(self, device: torch.device, force_fp32: bool, impl: str) -> bool:
        """Channels-last for fp16 blocks that ask for it, and on the CPU from 32 px up:
        oneDNN is much faster with it for wide images with few channels, slower for
        small images with many channels (plain convs); with the fused CPU kernels at every
        size (packed convs write channels-last anyway). impl="ref" stays NCHW."""
        if self.channels_last and not force_fp32:
            return True
        if device.type != "cpu" or impl == "ref":
            return False
        return self.resolution >= 32 or infer.channels_last_everywhere()

    def forward(
        self,
        x: torch.Tensor | None,
        img: torch.Tensor | None,
        ws: torch.Tensor,
        force_fp32: bool = False,
        fused_modconv: bool | None = None,
        impl: str = "auto",
        channels_last: bool | None = None,
        **layer_kwargs: Any,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(x, img) -> (x, img) for this resolution.

        channels_last=None lets `prefers_channels_last` decide.
        """
        if ws.ndim != 3 or ws.shape[1] != self.num_conv + self.num_torgb:
            raise ValueError(
                f"block b{self.resolution} expects ws [N, "
                f"{self.num_conv + self.num_torgb}, {self.w_dim}]"
            )
        w_iter = iter(ws.unbind(dim=1))
        dtype = self.dtype_for(ws.device, force_fp32)
        if channels_last is None:
            channels_last = self.prefers_channels_last(ws.device, force_fp32, impl)
        fmt = torch.channels_last if channels_last else torch.contiguous_format
        if fused_modconv is None:
            fused_modconv = (not self.training) and (dtype == torch.float32 or ws.shape[0] == 1)
        kw = dict(fused_modconv=fused_modconv, impl=impl, **layer_kwargs)

        if self.in_channels == 0:
            x = self.const.to(dtype=dtype).unsqueeze(0).repeat([ws.shape[0], 1, 1, 1])
            x = x.contiguous(memory_format=fmt)
        else:
            assert x is not None
            x = x.to(dtype=dtype, memory_format=fmt)

        if self.in_channels == 0:
            x = self.conv1(x, next(w_iter), **kw)
        elif self.architecture == "resnet":
            y = self.skip(x, gain=math.sqrt(0.5))
            x = self.conv0(x, next(w_iter), **kw)
            x = self.conv1(x, next(w_iter), gain=math.sqrt(0.5), **kw)
            x = y.add_(x)
        else:
            x = self.conv0(x, next(w_iter), **kw)
            x = self.conv1(x, next(w_iter), **kw)

        has_rgb = self.is_last or self.architecture == "skip"
        if has_rgb and _fast(x, impl) and (img is None or _fast(img, impl)):
            w_rgb = next(w_iter)
            img = infer.torgb_image(self.torgb, x, w_rgb, img, self.resample_filter, self.tileable)
            return x, img
        if img is not None and _fast(img, impl):
            img = infer.upsample_img(img, self.resample_filter, self.tileable)
        elif img is not None:
            img = ufd.upsample2d(img, self.resample_filter, tileable=self.tileable, impl=impl)
        if self.is_last or self.architecture == "skip":
            y = self.torgb(x, next(w_iter), fused_modconv=fused_modconv, impl=impl)
            y = y.to(dtype=torch.float32)  # the add below reads any memory layout
            img = img.add_(y) if img is not None else y.contiguous()
        return x, img


class SynthesisNetwork(torch.nn.Module):
    """Blocks from 4x4 up to `img_resolution`; ws are split so that each toRGB shares its w
    with the next block's first conv."""

    def __init__(
        self,
        w_dim: int,  # w width
        img_resolution: int,  # output resolution (power of two >= 4)
        img_channels: int,  # image channels
        channel_base: int = 32768,  # channels = min(channel_base // res, channel_max)
        channel_max: int = 512,  # channel cap
        num_fp16_res: int = 0,  # float16 for the N highest resolutions (CUDA)
        tileable: bool = False,  # periodic padding everywhere
        # Gaussian σ (layer pixels) of the noise of every block below img_resolution; 0 =
        # white noise, as official (engine/stylegan/noise_lowpass.py says why)
        noise_lowpass: float = 0.0,
        **block_kwargs: Any,  # more SynthesisBlock arguments
    ) -> None:
        if img_resolution < 4 or img_resolution & (img_resolution - 1):
            raise ValueError(f"img_resolution must be a power of two >= 4, not {img_resolution}")
        super().__init__()
        self.w_dim = w_dim
        self.img_resolution = img_resolution
        self.img_resolution_log2 = int(math.log2(img_resolution))
        self.img_channels = img_channels
        self.tileable = tileable
        self.noise_lowpass = check_sigma(noise_lowpass)
        self.block_resolutions = [2**i for i in range(2, self.img_resolution_log2 + 1)]
        channels = {r: min(channel_base // r, channel_max) for r in self.block_resolutions}
        fp16_resolution = max(2 ** (self.img_resolution_log2 + 1 - num_fp16_res), 8)
        self.num_ws = 0
        for res in self.block_resolutions:
            block = SynthesisBlock(
                channels[res // 2] if res > 4 else 0,
                channels[res],
                w_dim=w_dim,
                resolution=res,
                img_channels=img_channels,
                is_last=(res == img_resolution),
                use_fp16=(res >= fp16_resolution),
                tileable=tileable,
                noise_lowpass=self.noise_lowpass if res < img_resolution else 0.0,
                **block_kwargs,
            )
            self.num_ws += block.num_conv
            if res == img_resolution:
                self.num_ws += block.num_torgb
            setattr(self, f"b{res}", block)

    def blocks(self) -> list[SynthesisBlock]:
        """Blocks in order of resolution."""
        return [getattr(self, f"b{r}") for r in self.block_resolutions]

    def split_ws(self, ws: torch.Tensor) -> list[torch.Tensor]:
        """Per-block views of ws (neighbouring blocks share the toRGB/conv0 row)."""
        if ws.ndim != 3 or ws.shape[1] != self.num_ws or ws.shape[2] != self.w_dim:
            raise ValueError(f"ws must be [N, {self.num_ws}, {self.w_dim}], got {tuple(ws.shape)}")
        ws = ws.to(torch.float32)
        out, idx = [], 0
        for block in self.blocks():
            out.append(ws.narrow(1, idx, block.num_conv + block.num_torgb))
            idx += block.num_conv
        return out

    def forward(self, ws: torch.Tensor, **block_kwargs: Any) -> torch.Tensor:
        x = img = None
        for block, cur in zip(self.blocks(), self.split_ws(ws), strict=True):
            x, img = block(x, img, cur, **block_kwargs)
        assert img is not None
        return img
