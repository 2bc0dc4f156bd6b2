"""Fused CPU kernels (cuda_ops.cpu_kernels) against plain PyTorch, and their fallback."""

from __future__ import annotations

import warnings

import pytest
import torch
import torch.nn.functional as F

from cuda_ops import _plugin, cpu_kernels
from cuda_ops import upfirdn2d as ufd

needs_kernels = pytest.mark.skipif(
    not cpu_kernels.available(wait=True), reason="CPU kernels did not build (no C++ compiler?)"
)
CL = torch.channels_last
FMT = {"nchw": torch.contiguous_format, "cl": CL}


def _act(y: torch.Tensor, act: str, clamp: float | None) -> torch.Tensor:
    if act == "lrelu":
        y = F.leaky_relu(y, 0.2)
    elif act == "relu":
        y = F.relu(y)
    return y.clamp(-clamp, clamp) if clamp is not None else y


def _interleaved(y: torch.Tensor, o: int) -> torch.Tensor:
    """[N, 4*O, h, w] phase-major -> the 2x image [N, O, 2h, 2w]."""
    n, _, h, w = y.shape
    return y.reshape(n, 2, 2, o, h, w).permute(0, 3, 4, 1, 5, 2).reshape(n, o, 2 * h, 2 * w)


@needs_kernels
@pytest.mark.parametrize("o", [16, 20, 3])  # a register block, a block plus a tail, tail only
@pytest.mark.parametrize("fmt_in,fmt_out", [("cl", "cl"), ("nchw", "nchw"), ("nchw", "cl")])
@pytest.mark.parametrize("shift_kind", ["bias", "const", "per_sample"])
@pytest.mark.parametrize("scaled", [False, True])
def test_up_fir_act_matches_interleave_fir_epilogue(
    o: int, fmt_in: str, fmt_out: str, shift_kind: str, scaled: bool
) -> None:
    torch.manual_seed(0)
    n, h, res = 2, 8, 11  # odd output size: the kernel reads only what it needs
    y = torch.randn(n, 4 * o, h, h).contiguous(memory_format=FMT[fmt_in])
    blur = (ufd.setup_filter([1, 3, 3, 1]) * 4).flip([0, 1])
    blur = blur + 0.01 * torch.randn(4, 4)  # not symmetric: catches flipped taps
    dco = torch.rand(n, o) + 0.5 if scaled else None
    shift = {
        "bias": torch.randn(1, o, 1, 1),
        "const": torch.randn(1, o, res, res).contiguous(memory_format=FMT[fmt_out]),
        "per_sample": torch.randn(n, o, res, res),
    }[shift_kind]
    out = torch.empty(n, o, res, res, memory_format=FMT[fmt_out])
    for act, clamp in (("lrelu", 0.5), ("relu", None), ("linear", 1.0)):
        cpu_kernels.up_fir_act(y, out, blur, dco, shift, 1, act, clamp)
        image = _interleaved(y.contiguous(), o)
        want = F.conv2d(image, blur[None, None].expand(o, 1, 4, 4), groups=o)
        want = want[:, :, 1 : 1 + res, 1 : 1 + res]
        if dco is not None:
            want = want * dco[:, :, None, None]
        want = _act(want + shift, act, clamp)
        torch.testing.assert_close(out, want, atol=1e-5, rtol=1e-5)
        assert out.is_contiguous(memory_format=FMT[fmt_out])


