"""CUDA kernels: they compile (needs nvcc only), and match the references on a GPU."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import torch

from cuda_ops import _plugin
from cuda_ops import bias_act as ba
from cuda_ops import upfirdn2d as ufd

CSRC = Path(_plugin.CSRC_DIR)
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("nvcc") is None, reason="needs nvcc")
@pytest.mark.parametrize("name", ["bias_act", "upfirdn2d"])
def test_cuda_source_compiles(name: str, tmp_path: Path) -> None:
    out = tmp_path / f"{name}.o"
    proc = subprocess.run(
        ["nvcc", "-c", str(CSRC / f"{name}.cu"), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert out.stat().st_size > 1000


def test_sources_hash_changes_with_text() -> None:
    h = _plugin.source_hash("bias_act")
    assert len(h) == 16 and h != _plugin.source_hash("upfirdn2d")


def test_cpu_tensor_with_cuda_impl_warns_once() -> None:
    _plugin._warned.discard("bias_act")
    x = torch.randn(2, 3)
    with pytest.warns(RuntimeWarning):
        ba.bias_act(x, act="lrelu", impl="cuda")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = ba.bias_act(x, act="lrelu", impl="cuda")  # no second warning
    torch.testing.assert_close(y, ba.bias_act_ref(x, act="lrelu"))


@pytest.mark.gpu
@needs_cuda
@pytest.mark.parametrize("act", ["linear", "lrelu", "tanh", "sigmoid"])
def test_bias_act_cuda_matches_reference(act: str) -> None:
    x = torch.randn(4, 8, 16, 16, device="cuda", requires_grad=True)
    b = torch.randn(8, device="cuda", requires_grad=True)
    y = ba.bias_act(x, b, act=act, clamp=1.0, impl="cuda")
    yr = ba.bias_act_ref(x, b, act=act, clamp=1.0)
    torch.testing.assert_close(y, yr, atol=1e-5, rtol=1e-5)
    g = torch.randn_like(y)
    gx, gb = torch.autograd.grad(y, [x, b], g)
    rx, rb = torch.autograd.grad(yr, [x, b], g)
    torch.testing.assert_close(gx, rx)
    torch.testing.assert_close(gb, rb, atol=1e-4, rtol=1e-4)


@pytest.mark.gpu
@needs_cuda
@pytest.mark.parametrize(
    ("up", "down", "pad"),
    [(1, 1, (1, 2, 1, 2)), (2, 1, (2, 1, 2, 1)), (1, 2, (1, 1, 1, 1)), (2, 2, (-1, 2, 0, 1))],
)
def test_upfirdn2d_cuda_matches_reference(up: int, down: int, pad: tuple) -> None:
    x = torch.randn(2, 3, 9, 9, device="cuda", requires_grad=True)
    f = torch.rand(4, 4, device="cuda")
    y = ufd.upfirdn2d(x, f, up=up, down=down, padding=pad, gain=2.0, impl="cuda")
    yr = ufd.upfirdn2d_ref(x, f, up=up, down=down, padding=pad, gain=2.0)
    torch.testing.assert_close(y, yr, atol=1e-5, rtol=1e-5)
    g = torch.randn_like(y)
    torch.testing.assert_close(torch.autograd.grad(y, x, g)[0], torch.autograd.grad(yr, x, g)[0])
