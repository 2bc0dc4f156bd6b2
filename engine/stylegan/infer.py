"""Inference-only fast path of the synthesis layers (no autograd, float32, CPU).

Same maths as `modulated_conv2d` + `bias_act`, re-ordered so a frame costs few memory passes:

* 2x-up layers (official: stride-2 transposed 3x3 conv, then a 4x4 [1,3,3,1] FIR): the
  transposed conv runs as one ordinary conv of the *low-resolution* input with 2x2
  phase kernels to 4x the channels (9 real taps), the phases are interleaved by one copy
  and the FIR is one depthwise conv. Tileable generators wrap 2 low-res pixels instead
  of the reference's wide margin. 4x4 inputs instead upsample first (convolutions
  commute) and run the plain 3x3 conv: there the weight, not the pixels, is the cost.
* Weight constants (phase kernels, oneDNN-packed weights, squared-weight sums for
  demodulation, the const noise times its strength plus the bias) are cached per layer
  and rebuilt when a parameter's version counter changes (training, load_state_dict).
* The activation gain folds into the demodulation coefficients and the bias (leaky ReLU is
  positive-homogeneous), so after the convolution only add, activation and clamp remain.
* Per layer the cheaper of "scale the weights" and "scale the activations" is used.

With the fused C++ kernels (`cuda_ops.cpu_kernels`, built once per machine; without them
the PyTorch passes above run) a layer is three passes, all channels-last:

* 2x-up layers: styles x input while wrapping/padding (`pad_scale`), then ONE matrix product
  of the padded low-res pixels with the 9 real taps' weights side by side (MKL runs it near
  the machine's peak; in row bands that stay in L2), then one pass that sums the shifted tap
  products into the four phases, interleaves them, applies the separable FIR and the
  epilogue (demodulation, bias, noise, activation, clamp).
* Plain 3x3 layers: `pad_scale`, the packed constant-weight oneDNN conv, the epilogue in
  place; untiled layers with small weights modulate the weights instead (no input pass).
* Styles and demodulation in one call; toRGB is one matrix product, its bias, clamp and the
  previous image's upsampling one pass.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F

from cuda_ops import bias_act as ba
from cuda_ops import cpu_kernels
from cuda_ops import upfirdn2d as ufd
from engine.stylegan import seeded_noise

if TYPE_CHECKING:
    from engine.stylegan.layers import FullyConnectedLayer
    from engine.stylegan.synthesis import SynthesisLayer, ToRGBLayer


def transposed_phase_kernels(weight: torch.Tensor) -> torch.Tensor:
    """[4*O, I, 2, 2] phase-major kernels of the stride-2 transposed 3x3 convolution alone
    (T[q] = sum_i x[i] w[q - 2i] per axis), correlated over the input window [a-1, a]:
    even outputs take taps (w[2], w[0]), odd ones (0, w[1]); 9 of the 16 taps are real,
    against 36 when the FIR is folded into 3x3 phase kernels."""
    wp = F.pad(weight, (0, 1, 0, 1))  # tap index 3 is the zero
    taps = {0: [2, 0], 1: [3, 1]}
    phases = [wp[:, :, taps[py]][:, :, :, taps[px]] for py in (0, 1) for px in (0, 1)]
    return torch.cat(phases, dim=0).contiguous()


def _pad(x: torch.Tensor, lo: int, hi: int, tileable: bool) -> torch.Tensor:
    """Pad both spatial axes by (lo, hi), wrapping or with zeros, in x's memory format."""
    if not _is_cl(x):
        mode = "circular" if tileable else "constant"
        return F.pad(x, (lo, hi, lo, hi), mode=mode)
    n, c, h, w = x.shape
    out = torch.empty(
        [n, c, h + lo + hi, w + lo + hi],
        dtype=x.dtype,
        device=x.device,
        memory_format=torch.channels_last,
    )
    out[:, :, lo : lo + h, lo : lo + w] = x
    if not tileable:
        out[:, :, :lo].zero_()
        out[:, :, lo + h :].zero_()
        out[:, :, lo : lo + h, :lo].zero_()
        out[:, :, lo : lo + h, lo + w :].zero_()
        return out
    out[:, :, :lo, lo : lo + w] = x[:, :, h - lo :]
    out[:, :, lo + h :, lo : lo + w] = x[:, :, :hi]
    out[:, :, :, :lo] = out[:, :, :, w : w + lo]
    out[:, :, :, lo + w :] = out[:, :, :, lo : lo + hi]
    return out


def supports(layer: SynthesisLayer) -> bool:
    """Layers the fast path covers: 3x3 kernels, up 1 or 2 with a 4-tap filter, and a
    positive-homogeneous activation (the gain folds into the scales)."""
    if layer.weight.shape[2:] != (3, 3) or not ba.ACTIVATIONS[layer.activation].homogeneous:
        return False
    return layer.up == 1 or (layer.up == 2 and tuple(layer.resample_filter.shape) == (4, 4))


