"""Wenyang Studio (纹样工作室): the PySide6 desktop application.

Models (designer_app.models) hold state and emit signals; widgets are thin views; all torch
work runs in worker threads (designer_app.engine_worker) — this package never imports torch.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
