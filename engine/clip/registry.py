"""Our open_clip model configs and where they are registered.

open_clip keeps architectures as JSON files in a registry; ours live in `engine/clip/configs/`
and beside every model folder (`<name>.json`), so a shipped checkpoint loads with plain
`open_clip.create_model_and_transforms(name, pretrained=path)` once this module ran.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CONFIG_DIR = Path(__file__).resolve().parent / "configs"
# A small ModifiedResNet image tower at 96 px: convolutions see the fine repeating motif
# structure that a 5×5-token ViT (`wenyang-clip-s`, kept for its model card) could not.
DEFAULT_MODEL_NAME = "wenyang-clip-rn"
_REQUIRED = ("embed_dim", "vision_cfg", "text_cfg")
_registered: set[str] = set()


def is_model_config(path: Path) -> bool:
    """True when `path` is an open_clip architecture JSON (not a probe or card)."""
    try:
        cfg = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(cfg, dict) and all(k in cfg for k in _REQUIRED)


def register_config_path(path: str | Path) -> None:
    """Register one config file or every config in a folder with open_clip (idempotent)."""
    import open_clip

    key = str(Path(path).resolve())
    if key in _registered:
        return
    open_clip.add_model_config(Path(path))
    _registered.add(key)


def register_model_configs() -> None:
    """Register the project's configs and the shipped model folder's config."""
    from engine.paths import MODELS_DIR

    register_config_path(CONFIG_DIR)
    shipped = MODELS_DIR / "clip"
    if shipped.is_dir():
        register_config_path(shipped)


def model_config(name: str) -> dict[str, Any]:
    """The architecture dict of a registered model name (raises KeyError if unknown)."""
    import open_clip

    register_model_configs()
    cfg = open_clip.get_model_config(name)
    if cfg is None:
        raise KeyError(name)
    return dict(cfg)
