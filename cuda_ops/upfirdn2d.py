"""Upsample, FIR-filter and downsample a batch of 2-D images (the StyleGAN2 resampler).

The sequence per channel: insert `up-1` zeros after each pixel, pad (negative = crop),
convolve with the FIR filter `f`, keep every `down`-th pixel. `tileable=True` pads by
wrapping around instead of with zeros, so a periodic image stays periodic (seamless tiles).
Implementations: `ref` (plain PyTorch, the ground truth), `cuda` (kernel), and for CPU a
separable path used when the 2-D filter is an outer product (it is for [1,3,3,1]).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from cuda_ops import _plugin, upfirdn2d_cuda
from cuda_ops.wrap import wrap_pad

Pad4 = tuple[int, int, int, int]


def parse_scaling(s: int | Sequence[int]) -> tuple[int, int]:
    """(sx, sy) from an int or a pair."""
    sx, sy = (s, s) if isinstance(s, int) else (int(s[0]), int(s[1]))
    if sx < 1 or sy < 1:
        raise ValueError(f"scaling factors must be >= 1, got {s}")
    return sx, sy


def parse_padding(p: int | Sequence[int]) -> Pad4:
    """(x0, x1, y0, y1) from an int, an (x, y) pair or four values."""
    if isinstance(p, int):
        return p, p, p, p
    p = [int(v) for v in p]
    if len(p) == 2:
        return p[0], p[0], p[1], p[1]
    if len(p) != 4:
        raise ValueError(f"padding needs 1, 2 or 4 values, got {p}")
    return p[0], p[1], p[2], p[3]


def filter_size(f: torch.Tensor | None) -> tuple[int, int]:
    """(width, height) of a 1-D (separable) or 2-D filter."""
    if f is None:
        return 1, 1
    if f.ndim not in (1, 2):
        raise ValueError("filter must be 1-D or 2-D")
    return int(f.shape[-1]), int(f.shape[0])


def setup_filter(
    f: Any,
    device: torch.device | str = "cpu",
    normalize: bool = True,
    flip_filter: bool = False,
    gain: float = 1.0,
    separable: bool | None = None,
) -> torch.Tensor:
    """Float32 FIR filter from taps: short 1-D lists become their 2-D outer product.

    Normalised to unit DC gain by default; `separable=None` keeps 1-D only for 8+ taps.
    """
    f = torch.as_tensor(1.0 if f is None else f, dtype=torch.float32)
    if f.ndim == 0:
        f = f.reshape(1)
    if f.ndim not in (1, 2) or f.numel() == 0:
        raise ValueError("filter taps must be a non-empty 1-D or 2-D array")
    if separable is None:
        separable = f.ndim == 1 and f.numel() >= 8
    if f.ndim == 1 and not separable:
        f = torch.outer(f, f)
    if normalize:
        f = f / f.sum()
    if flip_filter:
        f = f.flip(list(range(f.ndim)))
    f = f * (gain ** (f.ndim / 2))
    return f.to(device=device)


def _pad(x: torch.Tensor, pad: Pad4, tileable: bool) -> torch.Tensor:
    """Pad (x0, x1, y0, y1) with zeros or by wrapping; negative values crop."""
    x0, x1, y0, y1 = pad
    pos = [max(x0, 0), max(x1, 0), max(y0, 0), max(y1, 0)]
    if any(pos):
        if tileable:
            h, w = x.shape[2], x.shape[3]
            if max(pos[0], pos[1]) <= w and max(pos[2], pos[3]) <= h:
                x = wrap_pad(x, (pos[0], pos[1], pos[2], pos[3]))
            else:  # wraps more than once around: index modulo the period
                ix = torch.arange(-pos[0], w + pos[1], device=x.device) % w
                iy = torch.arange(-pos[2], h + pos[3], device=x.device) % h
                x = x.index_select(3, ix).index_select(2, iy)
        else:
            x = F.pad(x, pos)
    h, w = x.shape[2], x.shape[3]
    return x[:, :, max(-y0, 0) : h - max(-y1, 0), max(-x0, 0) : w - max(-x1, 0)]


def upfirdn2d_ref(
    x: torch.Tensor,
    f: torch.Tensor | None,
    up: int | Sequence[int] = 1,
    down: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0,
    flip_filter: bool = False,
    gain: float = 1.0,
    tileable: bool = False,
) -> torch.Tensor:
    """Reference: zero insertion, padding, depthwise convolution, decimation, as written."""
    if x.ndim != 4:
        raise ValueError(f"expected an NCHW tensor, got shape {tuple(x.shape)}")
    if f is None:
        f = torch.ones([1, 1], dtype=torch.float32, device=x.device)
    n, c, h, w = x.shape
    upx, upy = parse_scaling(up)
    downx, downy = parse_scaling(down)
    pad = parse_padding(padding)

    x = x.reshape(n, c, h, 1, w, 1)
    x = F.pad(x, [0, upx - 1, 0, 0, 0, upy - 1])
    x = x.reshape(n, c, h * upy, w * upx)
    x = _pad(x, pad, tileable)

    f = (f * (gain ** (f.ndim / 2))).to(x.dtype)
    if not flip_filter:  # conv2d correlates; a true convolution needs the flipped taps
        f = f.flip(list(range(f.ndim)))
    if f.ndim == 2:
        x = F.conv2d(x, f[None, None].repeat(c, 1, 1, 1), groups=c)
    else:
        x = F.conv2d(x, f[None, None, None].repeat(c, 1, 1, 1), groups=c)
        x = F.conv2d(x, f[None, None, :, None].repeat(c, 1, 1, 1), groups=c)
    return x[:, :, ::downy, ::downx]


def _upfirdn2d_cpu(
    x: torch.Tensor,
    f: torch.Tensor,
    up: tuple[int, int],
    down: tuple[int, int],
    pad: Pad4,
    flip_filter: bool,
    gain: float,
    tileable: bool,
) -> torch.Tensor:
    """CPU path: the same maths with fewer memory passes.

    Tileable inputs are wrapped by the few input pixels the padding reaches (see
    `wrap_split`) and continue as zero-padded. A 2-D filter with no upsampling runs as one
    depthwise conv2d that pads by itself (a negative padding crops first); 2x upsampling
    with padding (p+1, p) runs as one depthwise transposed convolution (which inserts the
    zeros). Anything else goes to the reference.
    """
    if f.ndim != 2:
        return upfirdn2d_ref(x, f, up, down, pad, flip_filter, gain, tileable)
    if tileable:
        wrap, rest = wrap_split(pad, up[0], up[1])
        if max(wrap[0], wrap[1]) > x.shape[3] or max(wrap[2], wrap[3]) > x.shape[2]:
            return upfirdn2d_ref(x, f, up, down, pad, flip_filter, gain, tileable)
        x, pad = wrap_pad(x, wrap), rest
    c, h, w = x.shape[1], x.shape[2], x.shape[3]
    x0, x1, y0, y1 = pad
    fh, fw = int(f.shape[0]), int(f.shape[1])
    k = (f * gain).to(x.dtype)
    if up == (1, 1):
        x = x[:, :, max(-y0, 0) : h - max(-y1, 0), max(-x0, 0) : w - max(-x1, 0)]
        x0, x1, y0, y1 = max(x0, 0), max(x1, 0), max(y0, 0), max(y1, 0)
        if x0 == x1 and y0 == y1:
            if not flip_filter:
                k = k.flip([0, 1])
            return F.conv2d(
                x,
                k[None, None].expand(c, 1, fh, fw).contiguous(),  # a stride-0 weight is slow
                padding=(y0, x0),
                groups=c,
                stride=(down[1], down[0]),
            )
    if up == (2, 2) and down == (1, 1) and x0 == x1 + 1 and y0 == y1 + 1 and min(x1, y1) >= -1:
        # zero-insert + pad (p+1, p) + correlate == transposed conv with padding fw-1-(p+1)
        px, py = fw - 1 - x0, fh - 1 - y0
        if px >= 0 and py >= 0:
            if flip_filter:
                k = k.flip([0, 1])
            y = F.conv_transpose2d(
                x,
                k[None, None].expand(c, 1, fh, fw).contiguous(),
                stride=2,
                padding=(py, px),
                groups=c,
            )
            return y[:, :, : 2 * h + y0 + y1 - fh + 1, : 2 * w + x0 + x1 - fw + 1]
    return upfirdn2d_ref(x, f, up, down, (x0, x1, y0, y1), flip_filter, gain, False)


def wrap_split(pad: Pad4, upx: int, upy: int) -> tuple[Pad4, Pad4]:
    """(input-pixel wrap, remaining padding) that make a zero-padded op periodic.

    Padding is measured on the upsampled grid, whose samples at multiples of `up` are data
    and the rest inserted zeros. Wrapping `a` input pixels on a side adds `a*up` samples
    there. Before the start, the `up-1` samples nearest to the data are zeros in the
    periodic signal too, so a remaining pad of up to `up-1` is exact; after the end the
    first sample is data, so the remaining pad must be <= 0 (negative = crop).
    """
    x0, x1, y0, y1 = pad
    wx0, wy0 = max(x0, 0) // upx, max(y0, 0) // upy
    wx1, wy1 = -(-max(x1, 0) // upx), -(-max(y1, 0) // upy)
    return (wx0, wx1, wy0, wy1), (x0 - wx0 * upx, x1 - wx1 * upx, y0 - wy0 * upy, y1 - wy1 * upy)


def upfirdn2d(
    x: torch.Tensor,
    f: torch.Tensor | None,
    up: int | Sequence[int] = 1,
    down: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0,
    flip_filter: bool = False,
    gain: float = 1.0,
    tileable: bool = False,
    impl: str = "auto",
) -> torch.Tensor:
    """Pad, upsample, filter and downsample `x` [NCHW]; see the module docstring."""
    if impl not in ("auto", "ref", "cuda", "cpu"):
        raise ValueError(f"impl must be auto, ref, cuda or cpu, not {impl!r}")
    if impl == "ref" or f is None:
        return upfirdn2d_ref(x, f, up, down, padding, flip_filter, gain, tileable)
    upx, upy = parse_scaling(up)
    downx, downy = parse_scaling(down)
    pad = parse_padding(padding)
    if x.device.type == "cuda" and impl != "cpu":
        if upfirdn2d_cuda.available():
            if tileable:  # wrap first, then let the kernel see no padding on wrapped sides
                x = _pad(x, _upsampled_pad_to_input(pad, upx, upy), True)
                pad = _remaining_pad(pad, upx, upy)
            return upfirdn2d_cuda.upfirdn2d_cuda(
                x, f, (upx, upy), (downx, downy), pad, flip_filter, gain
            )
    elif impl == "cuda":
        _plugin.warn_once("upfirdn2d", "CPU tensor; using the PyTorch reference")
    return _upfirdn2d_cpu(x, f, (upx, upy), (downx, downy), pad, flip_filter, gain, tileable)


def _upsampled_pad_to_input(pad: Pad4, upx: int, upy: int) -> Pad4:
    """Input-pixel wrap that covers a positive padding measured on the upsampled grid."""
    x0, x1, y0, y1 = pad
    return (
        -(-max(x0, 0) // upx),
        -(-max(x1, 0) // upx),
        -(-max(y0, 0) // upy),
        -(-max(y1, 0) // upy),
    )


def _remaining_pad(pad: Pad4, upx: int, upy: int) -> Pad4:
    """Padding left after wrapping by `_upsampled_pad_to_input` (zero or a crop)."""
    w = _upsampled_pad_to_input(pad, upx, upy)
    return (pad[0] - w[0] * upx, pad[1] - w[1] * upx, pad[2] - w[2] * upy, pad[3] - w[3] * upy)


def filter2d(
    x: torch.Tensor,
    f: torch.Tensor | None,
    padding: int | Sequence[int] = 0,
    flip_filter: bool = False,
    gain: float = 1.0,
    tileable: bool = False,
    impl: str = "auto",
) -> torch.Tensor:
    """Filter keeping the size (extra `padding` on top; negative crops)."""
    x0, x1, y0, y1 = parse_padding(padding)
    fw, fh = filter_size(f)
    p = (x0 + fw // 2, x1 + (fw - 1) // 2, y0 + fh // 2, y1 + (fh - 1) // 2)
    return upfirdn2d(
        x, f, padding=p, flip_filter=flip_filter, gain=gain, tileable=tileable, impl=impl
    )


def upsample2d(
    x: torch.Tensor,
    f: torch.Tensor | None,
    up: int | Sequence[int] = 2,
    padding: int | Sequence[int] = 0,
    flip_filter: bool = False,
    gain: float = 1.0,
    tileable: bool = False,
    impl: str = "auto",
) -> torch.Tensor:
    """Upsample by `up` with the FIR filter; output size is `up` times the input."""
    upx, upy = parse_scaling(up)
    x0, x1, y0, y1 = parse_padding(padding)
    fw, fh = filter_size(f)
    p = (
        x0 + (fw + upx - 1) // 2,
        x1 + (fw - upx) // 2,
        y0 + (fh + upy - 1) // 2,
        y1 + (fh - upy) // 2,
    )
    return upfirdn2d(
        x,
        f,
        up=(upx, upy),
        padding=p,
        flip_filter=flip_filter,
        gain=gain * upx * upy,
        tileable=tileable,
        impl=impl,
    )


def downsample2d(
    x: torch.Tensor,
    f: torch.Tensor | None,
    down: int | Sequence[int] = 2,
    padding: int | Sequence[int] = 0,
    flip_filter: bool = False,
    gain: float = 1.0,
    tileable: bool = False,
    impl: str = "auto",
) -> torch.Tensor:
    """Downsample by `down` with the FIR filter; output size is the input over `down`."""
    downx, downy = parse_scaling(down)
    x0, x1, y0, y1 = parse_padding(padding)
    fw, fh = filter_size(f)
    p = (
        x0 + (fw - downx + 1) // 2,
        x1 + (fw - downx) // 2,
        y0 + (fh - downy + 1) // 2,
        y1 + (fh - downy) // 2,
    )
    return upfirdn2d(
        x,
        f,
        down=(downx, downy),
        padding=p,
        flip_filter=flip_filter,
        gain=gain,
        tileable=tileable,
        impl=impl,
    )