@dataclass
class _Consts:
    key: tuple[int, ...]
    weight: torch.Tensor  # [O, I, 3, 3] (float32, channels-last in channels-last blocks)
    wsq: torch.Tensor  # [O, I] sum of squared taps, for demodulation
    bias: torch.Tensor  # [O]
    noise: torch.Tensor | None  # the layer's shaped noise_const * strength, [H, W]
    packed: dict[tuple[int, ...], torch.Tensor | None]  # oneDNN-ready `weight` per input shape
    plain: torch.Tensor  # up=2: the flipped 3x3 weight, to correlate with the upsampled input
    packed_plain: dict[tuple[int, ...], torch.Tensor | None]
    tkern: torch.Tensor  # up=2: [4*O, I, 2, 2] phases of the stride-2 transposed conv alone
    packed_t: dict[tuple[int, ...], torch.Tensor | None]
    blur: torch.Tensor  # up=2: [O, 1, 4, 4] depthwise FIR (gain 4) applied after it


# Per-module derived tensors, kept outside the modules so deepcopy/pickle/torch.save of a
# generator never meet them (packed oneDNN weights have no storage to copy); they go away
# with their module.
_CACHES: weakref.WeakKeyDictionary[torch.nn.Module, dict[str, Any]] = weakref.WeakKeyDictionary()


def _cache(module: torch.nn.Module) -> dict[str, Any]:
    found = _CACHES.get(module)
    if found is None:
        found = _CACHES[module] = {}
    return found


def _version_key(*tensors: torch.Tensor | None) -> tuple[int, ...]:
    key: list[int] = []
    for t in tensors:
        if t is not None:
            key += [t._version, t.data_ptr()]
    return tuple(key)


def _layer_consts(layer: SynthesisLayer) -> _Consts:
    strength = getattr(layer, "noise_strength", None)
    noise_const = layer.noise_const if layer.use_noise else None
    key = _version_key(layer.weight, layer.bias, strength, noise_const, layer.resample_filter)
    cached: _Consts | None = _cache(layer).get("consts")
    if cached is not None and cached.key == key and cached.weight.device == layer.weight.device:
        return cached
    with torch.inference_mode():
        w = layer.weight.detach().to(torch.float32).contiguous()
        tkern = transposed_phase_kernels(w) if layer.up == 2 else w
        if layer.resolution >= 32:  # channels-last blocks: the per-frame scaled copies
            # inherit the layout, so oneDNN need not re-lay them out for NHWC inputs
            w, tkern = (t.contiguous(memory_format=torch.channels_last) for t in (w, tkern))
        noise = None
        if noise_const is not None and strength is not None:
            noise = (layer.shape_noise(noise_const) * strength).to(torch.float32)
        consts = _Consts(
            key=key,
            weight=w,
            wsq=w.square().sum(dim=[2, 3]),
            bias=layer.bias.detach().to(torch.float32),
            noise=noise,
            packed={},
            plain=w.flip([2, 3]).contiguous() if layer.up == 2 else w,
            packed_plain={},
            tkern=tkern,
            packed_t={},
            blur=(layer.resample_filter * 4)
            .flip([0, 1])[None, None]
            .expand(w.shape[0], 1, -1, -1)
            .contiguous(),
        )
    _cache(layer)["consts"] = consts
    return consts


def _is_cl(x: torch.Tensor) -> bool:
    return x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous()


def _wrap1(x: torch.Tensor, tileable: bool) -> tuple[torch.Tensor, int]:
    """Input and conv padding for a 3x3 kernel: wrapped by one pixel (keeping the memory
    format, which F.pad's circular mode does not), or zero padding inside the conv."""
    if not tileable:
        return x, 1
    if not _is_cl(x):
        return F.pad(x, (1, 1, 1, 1), mode="circular"), 0
    n, c, h, w = x.shape
    fmt = torch.channels_last
    out = torch.empty([n, c, h + 2, w + 2], dtype=x.dtype, device=x.device, memory_format=fmt)
    out[:, :, 1:-1, 1:-1] = x
    out[:, :, 0, 1:-1] = x[:, :, -1]
    out[:, :, -1, 1:-1] = x[:, :, 0]
    out[:, :, :, 0] = out[:, :, :, -2]
    out[:, :, :, -1] = out[:, :, :, 1]
    return out, 0