@needs_kernels
@pytest.mark.parametrize("fmt", ["cl", "nchw"])
@pytest.mark.parametrize("o", [32, 5])
@pytest.mark.parametrize("shift_kind", ["bias", "const", "per_sample"])
def test_scale_act_matches_torch(fmt: str, o: int, shift_kind: str) -> None:
    torch.manual_seed(1)
    n, h, w = 2, 5, 9
    for dco in (None, torch.rand(n, o) + 0.5):
        for act, clamp in (("lrelu", 0.7), ("relu", None), ("linear", None)):
            y = torch.randn(n, o, h, w).contiguous(memory_format=FMT[fmt])
            shift = {
                "bias": torch.randn(1, o, 1, 1),
                "const": torch.randn(1, o, h, w).contiguous(memory_format=FMT[fmt]),
                "per_sample": torch.randn(n, o, h, w),
            }[shift_kind]
            noise = torch.randn(1, 1, h, w) if act == "lrelu" else None
            want = y * (dco[:, :, None, None] if dco is not None else 1) + shift
            want = _act(want + (noise if noise is not None else 0), act, clamp)
            got = cpu_kernels.scale_act_(y, dco, shift, act, clamp, noise=noise)
            assert got.data_ptr() == y.data_ptr()  # in place
            torch.testing.assert_close(got, want, atol=1e-6, rtol=1e-6)


@needs_kernels
@pytest.mark.parametrize("tileable", [False, True])
@pytest.mark.parametrize("fmt", ["cl", "nchw"])
@pytest.mark.parametrize("with_img", [True, False])
@pytest.mark.parametrize("size,ch", [(8, 16), (2, 5), (6, 33), (18, 7)])
def test_torgb_add_matches_torch(
    tileable: bool, fmt: str, with_img: bool, size: int, ch: int
) -> None:
    torch.manual_seed(2)
    n = 2
    x = torch.randn(n, ch, size, size).contiguous(memory_format=FMT[fmt])
    wt, bias = torch.randn(n, 3, ch), torch.randn(3)
    img = torch.randn(n, 3, size // 2, size // 2) if with_img else None
    for clamp in (None, 0.8):
        got = cpu_kernels.torgb_add(x, wt, bias, img, clamp, tileable)
        want = torch.einsum("nchw,noc->nohw", x, wt) + bias.reshape(1, 3, 1, 1)
        if clamp is not None:
            want = want.clamp(-clamp, clamp)
        if img is not None:
            f = ufd.setup_filter([1, 3, 3, 1])
            want = want + ufd.upsample2d(img, f, tileable=tileable, impl="ref")
        assert got.is_contiguous()
        torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)


def test_failed_build_falls_back_with_one_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise RuntimeError("no compiler")

    monkeypatch.setattr(cpu_kernels, "_build", broken)
    monkeypatch.setattr(cpu_kernels, "is_built", lambda: False)
    monkeypatch.setattr(cpu_kernels, "_state", {})
    monkeypatch.setattr(_plugin, "_warned", set())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert cpu_kernels.available(wait=True) is False
        assert cpu_kernels.available() is False
    msgs = [str(w.message) for w in caught if "cpu_kernels" in str(w.message)]
    assert len(msgs) == 1 and "no compiler" in msgs[0]


@needs_kernels
def test_cached_library_loads_without_a_build(monkeypatch: pytest.MonkeyPatch) -> None:
    """A build folder named by the source hash is loaded as is (no compiler, no waiting)."""

    def no_build() -> None:
        raise AssertionError("must not build")

    monkeypatch.setattr(cpu_kernels, "_build", no_build)
    monkeypatch.setattr(cpu_kernels, "_state", {})
    assert cpu_kernels.is_built()
    assert cpu_kernels.available() is True


def test_switched_off_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WENYANG_CPU_KERNELS", "0")
    monkeypatch.setattr(cpu_kernels, "_state", {})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # switched off on purpose: no warning
        assert cpu_kernels.available() is False


