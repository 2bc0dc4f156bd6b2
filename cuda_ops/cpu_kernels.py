"""Fused CPU kernels of the synthesis fast path (`csrc/cpu_infer.cpp`), built just in time.

They replace chains of elementwise PyTorch passes (bias, noise, activation, clamp, the phase
interleave and FIR of 2x-up layers, toRGB plus image upsampling) with one pass each. The
build (-O3 -march=native) is cached in the user cache dir, keyed by the source text and the
CPU's instruction set; a first build runs in the background (frames use the PyTorch path
meanwhile); a failed build is never fatal: `available()` says False, one warning is shown,
and callers keep the plain PyTorch path. `WENYANG_CPU_KERNELS=0` turns them off.
"""

from __future__ import annotations

import hashlib
import os
import platform
import threading
from pathlib import Path
from typing import Any

import torch

from cuda_ops import _plugin

SOURCE = _plugin.CSRC_DIR / "cpu_infer.cpp"
OP = "cpu_kernels"
ACT_CODES = {"linear": 0, "lrelu": 1, "relu": 2}

_lock = threading.Lock()
_state: dict[str, Any] = {}  # ok: bool once decided; thread: a background build


def _cpu_flags() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("flags", "Features")):
                return line
    except OSError:
        pass
    return platform.processor()


def build_key() -> str:
    """Hash of the source, the CPU's instruction set and the torch version: -march=native
    code must not run on another CPU, and the extension is tied to torch's ABI."""
    h = hashlib.sha256(SOURCE.read_bytes())
    h.update(_cpu_flags().encode())
    h.update(f"{platform.machine()} {torch.__version__}".encode())
    return h.hexdigest()[:16]


def _build_dir() -> Path:
    root = os.environ.get("TORCH_EXTENSIONS_DIR") or str(
        Path.home() / ".cache" / "wenyang_cuda_ops"
    )
    d = Path(root) / f"cpu_infer_{build_key()}"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _build() -> None:
    """Compile (or reuse) and load the library; its ops appear under torch.ops.wenyang_cpu."""
    from torch.utils import cpp_extension

    try:  # the `ninja` wheel (a dependency) when the system has none on PATH
        import ninja  # type: ignore[import-untyped]

        path = os.environ.get("PATH", "")
        if ninja.BIN_DIR not in path.split(os.pathsep):
            os.environ["PATH"] = os.pathsep.join([ninja.BIN_DIR, path]) if path else ninja.BIN_DIR
    except (ImportError, AttributeError):
        pass
    cpp_extension.load(
        name="wenyang_cpu_infer",
        sources=[str(SOURCE)],
        build_directory=str(_build_dir()),
        extra_cflags=["-O3", "-march=native", "-fopenmp-simd", "-ffp-contract=fast"],
        is_python_module=False,
        verbose=False,
    )


def _library() -> Path:
    return _build_dir() / "wenyang_cpu_infer.so"


def is_built() -> bool:
    """The compiled library for this source and CPU is in the cache (loading takes ~0.1 s)."""
    return _library().is_file()


def _load_into_state(cached: bool = False) -> None:
    ok = False
    try:
        if cached:  # the folder is named by the source's hash: no rebuild check (ninja
            # would recompile after a reinstall that only changed the file's mtime)
            torch.ops.load_library(str(_library()))
        else:
            _build()
        ok = hasattr(torch.ops.wenyang_cpu, "conv_taps_fir_act")
    except Exception as exc:  # any build problem means: use the PyTorch path
        _plugin.warn_once(OP, f"CPU kernels unavailable ({exc!s:.200}); using the PyTorch path")
    _state["ok"] = ok


def available(wait: bool = False) -> bool:
    """True when the kernels are loaded. A cached build loads at once; a first build
    (~30 s of compiling) runs in a background thread, and until it is done this returns
    False (callers use the PyTorch path) unless `wait`, so no frame waits for a compiler.
    False, with one warning per process, when they cannot be built; False when switched
    off (WENYANG_CPU_KERNELS=0)."""
    found = _state.get("ok")
    if found is not None:
        return bool(found)
    with _lock:
        if "ok" in _state:
            return bool(_state["ok"])
        if os.environ.get("WENYANG_CPU_KERNELS", "1") == "0":
            _state["ok"] = False
            return False
        thread = _state.get("thread")
        if thread is None:
            try:
                cached = is_built()
            except OSError:
                cached = False
            if cached:
                _load_into_state(cached=True)
                return bool(_state["ok"])
            thread = threading.Thread(
                target=_load_into_state, name="cpu-kernels-build", daemon=True
            )
            _state["thread"] = thread
            thread.start()
    if wait:
        thread.join()
        return bool(_state.get("ok", False))
    return False


def up_fir_act(
    y: torch.Tensor,
    out: torch.Tensor,
    blur: torch.Tensor,
    dco: torch.Tensor | None,
    shift: torch.Tensor,
    off: int,
    act: str,
    clamp: float | None,
    alpha: float = 0.2,
) -> torch.Tensor:
    """out[n, o, Y, X] = clamp(act(d[n, o] * sum_k blur[k] I[Y + off + ky, X + off + kx]
    + shift)), where I interleaves the four phases of y ([N, 4*O, h, w], phase-major
    channels) on the 2x grid. Returns out."""
    empty = y.new_empty(0)
    torch.ops.wenyang_cpu.up_fir_act(
        y,
        out,
        blur,
        empty if dco is None else dco,
        shift,
        off,
        ACT_CODES[act],
        alpha,
        -1.0 if clamp is None else float(clamp),
    )
    return out