class _Interleave:
    """Views that read the four phase outputs of a conv ([N, 4*O, h, w], phase-major
    channels) as the 2x image (`src`), and an `out` buffer laid out so that its 4-D view
    `image` has the memory format of the input: one copy interleaves them."""

    def __init__(self, y: torch.Tensor, out_ch: int) -> None:
        n, _, h, w = y.shape
        self.cl = _is_cl(y)
        self.h, self.w = h, w
        if self.cl:  # memory [n, h, w, py, px, o] -> [n, h, py, w, px, o]
            self.src = y.permute(0, 2, 3, 1).reshape(n, h, w, 2, 2, out_ch)
            self.src = self.src.permute(0, 1, 3, 2, 4, 5)
            self.out = y.new_empty([n, h, 2, w, 2, out_ch])
            self.image = self.out.view(n, 2 * h, 2 * w, out_ch).permute(0, 3, 1, 2)
        else:  # memory [n, py, px, o, h, w] -> [n, o, h, py, w, px]
            self.src = y.reshape(n, 2, 2, out_ch, h, w).permute(0, 3, 4, 1, 5, 2)
            self.out = y.new_empty([n, out_ch, h, 2, w, 2])
            self.image = self.out.view(n, out_ch, 2 * h, 2 * w)


def _conv_const(
    weight: torch.Tensor,
    packs: dict[tuple[int, ...], torch.Tensor | None],
    x: torch.Tensor,
    pad: int,
) -> torch.Tensor:
    """3x3 conv with the layer's constant weight, pre-packed for oneDNN once per input shape
    (saves re-laying out a weight of up to a few MB every frame; ~2x on small images)."""
    shape = (*x.shape, pad, int(_is_cl(x)))
    if shape not in packs:
        packs[shape] = _pack(weight, x, pad)
    packed = packs[shape]
    if packed is None:
        return F.conv2d(x, weight, padding=pad)
    pads, ones = [pad, pad], [1, 1]
    return torch.ops.mkldnn._convolution_pointwise(
        x, packed, None, pads, ones, ones, 1, "none", [], ""
    )


def _pack(weight: torch.Tensor, x: torch.Tensor, pad: int) -> torch.Tensor | None:
    """The oneDNN-packed weight, or None where that private op is missing or disagrees."""
    if x.device.type != "cpu" or not torch.backends.mkldnn.is_available():
        return None
    try:
        ones = [1, 1]
        packed = torch.ops.mkldnn._reorder_convolution_weight(
            weight, [pad, pad], ones, ones, 1, list(x.shape)
        )
        probe = x[:1]
        got = torch.ops.mkldnn._convolution_pointwise(
            probe, packed, None, [pad, pad], ones, ones, 1, "none", [], ""
        )
        want = F.conv2d(probe, weight, padding=pad)
        if not torch.allclose(got, want, rtol=1e-4, atol=1e-4 * float(want.abs().max()) + 1e-6):
            return None
        return packed
    except (RuntimeError, AttributeError):
        return None


def _batch_to_groups(x: torch.Tensor) -> torch.Tensor:
    """[N, C, H, W] -> [1, N*C, H, W] for a grouped conv (as is for N = 1: a same-shape
    reshape would drop the channels-last strides)."""
    return x if x.shape[0] == 1 else x.reshape(1, -1, *x.shape[2:])


def _groups_to_batch(y: torch.Tensor, n: int) -> torch.Tensor:
    return y if n == 1 else y.reshape(n, -1, *y.shape[2:])


