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


class _RegisterAfterOpenClip(importlib.abc.MetaPathFinder):
    """One-shot import hook: registers our configs as soon as open_clip finishes loading."""

    def find_spec(self, fullname: str, path: Any, target: ModuleType | None = None) -> Any:
        if fullname != "open_clip":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        original = spec.loader.exec_module

        def exec_module(module: ModuleType) -> None:
            original(module)
            register_model_configs()

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


if "open_clip" in sys.modules:
    register_model_configs()
elif not any(isinstance(f, _RegisterAfterOpenClip) for f in sys.meta_path):
    sys.meta_path.insert(0, _RegisterAfterOpenClip())