def test_build_key_follows_source(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "k.cpp"
    src.write_text("// a")
    monkeypatch.setattr(cpu_kernels, "SOURCE", src)
    a = cpu_kernels.build_key()
    src.write_text("// b")
    assert cpu_kernels.build_key() != a and len(a) == 16


@needs_kernels
@pytest.mark.parametrize("fmt", ["cl", "nchw"])
@pytest.mark.parametrize("tileable", [False, True])
@pytest.mark.parametrize("lo,hi", [(1, 1), (2, 1), (0, 3)])
@pytest.mark.parametrize("to_cl", [False, True])
def test_pad_scale_matches_torch(fmt: str, tileable: bool, lo: int, hi: int, to_cl: bool) -> None:
    torch.manual_seed(3)
    x = torch.randn(2, 6, 5, 7).contiguous(memory_format=FMT[fmt])
    for styles in (None, torch.rand(2, 6) + 0.5):
        got = cpu_kernels.pad_scale(x, styles, lo, hi, tileable, to_channels_last=to_cl)
        xs = x * styles[:, :, None, None] if styles is not None else x
        mode = "circular" if tileable else "constant"
        want = F.pad(xs.contiguous(), (lo, hi, lo, hi), mode=mode)
        torch.testing.assert_close(got, want, atol=1e-6, rtol=1e-6)
        if to_cl or fmt == "cl":
            assert got.is_contiguous(memory_format=CL)


def _tap_weights(w: torch.Tensor) -> torch.Tensor:
    """[I, T*O] for per-tap weights w [T, O, I]."""
    return w.permute(2, 0, 1).reshape(w.shape[2], -1).contiguous()


@needs_kernels
@pytest.mark.parametrize("o,h,w", [(16, 6, 9), (3, 6, 9), (18, 6, 9), (32, 64, 61)])
@pytest.mark.parametrize("fmt_out", ["cl", "nchw"])
def test_conv_taps_act_is_a_3x3_conv(o: int, h: int, w: int, fmt_out: str) -> None:
    """Small: one matrix product; 64x61 with 32 channels: Z (5 MB) computed in row bands."""
    torch.manual_seed(4)
    n, i = 2, 5
    xp = torch.randn(n, i, h + 2, w + 2)
    weight = torch.randn(o, i, 3, 3)
    taps = torch.tensor([[0, 3 * dy + dx, dy, dx] for dy in range(3) for dx in range(3)])
    wt = torch.stack([weight[:, :, dy, dx] for dy in range(3) for dx in range(3)])
    xs = xp.contiguous(memory_format=CL)
    dco, shift = torch.rand(n, o) + 0.5, torch.randn(1, o, h, w)
    noise = torch.randn(n, 1, h, w)
    out = torch.empty(n, o, h, w, memory_format=FMT[fmt_out])
    wts = _tap_weights(wt)
    cpu_kernels.conv_taps_act(xs, wts, taps, out, dco, shift, "lrelu", 0.9, noise=noise)
    want = _act(F.conv2d(xp, weight) * dco[:, :, None, None] + shift + noise, "lrelu", 0.9)
    torch.testing.assert_close(out, want, atol=1e-5, rtol=1e-5)


@needs_kernels
@pytest.mark.parametrize("o", [16, 7, 35])
@pytest.mark.parametrize("fmt_out", ["cl", "nchw"])
@pytest.mark.parametrize("tileable", [False, True])
@pytest.mark.parametrize("h", [4, 5, 40])  # 40 (with 35 channels): Z in row bands
def test_conv_taps_fir_act_is_the_upsampling_conv(
    o: int, fmt_out: str, tileable: bool, h: int
) -> None:
    """Pad (2, 1), 9 real taps of the 2x2 phase kernels, interleave, separable FIR: the same
    as the phase-kernel conv + interleave + 4x4 FIR of the PyTorch path."""
    from engine.stylegan import infer

    torch.manual_seed(5)
    n, i = 2, 6
    x, weight = torch.randn(n, i, h, h), torch.randn(o, i, 3, 3)
    xp = infer._pad(x, 2, 1, tileable)
    tk = infer.transposed_phase_kernels(weight)  # [4*O, I, 2, 2]
    rows, blocks = [], []
    for p in range(4):
        py, px = p >> 1, p & 1
        for dy in range(2):
            for dx in range(2):
                if infer._UP_TAPS[py][dy] != 3 and infer._UP_TAPS[px][dx] != 3:
                    rows.append([p, len(rows), dy, dx])
                    blocks.append(tk[p * o : (p + 1) * o, :, dy, dx])
    assert len(rows) == 9
    wt = _tap_weights(torch.stack(blocks))
    f1 = torch.tensor([1.0, 3.0, 3.0, 1.0]) / 4
    f1b = torch.tensor([1.0, 2.5, 3.5, 1.0]) / 4  # a different vertical filter: not swapped
    dco, shift = torch.rand(n, o) + 0.5, torch.randn(1, o, 1, 1)
    noise = torch.randn(1, 1, 2 * h, 2 * h)
    out = torch.empty(n, o, 2 * h, 2 * h, memory_format=FMT[fmt_out])
    taps = torch.tensor(rows)
    xs = xp.contiguous(memory_format=CL)
    cpu_kernels.conv_taps_fir_act(
        xs, wt, taps, f1b, f1, 1, out, dco, shift, "lrelu", 2.0, noise=noise
    )
    y = F.conv2d(xp, tk)
    image = _interleaved(y, o)
    blur = torch.outer(f1b, f1)[None, None].expand(o, 1, 4, 4)
    want = F.conv2d(image, blur, groups=o)[:, :, 1:, 1:]
    want = _act(want * dco[:, :, None, None] + shift + noise, "lrelu", 2.0)
    torch.testing.assert_close(out, want, atol=1e-5, rtol=1e-5)


@needs_kernels
@pytest.mark.parametrize("n,k,i,o", [(1, 16, 32, 16), (3, 7, 5, 9)])
def test_styles_dco_matches_torch(n: int, k: int, i: int, o: int) -> None:
    torch.manual_seed(6)
    w, a, b = torch.randn(n, k), torch.randn(k, i), torch.randn(i)
    wsq = torch.rand(o, i)
    styles, dco = cpu_kernels.styles_dco(w, a, b, wsq, 1.7)
    want = torch.addmm(b[None], w, a)
    torch.testing.assert_close(styles, want, atol=1e-5, rtol=1e-5)
    assert dco is not None
    torch.testing.assert_close(dco, (want.square() @ wsq.t() + 1e-8).rsqrt() * 1.7)
    only, none = cpu_kernels.styles_dco(w, a, b, None, 1.0)
    assert none is None
    torch.testing.assert_close(only, want, atol=1e-5, rtol=1e-5)


@needs_kernels
def test_conv_taps_in_narrow_bands_match_one_product() -> None:
    """Bands of one or two rows (the buffer shifts every row) give the same result."""
    torch.manual_seed(7)
    n, i, o, h = 2, 4, 16, 9
    xs = torch.randn(n, i, h + 2, h + 2).contiguous(memory_format=CL)
    wt = torch.randn(i, 9 * o)
    taps = torch.tensor([[0, 3 * dy + dx, dy, dx] for dy in range(3) for dx in range(3)])
    shift = torch.zeros(1, o, 1, 1)
    want = torch.empty(n, o, h, h, memory_format=CL)
    cpu_kernels.conv_taps_act(xs, wt, taps, want, None, shift, "linear", None)
    old = cpu_kernels.set_band_bytes(1)
    try:
        got = torch.empty_like(want)
        cpu_kernels.conv_taps_act(xs, wt, taps, got, None, shift, "linear", None)
    finally:
        cpu_kernels.set_band_bytes(old)
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)


def test_first_build_runs_in_the_background(monkeypatch: pytest.MonkeyPatch) -> None:
    """While the compiler runs, frames take the PyTorch path; `wait` joins the build."""
    import threading

    release = threading.Event()
    calls: list[int] = []

    def slow_build() -> None:
        calls.append(1)
        release.wait(10)

    monkeypatch.setattr(cpu_kernels, "_build", slow_build)
    monkeypatch.setattr(cpu_kernels, "is_built", lambda: False)
    monkeypatch.setattr(cpu_kernels, "_state", {})
    assert cpu_kernels.available() is False  # not built yet: no waiting
    assert cpu_kernels.available() is False
    release.set()
    cpu_kernels.available(wait=True)  # the fake build registers no ops: False, one warning
    assert calls == [1] and cpu_kernels._state["ok"] in (True, False)