def synthesis_layer(
    layer: SynthesisLayer, x: torch.Tensor, w: torch.Tensor, noise_mode: str, gain: float
) -> torch.Tensor:
    """`SynthesisLayer.forward` for inference; x [N, I, h, w] -> [N, O, R, R]."""
    k = _layer_consts(layer)
    n, in_ch = x.shape[:2]
    g = layer.act_gain * gain
    fused_styles = _affine_consts(layer.affine, w) if _fused(x) else None
    if fused_styles is not None:
        a, b = fused_styles
        styles, d = cpu_kernels.styles_dco(w, a, b, k.wsq, g)
        assert d is not None
        dco = d
    else:
        styles = affine(layer.affine, w)  # [N, I]
        dco = (styles.square() @ k.wsq.t() + 1e-8).rsqrt() * g  # [N, O] demodulation x gain
    if layer.up == 2 and _fused(x) and GEMM_UP and _gemm_consts(layer, k).fy is not None:
        fmt = torch.channels_last if _is_cl(x) else torch.contiguous_format
        return _gemm_layer(layer, k, x, styles, dco, noise_mode, g, gain, fmt)
    if layer.up == 2 and x.shape[2] * x.shape[3] <= UPSAMPLE_FIRST_MAX_PIXELS:
        return _upsample_first_layer(layer, k, x, styles, dco, noise_mode, g, gain)
    if layer.up == 2:
        return _transposed_layer(layer, k, x, styles, dco, noise_mode, g, gain)
    fmt = torch.channels_last if _is_cl(x) else torch.contiguous_format
    if _fused(x) and GEMM_PLAIN:
        return _gemm_layer(layer, k, x, styles, dco, noise_mode, g, gain, fmt)
    # few channels, many pixels, zero padding: modulating the weights spares the input pass
    # (with wrapping, the input needs its own pass anyway; measured no faster then)
    small_weights = (
        n == 1 and not layer.tileable and k.weight.numel() * SMALL_WEIGHT_RATIO < x.numel()
    )
    if _fused(x) and FUSED_CONST_WEIGHTS and not small_weights:
        # three passes: styles x wrapped input, packed constant-weight conv, epilogue
        xin = cpu_kernels.pad_scale(x, styles, 1, 1, layer.tileable)
        y = _conv_const(k.weight, k.packed, xin, 0)
        return _scale_act(layer, k, y, dco, n, noise_mode, g, gain).contiguous(memory_format=fmt)
    if _fused(x) and small_weights:
        wt = k.weight * (dco.reshape(-1, 1, 1, 1) * styles.reshape(1, -1, 1, 1))
        y = F.conv2d(x, wt, padding=1)
        return _scale_act(layer, k, y, None, n, noise_mode, g, gain).contiguous(memory_format=fmt)
    scale_weights = n * k.weight.numel() < x.numel()
    if scale_weights:  # fold styles and demodulation into the (smaller) weights
        outer = dco.unsqueeze(2) * styles.unsqueeze(1)  # [N, O, I]
        wt = (k.weight.unsqueeze(0) * outer.unsqueeze(-1).unsqueeze(-1)).reshape(-1, in_ch, 3, 3)
        xin, pad = _wrap1(x, layer.tileable)
        y = _groups_to_batch(F.conv2d(_batch_to_groups(xin), wt, padding=pad, groups=n), n)
    else:  # scale the activations, convolve with the shared constant weight
        xin, pad = _wrap1(x * styles.reshape(n, -1, 1, 1), layer.tileable)
        y = _conv_const(k.weight, k.packed, xin, pad)
    if _fused(y):
        y = _scale_act(layer, k, y, None if scale_weights else dco, n, noise_mode, g, gain)
        return y.contiguous(memory_format=fmt)
    shift = _shift(layer, k, n, layer.resolution, _is_cl(y), noise_mode, g)
    y = y.add_(shift) if scale_weights else torch.addcmul(shift, y, dco[:, :, None, None])
    return _finish(layer, y.contiguous(memory_format=fmt), gain)


def _upsample_first_layer(
    layer: SynthesisLayer,
    k: _Consts,
    x: torch.Tensor,
    styles: torch.Tensor,
    dco: torch.Tensor,
    noise_mode: str,
    g: float,
    gain: float,
) -> torch.Tensor:
    """2x-up layer for tiny inputs (4x4): FIR-upsample the few pixels first (convolutions
    commute), then the plain 3x3 conv at 2x with the packed constant weight; at 4x4 the
    cost is streaming the weight, and this one is the smallest."""
    n = x.shape[0]
    fmt = torch.channels_last if _is_cl(x) else torch.contiguous_format
    xs = x * styles.reshape(n, -1, 1, 1)
    if layer.tileable:
        xin, pad = _wrap1(_up1d(_up1d(xs, -1, True), -2, True), True)
    else:  # upsample a zero border too: the conv reads one upsampled pixel beyond
        xu = _up1d(_up1d(F.pad(xs, (1, 1, 1, 1)), -1, False), -2, False)
        xin, pad = xu[:, :, 1:-1, 1:-1], 0
    y = _conv_const(k.plain, k.packed_plain, xin, pad)
    if _fused(y):
        return _scale_act(layer, k, y, dco, n, noise_mode, g, gain).contiguous(memory_format=fmt)
    shift = _shift(layer, k, n, layer.resolution, _is_cl(y), noise_mode, g)
    y = torch.addcmul(shift, y, dco[:, :, None, None])
    return _finish(layer, y.contiguous(memory_format=fmt), gain)


def _finish(layer: SynthesisLayer, y: torch.Tensor, gain: float) -> torch.Tensor:
    """Activation and clamp, in place (y is a fresh tensor)."""
    F.leaky_relu_(y, 0.2) if layer.activation == "lrelu" else _act_(y, layer.activation)
    if layer.conv_clamp is not None:
        c = layer.conv_clamp * gain
        y.clamp_(-c, c)
    return y


