"""Fused CPU kernels (cuda_ops.cpu_kernels) against plain PyTorch, and their fallback."""

from __future__ import annotations

import warnings

import pytest
import torch
import torch.nn.functional as F

from cuda_ops import _plugin, cpu_kernels
from cuda_ops import upfirdn2d as ufd

needs_kernels = pytest.mark.skipif(
    not cpu_kernels.available(), reason="CPU kernels did not build (no C++ compiler?)"
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
            want = y * (dco[:, :, None, None] if dco is not None else 1) + shift
            want = _act(want, act, clamp)
            got = cpu_kernels.scale_act_(y, dco, shift, act, clamp)
            assert got.data_ptr() == y.data_ptr()  # in place
            torch.testing.assert_close(got, want, atol=1e-6, rtol=1e-6)


@needs_kernels
@pytest.mark.parametrize("tileable", [False, True])
@pytest.mark.parametrize("fmt", ["cl", "nchw"])
@pytest.mark.parametrize("with_img", [True, False])
@pytest.mark.parametrize("size,ch", [(8, 16), (2, 5), (6, 33)])
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
    monkeypatch.setattr(cpu_kernels, "_state", {})
    monkeypatch.setattr(_plugin, "_warned", set())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert cpu_kernels.available() is False
        assert cpu_kernels.available() is False
    msgs = [str(w.message) for w in caught if "cpu_kernels" in str(w.message)]
    assert len(msgs) == 1 and "no compiler" in msgs[0]


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