def scale_act_(
    y: torch.Tensor,
    dco: torch.Tensor | None,
    shift: torch.Tensor,
    act: str,
    clamp: float | None,
    alpha: float = 0.2,
    noise: torch.Tensor | None = None,
) -> torch.Tensor:
    """In place: y = clamp(act(y * dco[n, o] + shift + noise)); noise [N|1, 1, H, W] is
    per pixel (kept apart from the per-channel shift so that no [O, H, W] sum is read).
    Returns y."""
    torch.ops.wenyang_cpu.scale_act_(
        y,
        y.new_empty(0) if dco is None else dco,
        shift,
        y.new_empty(0) if noise is None else noise,
        ACT_CODES[act],
        alpha,
        -1.0 if clamp is None else float(clamp),
    )
    return y


def torgb_add(
    x: torch.Tensor,
    wt: torch.Tensor,
    bias: torch.Tensor,
    img: torch.Tensor | None,
    clamp: float | None,
    tileable: bool,
) -> torch.Tensor:
    """up2(img) + clamp(bias + wt @ x) per pixel as a new NCHW [N, C, H, W] image; up2 is
    the [1,3,3,1] 2x upsampling (wrapped when tileable, zeros beyond the edges otherwise).
    The product is one batched matrix product ([C, I] @ [I, HW] gives NCHW rows); bias,
    clamp and the upsampled image follow in one pass."""
    n, i, h, w = x.shape
    xf = x.permute(0, 2, 3, 1).reshape(n, h * w, i)  # a view for channels-last x
    y = torch.matmul(wt, xf.transpose(1, 2)).view(n, wt.shape[1], h, w)
    torch.ops.wenyang_cpu.rgb_add_(
        y,
        bias,
        x.new_empty(0) if img is None else img,
        -1.0 if clamp is None else float(clamp),
        tileable,
    )
    return y


def pad_scale(
    x: torch.Tensor,
    styles: torch.Tensor | None,
    lo: int,
    hi: int,
    tileable: bool,
    to_channels_last: bool = False,
) -> torch.Tensor:
    """x * styles[n, i] padded by (lo, hi) on both spatial axes, wrapped (tileable) or with
    zeros, in x's memory format (or channels-last when asked): the input pass of a conv with
    constant weights."""
    s = x.new_empty(0) if styles is None else styles
    out: torch.Tensor = torch.ops.wenyang_cpu.pad_scale(x, s, lo, hi, tileable, to_channels_last)
    return out


def conv_taps_act(
    xs: torch.Tensor,
    w: torch.Tensor,
    taps: torch.Tensor,
    out: torch.Tensor,
    dco: torch.Tensor | None,
    shift: torch.Tensor,
    act: str,
    clamp: float | None,
    alpha: float = 0.2,
    noise: torch.Tensor | None = None,
) -> torch.Tensor:
    """A "valid" conv of the padded channels-last xs [N, I, Hp, Wp] as matrix products:
    out[n, o, y, x] = clamp(act(dco * sum_t (xs[n, :, y + dy_t, x + dx_t] @ w_t)[o] + shift)),
    with w [I, T*O] (tap t's weight in columns t*O .. t*O + O) and taps rows (0, t, dy, dx).
    Returns out."""
    torch.ops.wenyang_cpu.conv_taps_act(
        xs,
        w,
        taps,
        out,
        xs.new_empty(0) if dco is None else dco,
        shift,
        xs.new_empty(0) if noise is None else noise,
        ACT_CODES[act],
        alpha,
        -1.0 if clamp is None else float(clamp),
    )
    return out


def conv_taps_fir_act(
    xs: torch.Tensor,
    w: torch.Tensor,
    taps: torch.Tensor,
    fy: torch.Tensor,
    fx: torch.Tensor,
    off: int,
    out: torch.Tensor,
    dco: torch.Tensor | None,
    shift: torch.Tensor,
    act: str,
    clamp: float | None,
    alpha: float = 0.2,
    noise: torch.Tensor | None = None,
) -> torch.Tensor:
    """2x-up layer from the padded low-res xs (as in `conv_taps_act`; taps rows (phase, t,
    dy, dx), phase 2*py + px): the four phases interleaved on the 2x grid I, then
    out[Y, X] = epilogue(sum fy[ky] fx[kx] I[Y + off + ky, X + off + kx]); the epilogue adds
    shift (per channel, broadcast) and noise ([N|1, 1, R, R], per pixel). Returns out."""
    torch.ops.wenyang_cpu.conv_taps_fir_act(
        xs,
        w,
        taps,
        fy,
        fx,
        off,
        out,
        xs.new_empty(0) if dco is None else dco,
        shift,
        xs.new_empty(0) if noise is None else noise,
        ACT_CODES[act],
        alpha,
        -1.0 if clamp is None else float(clamp),
    )
    return out


def styles_dco(
    w: torch.Tensor, a: torch.Tensor, b: torch.Tensor, wsq: torch.Tensor | None, g: float
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """styles = b + w @ a ([N, I]) and, with wsq [O, I], the demodulation times gain
    dco = g / sqrt(styles^2 @ wsq.T + 1e-8) ([N, O]); a [K, I] and wsq contiguous."""
    styles, dco = torch.ops.wenyang_cpu.styles_dco(
        w, a, b, w.new_empty(0) if wsq is None else wsq, g
    )
    return styles, (dco if wsq is not None else None)


def set_band_bytes(nbytes: int) -> int:
    """Size of the row bands in which the conv kernels compute their tap products (default
    512 KiB, about half of L2); returns the previous value. For tests and tuning."""
    old: int = torch.ops.wenyang_cpu.set_band_bytes(nbytes)
    return old