def _transposed_layer(
    layer: SynthesisLayer,
    k: _Consts,
    x: torch.Tensor,
    styles: torch.Tensor,
    dco: torch.Tensor,
    noise_mode: str,
    g: float,
    gain: float,
) -> torch.Tensor:
    """2x-up layer the official way round, cheaper in FLOPs than the folded phase kernels
    for mid-size inputs: stride-2 transposed conv as 2x2 phase kernels, phases
    interleaved, then the 4x4 FIR as one depthwise conv."""
    n, in_ch = x.shape[:2]
    out_ch = layer.out_channels
    fmt = torch.channels_last if _is_cl(x) else torch.contiguous_format
    if _fused(x) and FUSED_CONST_WEIGHTS:
        xin = cpu_kernels.pad_scale(x, styles, 2, 1, layer.tileable)
        y = _conv_const(k.tkern, k.packed_t, xin, 0)
        return _up_fir_act(layer, k, y, dco, n, fmt, noise_mode, g, gain)
    scale_weights = n * k.tkern.numel() < x.numel()
    if scale_weights:
        outer = dco.repeat(1, 4).unsqueeze(2) * styles.unsqueeze(1)  # [N, 4*O, I]
        wt = (k.tkern.unsqueeze(0) * outer.unsqueeze(-1).unsqueeze(-1)).reshape(-1, in_ch, 2, 2)
        xin = _pad(x, 2, 1, layer.tileable)
        y = _groups_to_batch(F.conv2d(_batch_to_groups(xin), wt, groups=n), n)
    else:
        xin = _pad(x * styles.reshape(n, -1, 1, 1), 2, 1, layer.tileable)
        y = _conv_const(k.tkern, k.packed_t, xin, 0)
    if _fused(y):
        return _up_fir_act(layer, k, y, None if scale_weights else dco, n, fmt, noise_mode, g, gain)
    il = _Interleave(y, out_ch)  # T on the 2x grid, one pixel margin more each side
    il.out.copy_(il.src)
    y = F.conv2d(il.image, k.blur, groups=out_ch)[:, :, 1:, 1:]
    shift = _shift(layer, k, n, layer.resolution, _is_cl(y), noise_mode, g)
    y = torch.add(y, shift) if scale_weights else torch.addcmul(shift, y, dco[:, :, None, None])
    return _finish(layer, y.contiguous(memory_format=fmt), gain)


def _up_fir_act(
    layer: SynthesisLayer,
    k: _Consts,
    y: torch.Tensor,
    dco: torch.Tensor | None,
    n: int,
    fmt: torch.memory_format,
    noise_mode: str,
    g: float,
    gain: float,
) -> torch.Tensor:
    """Phase interleave, FIR, scale, shift, activation and clamp of a 2x-up layer, one pass."""
    res = layer.resolution
    out = torch.empty([n, layer.out_channels, res, res], dtype=y.dtype, memory_format=fmt)
    shift = _shift(layer, k, n, res, fmt == torch.channels_last, noise_mode, g)
    clamp = layer.conv_clamp * gain if layer.conv_clamp is not None else None
    return cpu_kernels.up_fir_act(y, out, k.blur[0, 0], dco, shift, 1, layer.activation, clamp)


@dataclass
class _GemmConsts:
    key: tuple[int, ...]
    w: torch.Tensor  # [I, T*O]: every real tap's weight, side by side
    taps: torch.Tensor  # [T, 4] (phase, t, dy, dx)
    fy: torch.Tensor | None  # up=2: 1-D FIR (separable filters only, else None)


_UP_TAPS = {0: [2, 0], 1: [3, 1]}  # as in transposed_phase_kernels: tap 3 is the zero


def _gemm_consts(layer: SynthesisLayer, k: _Consts) -> _GemmConsts:
    """Tap weights for the GEMM form of the layer's conv: plain 3x3 -> 9 taps; 2x-up -> the
    9 real taps of the four 2x2 phase kernels (4 + 2 + 2 + 1)."""
    cached: _GemmConsts | None = _cache(layer).get("gemm")
    if cached is not None and cached.key == k.key:
        return cached
    with torch.inference_mode():
        rows: list[list[int]] = []
        blocks: list[torch.Tensor] = []
        if layer.up == 1:
            for dy in range(3):
                for dx in range(3):
                    rows.append([0, len(rows), dy, dx])
                    blocks.append(k.weight[:, :, dy, dx])
        else:
            o = layer.out_channels
            for p in range(4):
                py, px = p >> 1, p & 1
                for dy in range(2):
                    for dx in range(2):
                        if _UP_TAPS[py][dy] != 3 and _UP_TAPS[px][dx] != 3:
                            rows.append([p, len(rows), dy, dx])
                            blocks.append(k.tkern[p * o : (p + 1) * o, :, dy, dx])
        w = torch.cat([b.t() for b in blocks], dim=1).contiguous()  # [I, T*O]
        fy = None
        if layer.up == 2:
            blur = k.blur[0, 0]
            f1 = blur.sum(dim=1) / blur.sum().sqrt()
            if torch.allclose(torch.outer(f1, f1), blur, atol=1e-7, rtol=1e-6):
                fy = f1.contiguous()
    found = _GemmConsts(key=k.key, w=w, taps=torch.tensor(rows, dtype=torch.int64), fy=fy)
    _cache(layer)["gemm"] = found
    return found


