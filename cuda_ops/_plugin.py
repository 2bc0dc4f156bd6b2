"""Just-in-time build of the CUDA sources, cached by a hash of their text.

A failed build (no compiler, wrong toolkit) or a missing GPU is never fatal: the caller falls
back to the pure-PyTorch reference, and the user sees one warning per op for the whole process.
"""

from __future__ import annotations

import hashlib
import os
import threading
import warnings
from pathlib import Path
from types import ModuleType

CSRC_DIR = Path(__file__).resolve().parent / "csrc"

_lock = threading.Lock()
_plugins: dict[str, ModuleType | None] = {}
_warned: set[str] = set()


def warn_once(op: str, message: str) -> None:
    """Warn about a slow fallback once per op and process, so logs stay readable."""
    if op in _warned:
        return
    _warned.add(op)
    warnings.warn(f"cuda_ops.{op}: {message}", RuntimeWarning, stacklevel=3)


def sources_for(name: str) -> list[Path]:
    """The .cpp/.cu/.h files that make up plugin `name` (shared header included)."""
    files = [CSRC_DIR / f"{name}.cpp", CSRC_DIR / f"{name}.cu", CSRC_DIR / f"{name}.h"]
    return [p for p in files if p.exists()]


def source_hash(name: str) -> str:
    """Hash of the plugin's source text; the build folder is named by it, so edits rebuild."""
    h = hashlib.sha256()
    for p in sources_for(name):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def build_dir(name: str) -> Path:
    root = os.environ.get("TORCH_EXTENSIONS_DIR") or str(
        Path.home() / ".cache" / "wenyang_cuda_ops"
    )
    d = Path(root) / f"{name}_{source_hash(name)}"
    d.mkdir(parents=True, exist_ok=True)
    return d


def get_plugin(name: str) -> ModuleType | None:
    """Build (or reuse) the extension `name`; None, with one warning, when that is impossible."""
    with _lock:
        if name in _plugins:
            return _plugins[name]
        plugin: ModuleType | None = None
        try:
            import torch

            if not torch.cuda.is_available():  # before importing cpp_extension, which
                raise RuntimeError("CUDA is not available")  # logs about CUDA_HOME on import
            from torch.utils import cpp_extension

            srcs = [str(p) for p in sources_for(name) if p.suffix in (".cpp", ".cu")]
            plugin = cpp_extension.load(
                name=f"wenyang_{name}_plugin",
                sources=srcs,
                build_directory=str(build_dir(name)),
                extra_cuda_cflags=["--use_fast_math"],
                verbose=False,
            )
        except Exception as exc:  # any build problem means: use the reference
            warn_once(name, f"CUDA kernel unavailable ({exc!s:.200}); using the PyTorch reference")
            plugin = None
        _plugins[name] = plugin
        return plugin
