"""Discriminator (resnet architecture by default) with projection conditioning on c."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import torch

from cuda_ops import upfirdn2d as ufd
from engine.stylegan.layers import (
    DEFAULT_FILTER,
    Conv2dLayer,
    FullyConnectedLayer,
    MinibatchStdLayer,
)
from engine.stylegan.mapping import MappingNetwork


class DiscriminatorBlock(torch.nn.Module):
    """One resolution: [fromRGB], conv0, 2x-down conv1, and a 1x1 down skip (resnet)."""

    def __init__(
        self,
        in_channels: int,  # input channels, 0 = first block
        tmp_channels: int,  # channels inside the block
        out_channels: int,  # output channels
        resolution: int,  # resolution of this block
        img_channels: int,  # image channels
        first_layer_idx: int,  # index of the first layer (for Freeze-D)
        architecture: str = "resnet",  # 'orig', 'skip' or 'resnet'
        activation: str = "lrelu",  # activation function
        resample_filter: Sequence[int] = DEFAULT_FILTER,  # FIR taps for downsampling
        conv_clamp: float | None = None,  # clamp conv outputs
        use_fp16: bool = False,  # float16 for this block (CUDA)
        fp16_channels_last: bool = False,  # channels-last with float16
        freeze_layers: int = 0,  # Freeze-D: layers below this index are buffers
        tileable: bool = False,  # periodic padding
    ) -> None:
        if in_channels not in (0, tmp_channels):
            raise ValueError("in_channels must be 0 or tmp_channels")
        if architecture not in ("orig", "skip", "resnet"):
            raise ValueError(f"unknown architecture {architecture!r}")
        super().__init__()
        self.in_channels = in_channels
        self.resolution = resolution
        self.img_channels = img_channels
        self.first_layer_idx = first_layer_idx
        self.architecture = architecture
        self.use_fp16 = use_fp16
        self.channels_last = use_fp16 and fp16_channels_last
        self.tileable = tileable
        self.resample_filter: torch.Tensor
        self.register_buffer("resample_filter", ufd.setup_filter(list(resample_filter)))
        self.num_layers = 0

        def trainable() -> Iterator[bool]:
            while True:
                idx = self.first_layer_idx + self.num_layers
                self.num_layers += 1
                yield idx >= freeze_layers

        it = trainable()
        cl = self.channels_last
        if in_channels == 0 or architecture == "skip":
            self.fromrgb = Conv2dLayer(
                img_channels,
                tmp_channels,
                kernel_size=1,
                activation=activation,
                trainable=next(it),
                conv_clamp=conv_clamp,
                channels_last=cl,
                tileable=tileable,
            )
        self.conv0 = Conv2dLayer(
            tmp_channels,
            tmp_channels,
            kernel_size=3,
            activation=activation,
            trainable=next(it),
            conv_clamp=conv_clamp,
            channels_last=cl,
            tileable=tileable,
        )
        self.conv1 = Conv2dLayer(
            tmp_channels,
            out_channels,
            kernel_size=3,
            activation=activation,
            down=2,
            trainable=next(it),
            resample_filter=resample_filter,
            conv_clamp=conv_clamp,
            channels_last=cl,
            tileable=tileable,
        )
        if architecture == "resnet":
            self.skip = Conv2dLayer(
                tmp_channels,
                out_channels,
                kernel_size=1,
                bias=False,
                down=2,
                trainable=next(it),
                resample_filter=resample_filter,
                channels_last=cl,
                tileable=tileable,
            )

    def prefers_channels_last(self, device: torch.device, use16: bool) -> bool:
        """Channels-last for fp16 blocks that ask for it, and on the CPU from 32 px up:
        oneDNN's convolutions (forward and both backward passes) run ≈ 1.4× faster there
        with few channels on wide images, which makes the whole 256 px training step ≈ 1.3×
        faster on a 2-core CPU (docs/BENCHMARKS.md); numerics differ only in summation order."""
        if self.channels_last and use16:
            return True
        return device.type == "cpu" and self.resolution >= 32

    def forward(
        self, x: torch.Tensor | None, img: torch.Tensor | None, force_fp32: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        dev = (x if x is not None else img).device  # type: ignore[union-attr]
        use16 = self.use_fp16 and not force_fp32 and dev.type == "cuda"
        dtype = torch.float16 if use16 else torch.float32
        cl = self.prefers_channels_last(dev, use16)
        fmt = torch.channels_last if cl else torch.contiguous_format
        if x is not None:
            x = x.to(dtype=dtype, memory_format=fmt)
        if self.in_channels == 0 or self.architecture == "skip":
            assert img is not None
            img = img.to(dtype=dtype, memory_format=fmt)
            y = self.fromrgb(img)
            x = x + y if x is not None else y
            img = (
                ufd.downsample2d(img, self.resample_filter, tileable=self.tileable)
                if self.architecture == "skip"
                else None
            )
        assert x is not None
        if self.architecture == "resnet":
            y = self.skip(x, gain=math.sqrt(0.5))
            x = self.conv0(x)
            x = self.conv1(x, gain=math.sqrt(0.5))
            x = y.add_(x)
        else:
            x = self.conv0(x)
            x = self.conv1(x)
        return x, img


class DiscriminatorEpilogue(torch.nn.Module):
    """4x4 head: minibatch std, conv, dense layers, and projection onto the mapped condition."""

    def __init__(
        self,
        in_channels: int,  # input channels
        cmap_dim: int,  # mapped condition width, 0 = unconditional
        resolution: int,  # resolution (4)
        img_channels: int,  # image channels
        architecture: str = "resnet",  # 'orig', 'skip' or 'resnet'
        mbstd_group_size: int | None = 4,  # minibatch-std group size, None = whole batch
        mbstd_num_channels: int = 1,  # minibatch-std features, 0 = off
        activation: str = "lrelu",  # activation function
        conv_clamp: float | None = None,  # clamp conv outputs
        tileable: bool = False,  # periodic padding
    ) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.cmap_dim = cmap_dim
        self.resolution = resolution
        self.img_channels = img_channels
        self.architecture = architecture
        if architecture == "skip":
            self.fromrgb = Conv2dLayer(
                img_channels, in_channels, kernel_size=1, activation=activation, tileable=tileable
            )
        self.mbstd = (
            MinibatchStdLayer(mbstd_group_size, mbstd_num_channels)
            if mbstd_num_channels > 0
            else None
        )
        self.conv = Conv2dLayer(
            in_channels + mbstd_num_channels,
            in_channels,
            kernel_size=3,
            activation=activation,
            conv_clamp=conv_clamp,
            tileable=tileable,
        )
        self.fc = FullyConnectedLayer(
            in_channels * resolution**2, in_channels, activation=activation
        )
        self.out = FullyConnectedLayer(in_channels, 1 if cmap_dim == 0 else cmap_dim)

    def forward(
        self, x: torch.Tensor, img: torch.Tensor | None, cmap: torch.Tensor | None
    ) -> torch.Tensor:
        x = x.to(dtype=torch.float32, memory_format=torch.contiguous_format)
        if self.architecture == "skip":
            assert img is not None
            x = x + self.fromrgb(img.to(torch.float32))
        if self.mbstd is not None:
            x = self.mbstd(x)
        x = self.conv(x)
        x = self.fc(x.flatten(1))
        x = self.out(x)
        if self.cmap_dim > 0:
            assert cmap is not None
            x = (x * cmap).sum(dim=1, keepdim=True) * (1 / math.sqrt(self.cmap_dim))
        return x


class Discriminator(torch.nn.Module):
    """StyleGAN2-ADA discriminator; D(img [N,C,H,W] in [-1,1], c) -> logits [N, 1]."""

    def __init__(
        self,
        c_dim: int,  # condition width, 0 = unconditional
        img_resolution: int,  # input resolution
        img_channels: int,  # image channels
        architecture: str = "resnet",  # 'orig', 'skip' or 'resnet'
        channel_base: int = 32768,  # channels = min(channel_base // res, channel_max)
        channel_max: int = 512,  # channel cap
        num_fp16_res: int = 0,  # float16 for the N highest resolutions (CUDA)
        conv_clamp: float | None = None,  # clamp conv outputs
        cmap_dim: int | None = None,  # mapped condition width, None = channels at 4x4
        block_kwargs: dict[str, Any] | None = None,  # more DiscriminatorBlock arguments
        mapping_kwargs: dict[str, Any] | None = None,  # more MappingNetwork arguments
        epilogue_kwargs: dict[str, Any] | None = None,  # more DiscriminatorEpilogue arguments
        tileable: bool = False,  # periodic padding (for tileable training data)
    ) -> None:
        super().__init__()
        self.c_dim = c_dim
        self.img_resolution = img_resolution
        self.img_resolution_log2 = int(math.log2(img_resolution))
        self.img_channels = img_channels
        self.tileable = tileable
        self.block_resolutions = [2**i for i in range(self.img_resolution_log2, 2, -1)]
        channels = {r: min(channel_base // r, channel_max) for r in [*self.block_resolutions, 4]}
        fp16_resolution = max(2 ** (self.img_resolution_log2 + 1 - num_fp16_res), 8)
        if cmap_dim is None:
            cmap_dim = channels[4]
        if c_dim == 0:
            cmap_dim = 0
        layer_idx = 0
        for res in self.block_resolutions:
            block = DiscriminatorBlock(
                channels[res] if res < img_resolution else 0,
                channels[res],
                channels[res // 2],
                resolution=res,
                first_layer_idx=layer_idx,
                use_fp16=(res >= fp16_resolution),
                img_channels=img_channels,
                architecture=architecture,
                conv_clamp=conv_clamp,
                tileable=tileable,
                **(block_kwargs or {}),
            )
            setattr(self, f"b{res}", block)
            layer_idx += block.num_layers
        if c_dim > 0:
            self.mapping = MappingNetwork(
                z_dim=0,
                c_dim=c_dim,
                w_dim=cmap_dim,
                num_ws=None,
                w_avg_beta=None,
                **(mapping_kwargs or {}),
            )
        self.b4 = DiscriminatorEpilogue(
            channels[4],
            cmap_dim=cmap_dim,
            resolution=4,
            img_channels=img_channels,
            architecture=architecture,
            conv_clamp=conv_clamp,
            tileable=tileable,
            **(epilogue_kwargs or {}),
        )

    def forward(
        self, img: torch.Tensor, c: torch.Tensor | None, **block_kwargs: Any
    ) -> torch.Tensor:
        if img.ndim != 4 or tuple(img.shape[1:]) != (
            self.img_channels,
            self.img_resolution,
            self.img_resolution,
        ):
            raise ValueError(
                f"img must be [N, {self.img_channels}, {self.img_resolution}, "
                f"{self.img_resolution}], got {tuple(img.shape)}"
            )
        x: torch.Tensor | None = None
        cur: torch.Tensor | None = img
        for res in self.block_resolutions:
            x, cur = getattr(self, f"b{res}")(x, cur, **block_kwargs)
        cmap = self.mapping(None, c) if self.c_dim > 0 else None
        assert x is not None
        return self.b4(x, cur, cmap)