def _gemm_layer(
    layer: SynthesisLayer,
    k: _Consts,
    x: torch.Tensor,
    styles: torch.Tensor,
    dco: torch.Tensor,
    noise_mode: str,
    g: float,
    gain: float,
    fmt: torch.memory_format,
) -> torch.Tensor:
    """The layer as: styles applied while wrapping (channels-last), ONE matrix product of
    every padded pixel with all real taps' weights (MKL runs it near peak; a 2x-up layer
    has 9 real taps, not the 16 of 2x2 phase kernels), then one fused pass that sums the
    shifted tap products and, for 2x-up layers, interleaves the phases and applies the FIR,
    then scale, shift, activation and clamp."""
    gc = _gemm_consts(layer, k)
    n = x.shape[0]
    lo, hi = (2, 1) if layer.up == 2 else (1, 1)
    xs = cpu_kernels.pad_scale(x, styles, lo, hi, layer.tileable, to_channels_last=True)
    res = layer.resolution
    out = torch.empty([n, layer.out_channels, res, res], dtype=x.dtype, memory_format=fmt)
    bias, noise = _shift_parts(layer, k, n, res, noise_mode, g)
    clamp = layer.conv_clamp * gain if layer.conv_clamp is not None else None
    act = layer.activation
    if layer.up == 2:
        assert gc.fy is not None
        return cpu_kernels.conv_taps_fir_act(
            xs, gc.w, gc.taps, gc.fy, gc.fy, 1, out, dco, bias, act, clamp, noise=noise
        )
    return cpu_kernels.conv_taps_act(xs, gc.w, gc.taps, out, dco, bias, act, clamp, noise=noise)


GEMM_UP = True  # 2x-up layers in GEMM form (with the fused kernels)
# plain layers whose weights are this many times smaller than their input modulate the
# weights per frame (fused kernels, batch 1)
SMALL_WEIGHT_RATIO = 4.0
GEMM_PLAIN = False  # plain 3x3 layers in GEMM form

# with the fused kernels: always convolve with the constant pre-packed weight, the styles
# applied in the (fused) input wrap; re-laying out per-frame modulated weights costs more
FUSED_CONST_WEIGHTS = True


def channels_last_everywhere() -> bool:
    """Inference with the fused kernels keeps every block channels-last (pre-packed oneDNN
    convs return channels-last even for NCHW inputs; converting back cost a copy)."""
    return ALL_CHANNELS_LAST and not torch.is_grad_enabled() and cpu_kernels.available()


ALL_CHANNELS_LAST = True


def _fused(y: torch.Tensor) -> bool:
    """Use the fused C++ passes: float32 CPU tensors, kernels built."""
    return y.dtype == torch.float32 and y.device.type == "cpu" and cpu_kernels.available()


def _scale_act(
    layer: SynthesisLayer,
    k: _Consts,
    y: torch.Tensor,
    dco: torch.Tensor | None,
    n: int,
    noise_mode: str,
    g: float,
    gain: float,
) -> torch.Tensor:
    """`_finish(y * dco + shift)` as one in-place pass."""
    clamp = layer.conv_clamp * gain if layer.conv_clamp is not None else None
    bias, noise = _shift_parts(layer, k, n, layer.resolution, noise_mode, g)
    return cpu_kernels.scale_act_(y, dco, bias, layer.activation, clamp, noise=noise)


