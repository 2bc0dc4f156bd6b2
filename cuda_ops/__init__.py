"""Fused CUDA kernels, each with a pure-PyTorch reference chosen at call time.

Modules: `bias_act`, `upfirdn2d` and `conv2d_resample` (built on it). Each op accepts
`impl="auto"|"ref"|"cuda"`; CUDA tensors use the JIT-built kernels when they compile,
everything else the reference (one warning per op when a kernel was asked for but cannot be
used). Import the modules: `from cuda_ops import upfirdn2d; upfirdn2d.upsample2d(...)`.
"""

__all__ = ["bias_act", "conv2d_resample", "upfirdn2d"]
