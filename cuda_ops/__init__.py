"""Fused CUDA kernels, each with a pure-PyTorch reference chosen at call time."""