def _shift_parts(
    layer: SynthesisLayer, k: _Consts, n: int, res: int, noise_mode: str, g: float
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The shift of the fused kernels as its two small parts: bias * gain [1, O, 1, 1] and
    noise * strength * gain [N|1, 1, R, R] (or None); the kernels add them per element
    instead of reading a [1, O, R, R] sum as large as the activations."""
    key = (k.key, g, res, noise_mode)
    cached = _cache(layer).get("shift_parts")
    per_frame = noise_mode in ("random", seeded_noise.SEEDED)
    if not per_frame and cached is not None and cached[0] == key:
        hit: tuple[torch.Tensor, torch.Tensor | None] = cached[1]
        return hit
    b = (k.bias * g).reshape(1, -1, 1, 1)
    if not layer.use_noise or noise_mode == "none":
        parts: tuple[torch.Tensor, torch.Tensor | None] = (b, None)
    elif noise_mode == "random":
        noise = layer.shape_noise(torch.randn([n, 1, res, res], device=b.device))
        return b, noise * (layer.noise_strength * g).to(noise.dtype)
    elif noise_mode == seeded_noise.SEEDED:
        return b, _seeded(layer, res, g, b.device)
    else:
        assert k.noise is not None
        parts = (b, (k.noise * g).reshape(1, 1, res, res).contiguous())
    _cache(layer)["shift_parts"] = (key, parts)
    return parts


def _seeded(layer: SynthesisLayer, res: int, g: float, device: torch.device) -> torch.Tensor:
    """The layer's seeded noise (set by the renderer) x strength x gain, [1, 1, R, R]."""
    noise = seeded_noise.noise_of(layer).to(device=device, dtype=torch.float32)
    scale = (layer.noise_strength * g).to(torch.float32)
    return (noise * scale).reshape(1, 1, res, res).contiguous()


def _act_(y: torch.Tensor, act: str) -> None:
    if act == "relu":
        F.relu_(y)
    elif act != "linear":
        raise ValueError(f"activation {act!r} has no in-place fast path")


def _shift(
    layer: SynthesisLayer,
    k: _Consts,
    n: int,
    res: int,
    cl: bool,
    noise_mode: str,
    g: float,
) -> torch.Tensor:
    """(noise + bias) * gain: [1, O, 1, 1], [N, O, R, R] (random) or [1, O, R, R] (const,
    cached in the memory format the layer output has)."""
    if layer.use_noise and noise_mode == "const":
        key = (k.key, g, res, cl)
        cached = _cache(layer).get("shift")
        if cached is not None and cached[0] == key:
            hit: torch.Tensor = cached[1]
            return hit
    b = (k.bias * g).reshape(1, -1, 1, 1)
    if not layer.use_noise or noise_mode == "none":
        return b
    if noise_mode in ("random", seeded_noise.SEEDED):
        if noise_mode == "random":
            noise = torch.randn([n, 1, res, res], device=b.device) * (layer.noise_strength * g)
        else:
            noise = _seeded(layer, res, g, b.device)
        shift = noise + b
        return shift.contiguous(memory_format=torch.channels_last) if cl else shift
    assert k.noise is not None
    shift = (k.noise * g).reshape(1, 1, res, res) + b  # [1, O, R, R]
    if cl:
        shift = shift.contiguous(memory_format=torch.channels_last)
    _cache(layer)["shift"] = (key, shift)
    return shift


def torgb_layer(layer: ToRGBLayer, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """`ToRGBLayer.forward` for inference (1x1 modulated conv without demodulation)."""
    n, in_ch = x.shape[:2]
    styles = affine(layer.affine, w) * layer.weight_gain  # [N, I]
    kh, kw = layer.weight.shape[2:]
    if kh == kw == 1:  # a batched matrix product over pixels, in the layout x has
        w2 = layer.weight[:, :, 0, 0].unsqueeze(0) * styles.unsqueeze(1)  # [N, 3, I]
        h, wd = x.shape[2:]
        if _is_cl(x):  # [N, HW, I] @ [N, I, 3] -> [N, H, W, 3], seen as channels-last NCHW
            xf = x.permute(0, 2, 3, 1).reshape(n, h * wd, in_ch)
            yf = torch.baddbmm(layer.bias.reshape(1, 1, -1), xf, w2.transpose(1, 2))
            y = yf.view(n, h, wd, -1).permute(0, 3, 1, 2)
        else:
            xf = x.reshape(n, in_ch, h * wd)
            y = torch.baddbmm(layer.bias.reshape(1, -1, 1), w2, xf).view(n, -1, h, wd)
        if layer.conv_clamp is not None:
            y.clamp_(-layer.conv_clamp, layer.conv_clamp)
        return y
    wt = layer.weight.unsqueeze(0) * styles.reshape(n, 1, -1, 1, 1)  # [N, 3, I, kh, kw]
    xin, pad = x, 0
    if kh > 1:
        xin, pad = (ufd._pad(x, (kw // 2,) * 4, True), 0) if layer.tileable else (x, kw // 2)
    y = F.conv2d(_batch_to_groups(xin), wt.reshape(-1, in_ch, kh, kw), padding=pad, groups=n)
    y = _groups_to_batch(y, n).add_(layer.bias.reshape(1, -1, 1, 1))
    if layer.conv_clamp is not None:
        y.clamp_(-layer.conv_clamp, layer.conv_clamp)
    return y


_DEFAULT_F = ufd.setup_filter([1, 3, 3, 1])
# 2x-up layers with at most this many input pixels upsample first, then convolve
UPSAMPLE_FIRST_MAX_PIXELS = 16


def _up1d(x: torch.Tensor, dim: int, tileable: bool) -> torch.Tensor:
    """2x along `dim` with taps [1, 3, 3, 1] / 4: out[2i] = (x[i-1] + 3 x[i]) / 4,
    out[2i+1] = (3 x[i] + x[i+1]) / 4 (wrapped or zero beyond the edges); each output
    phase is one lerp written straight into its strided slots."""
    d = dim % x.ndim
    size = x.shape[d]
    out = x.new_empty([*x.shape[:d], size, 2, *x.shape[d + 1 :]])
    even, odd = out.select(d + 1, 0), out.select(d + 1, 1)
    if size > 1:
        torch.lerp(
            x.narrow(d, 1, size - 1),
            x.narrow(d, 0, size - 1),
            0.25,
            out=even.narrow(d, 1, size - 1),
        )
        torch.lerp(
            x.narrow(d, 0, size - 1), x.narrow(d, 1, size - 1), 0.25, out=odd.narrow(d, 0, size - 1)
        )
    first, last = x.narrow(d, 0, 1), x.narrow(d, size - 1, 1)
    if tileable:
        torch.lerp(first, last, 0.25, out=even.narrow(d, 0, 1))
        torch.lerp(last, first, 0.25, out=odd.narrow(d, size - 1, 1))
    else:
        torch.mul(first, 0.75, out=even.narrow(d, 0, 1))
        torch.mul(last, 0.75, out=odd.narrow(d, size - 1, 1))
    return out.view(*x.shape[:d], 2 * size, *x.shape[d + 1 :])


def _is_default_filter(f: torch.Tensor) -> bool:
    """f is the [1,3,3,1] filter (checked once per filter buffer version, not per frame)."""
    key = (f._version, f.data_ptr(), tuple(f.shape))
    hit = _DEFAULT_F_SEEN.get(key)
    if hit is None:
        hit = tuple(f.shape) == (4, 4) and torch.allclose(f.detach().cpu(), _DEFAULT_F)
        if len(_DEFAULT_F_SEEN) > 256:
            _DEFAULT_F_SEEN.clear()
        _DEFAULT_F_SEEN[key] = hit
    return hit


_DEFAULT_F_SEEN: dict[tuple[Any, ...], bool] = {}


def upsample_img(img: torch.Tensor, f: torch.Tensor, tileable: bool) -> torch.Tensor:
    """`upfirdn2d.upsample2d(img, f)` for the [1,3,3,1] filter as two 1-D passes of plain
    tensor arithmetic (the image has three channels: convolutions cost more in set-up)."""
    if not _is_default_filter(f):
        return ufd.upsample2d(img, f, tileable=tileable)
    return _up1d(_up1d(img, -1, tileable), -2, tileable)


def torgb_image(
    layer: ToRGBLayer,
    x: torch.Tensor,
    w: torch.Tensor,
    img: torch.Tensor | None,
    f: torch.Tensor,
    tileable: bool,
) -> torch.Tensor:
    """The block's new image: `upsample_img(img) + toRGB(x, w)` (or toRGB alone without a
    previous image), as a new float32 NCHW tensor; one fused pass for 1x1 toRGB layers."""
    kh, kw = layer.weight.shape[2:]
    if (
        kh == kw == 1
        and x.dtype == torch.float32
        and (img is None or (img.dtype == torch.float32 and _is_default_filter(f)))
        and _fused(x)
    ):
        found = _affine_consts(layer.affine, w)
        if found is not None:
            styles = cpu_kernels.styles_dco(w, found[0], found[1], None, 1.0)[0]
        else:
            styles = affine(layer.affine, w)
        wt = _torgb_weight(layer) * styles.unsqueeze(1)  # [N, 3, I]
        return cpu_kernels.torgb_add(x, wt, layer.bias, img, layer.conv_clamp, tileable)
    y = layer(x, w).to(dtype=torch.float32)
    if img is None:
        return y.contiguous()
    return upsample_img(img, f, tileable).add_(y)


def _affine_consts(
    layer: FullyConnectedLayer, w: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor] | None:
    """(A [K, I] contiguous, b [I]) with the gains applied, for `styles_dco`; None where
    the affine is not a plain float32 linear layer."""
    weight, bias = layer.weight, layer.bias
    if bias is None or layer.activation != "linear" or w.dtype != torch.float32 or w.ndim != 2:
        return None
    key = _version_key(weight, bias)
    cached = _cache(layer).get("affine_c")
    if cached is None or cached[0] != key:
        with torch.inference_mode():
            a = (weight.to(torch.float32) * layer.weight_gain).t().contiguous()
            b = (bias.to(torch.float32) * layer.bias_gain).contiguous()
        cached = (key, a, b)
        _cache(layer)["affine_c"] = cached
    return cached[1], cached[2]


def _torgb_weight(layer: ToRGBLayer) -> torch.Tensor:
    """[1, C, I]: the 1x1 toRGB weight times its weight gain (cached)."""
    key = _version_key(layer.weight)
    cached = _cache(layer).get("rgb_w")
    if cached is None or cached[0] != key:
        with torch.inference_mode():
            wt = (layer.weight[:, :, 0, 0].to(torch.float32) * layer.weight_gain).unsqueeze(0)
        cached = (key, wt.contiguous())
        _cache(layer)["rgb_w"] = cached
    found: torch.Tensor = cached[1]
    return found


def affine(layer: FullyConnectedLayer, w: torch.Tensor) -> torch.Tensor:
    """A style affine (linear `FullyConnectedLayer`) with its gains applied once, not per
    call; bitwise the same as its forward."""
    weight, bias = layer.weight, layer.bias
    if bias is None or layer.activation != "linear" or w.dtype != torch.float32:
        return layer(w)
    key = _version_key(weight, bias)
    cached = _cache(layer).get("affine")
    if cached is None or cached[0] != key:
        with torch.inference_mode():
            wt = (weight.to(torch.float32) * layer.weight_gain).t()
            b = bias.to(torch.float32)
            if layer.bias_gain != 1:
                b = b * layer.bias_gain
        cached = (key, wt, b.unsqueeze(0))
        _cache(layer)["affine"] = cached
    return torch.addmm(cached[2], w, cached[1])
