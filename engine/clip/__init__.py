"""CLIP cultural semantic encoder: an open_clip model trained on the pattern database.

Importing this package registers our model configs with open_clip (at once when open_clip is
already loaded, otherwise right after open_clip is first imported), so that
`open_clip.create_model_and_transforms("wenyang-clip-rn", pretrained=path)` works. The heavy
imports (torch, open_clip) are deferred so `wenyang --help` stays fast.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any

from engine.clip.registry import DEFAULT_MODEL_NAME, register_model_configs

if TYPE_CHECKING:
    from engine.clip.encoder import CulturalEncoder, TextEncoding, load_encoder
    from engine.clip.index import RetrievalIndex, build_index, load_index, search_image, search_text

__all__ = [
    "DEFAULT_MODEL_NAME",
    "CulturalEncoder",
    "RetrievalIndex",
    "TextEncoding",
    "build_index",
    "load_encoder",
    "load_index",
    "register_model_configs",
    "search_image",
    "search_text",
]

_LAZY = {
    "CulturalEncoder": "engine.clip.encoder",
    "TextEncoding": "engine.clip.encoder",
    "load_encoder": "engine.clip.encoder",
    "RetrievalIndex": "engine.clip.index",
    "build_index": "engine.clip.index",
    "load_index": "engine.clip.index",
    "search_text": "engine.clip.index",
    "search_image": "engine.clip.index",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'engine.clip' has no attribute {name!r}")


class _RegisterAfterImport(importlib.abc.MetaPathFinder):
    """One-shot import hook: calls `then()` as soon as module `target` finishes loading.

    It stays in sys.meta_path once it has fired, answering None: CPython iterates the live
    list while it imports, so removing ourselves while another thread imports (the studio
    imports open_clip in one worker and PIL in another) made that thread skip a finder and
    fail with "No module named 'PIL'"."""

    def __init__(self, target: str, then: Callable[[], None]) -> None:
        self.target = target
        self.then = then
        self.fired = False

    def find_spec(self, fullname: str, path: Any, target: ModuleType | None = None) -> Any:
        if fullname != self.target or self.fired:
            return None
        self.fired = True  # before the lookup below, which comes back through this hook
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        original = spec.loader.exec_module
        then = self.then

        def exec_module(module: ModuleType) -> None:
            original(module)
            then()

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


if "open_clip" in sys.modules:
    register_model_configs()
elif not any(
    isinstance(f, _RegisterAfterImport) and f.target == "open_clip" for f in sys.meta_path
):
    sys.meta_path.insert(0, _RegisterAfterImport("open_clip", register_model_configs))
