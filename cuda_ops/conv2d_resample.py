"""2-D convolution with optional FIR up/downsampling, padding applied once at the start.

Cheap equivalent orderings are chosen per case (transposed convolution for upsampling,
strided convolution for downsampling, resample-then-1x1 for pointwise kernels). With
`tileable=True` the input is first wrapped around by a margin wider than the op's reach and
the margin is cropped off the result, so the output is exactly the periodic convolution.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from cuda_ops import upfirdn2d as ufd


def _conv(
    x: torch.Tensor,
    w: torch.Tensor,
    stride: int = 1,
    padding: tuple[int, int] = (0, 0),
    groups: int = 1,
    transpose: bool = False,
    flip_weight: bool = True,
) -> torch.Tensor:
    """conv2d (correlation) or its transpose; flip_weight=False means a true convolution."""
    if not flip_weight:
        w = w.flip([2, 3])
    if transpose:
        return F.conv_transpose2d(x, w, stride=stride, padding=padding, groups=groups)
    return F.conv2d(x, w, stride=stride, padding=padding, groups=groups)


def conv2d_resample(
    x: torch.Tensor,
    w: torch.Tensor,
    f: torch.Tensor | None = None,
    up: int = 1,
    down: int = 1,
    padding: int | Sequence[int] = 0,
    groups: int = 1,
    flip_weight: bool = True,
    flip_filter: bool = False,
    tileable: bool = False,
    impl: str = "auto",
) -> torch.Tensor:
    """Convolve `x` [NCHW] with `w` [O, I/groups, kh, kw], upsampling/downsampling with `f`.

    `padding` is measured on the upsampled image, as in StyleGAN2.
    """
    if x.ndim != 4 or w.ndim != 4:
        raise ValueError("x and w must be 4-D")
    if up < 1 or down < 1:
        raise ValueError("up and down must be >= 1")
    if tileable:
        return _tileable(x, w, f, up, down, padding, groups, flip_weight, flip_filter, impl)
    out_ch, in_per_group, kh, kw = (int(s) for s in w.shape)
    px0, px1, py0, py1 = _total_padding(f, up, down, padding)

    if kw == 1 and kh == 1 and down > 1 and up == 1:  # pointwise: shrink first
        x = ufd.upfirdn2d(
            x, f, down=down, padding=(px0, px1, py0, py1), flip_filter=flip_filter, impl=impl
        )
        return _conv(x, w, groups=groups, flip_weight=flip_weight)
    if kw == 1 and kh == 1 and up > 1 and down == 1:  # pointwise: grow last
        x = _conv(x, w, groups=groups, flip_weight=flip_weight)
        return ufd.upfirdn2d(
            x,
            f,
            up=up,
            padding=(px0, px1, py0, py1),
            gain=up**2,
            flip_filter=flip_filter,
            impl=impl,
        )
    if down > 1 and up == 1:  # filter, then a strided convolution
        x = ufd.upfirdn2d(x, f, padding=(px0, px1, py0, py1), flip_filter=flip_filter, impl=impl)
        return _conv(x, w, stride=down, groups=groups, flip_weight=flip_weight)
    if up > 1:  # a strided transposed convolution inserts the zeros, then the filter smooths
        if groups == 1:
            w = w.transpose(0, 1)
        else:
            w = w.reshape(groups, out_ch // groups, in_per_group, kh, kw).transpose(1, 2)
            w = w.reshape(groups * in_per_group, out_ch // groups, kh, kw)
        w = w.contiguous()  # a transposed view sends oneDNN down a slow path
        px0 -= kw - 1
        px1 -= kw - up
        py0 -= kh - 1
        py1 -= kh - up
        pxt = max(min(-px0, -px1), 0)
        pyt = max(min(-py0, -py1), 0)
        x = _conv(
            x,
            w,
            stride=up,
            padding=(pyt, pxt),
            groups=groups,
            transpose=True,
            flip_weight=not flip_weight,
        )
        x = ufd.upfirdn2d(
            x,
            f,
            padding=(px0 + pxt, px1 + pxt, py0 + pyt, py1 + pyt),
            gain=up**2,
            flip_filter=flip_filter,
            impl=impl,
        )
        if down > 1:
            x = ufd.upfirdn2d(x, f, down=down, flip_filter=flip_filter, impl=impl)
        return x
    if px0 == px1 and py0 == py1 and px0 >= 0 and py0 >= 0:  # plain convolution
        return _conv(x, w, padding=(py0, px0), groups=groups, flip_weight=flip_weight)
    x = ufd.upfirdn2d(
        x,
        f if up > 1 else None,
        up=up,
        padding=(px0, px1, py0, py1),
        gain=up**2,
        flip_filter=flip_filter,
        impl=impl,
    )
    x = _conv(x, w, groups=groups, flip_weight=flip_weight)
    if down > 1:
        x = ufd.upfirdn2d(x, f, down=down, flip_filter=flip_filter, impl=impl)
    return x


def _total_padding(
    f: torch.Tensor | None, up: int, down: int, padding: int | Sequence[int]
) -> ufd.Pad4:
    """Zero padding on the upsampled grid, before the filter and the kernel (all of it)."""
    fw, fh = ufd.filter_size(f)
    px0, px1, py0, py1 = ufd.parse_padding(padding)
    if up > 1:
        px0 += (fw + up - 1) // 2
        px1 += (fw - up) // 2
        py0 += (fh + up - 1) // 2
        py1 += (fh - up) // 2
    if down > 1:
        px0 += (fw - down + 1) // 2
        px1 += (fw - down) // 2
        py0 += (fh - down + 1) // 2
        py1 += (fh - down) // 2
    return px0, px1, py0, py1


def _tileable(
    x: torch.Tensor,
    w: torch.Tensor,
    f: torch.Tensor | None,
    up: int,
    down: int,
    padding: int | Sequence[int],
    groups: int,
    flip_weight: bool,
    flip_filter: bool,
    impl: str,
) -> torch.Tensor:
    """Periodic version: wrap just the input pixels the zero padding would reach.

    All of the op's zero padding sits on the upsampled grid before the filter/kernel (the
    orderings above are equivalent to that), so wrapping `a` input pixels on a side and
    padding `a*up` less there keeps the output grid and reads wrapped data instead of
    zeros (`upfirdn2d.wrap_split`). Output size is unchanged; nothing is cropped.
    `impl="ref"` keeps the wide-margin version as a reference.
    """
    if impl == "ref":
        return _tileable_wide(x, w, f, up, down, padding, groups, flip_weight, flip_filter, impl)
    total = _total_padding(f, up, down, padding)
    wrap, _ = ufd.wrap_split(total, up, up)
    if max(wrap[0], wrap[1]) > x.shape[3] or max(wrap[2], wrap[3]) > x.shape[2]:
        return _tileable_wide(x, w, f, up, down, padding, groups, flip_weight, flip_filter, impl)
    x = ufd._pad(x, wrap, True)
    p = ufd.parse_padding(padding)
    rest = tuple(p[i] - wrap[i] * up for i in range(4))
    return conv2d_resample(
        x,
        w,
        f,
        up=up,
        down=down,
        padding=rest,
        groups=groups,
        flip_weight=flip_weight,
        flip_filter=flip_filter,
        impl=impl,
    )


def _tileable_wide(
    x: torch.Tensor,
    w: torch.Tensor,
    f: torch.Tensor | None,
    up: int,
    down: int,
    padding: int | Sequence[int],
    groups: int,
    flip_weight: bool,
    flip_filter: bool,
    impl: str,
) -> torch.Tensor:
    """Reference periodic version: wrap a margin wider than the op's reach, crop it off.

    The margin (in input pixels) is a multiple of `down`, so the crop is whole output pixels.
    """
    kh, kw = int(w.shape[2]), int(w.shape[3])
    fw, fh = ufd.filter_size(f)
    reach = (max(kh, kw) + max(fw, fh) * max(up, down)) // max(up, 1) + 1
    m = -(-reach // down) * down
    x = ufd._pad(x, (m, m, m, m), True)
    y = conv2d_resample(
        x,
        w,
        f,
        up=up,
        down=down,
        padding=padding,
        groups=groups,
        flip_weight=flip_weight,
        flip_filter=flip_filter,
        impl=impl,
    )
    c = m * up // down
    return y[:, :, c : y.shape[2] - c, c : y.shape[3] - c]
