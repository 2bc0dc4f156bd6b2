"""CLIP model folders: `<name>.json` (open_clip config) + `<name>.safetensors` (+ probe).

The folder layout is what open_clip itself understands: register the JSON, then
`open_clip.create_model_and_transforms(name, pretrained="<name>.safetensors")`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import torch

from engine.atomic import atomic_open, atomic_path
from engine.clip.registry import is_model_config, register_config_path, register_model_configs
from engine.errors import UserInputError


def find_model(model_dir: str | Path) -> tuple[str, Path, Path]:
    """(name, config path, weights path) of the model stored in `model_dir`."""
    d = Path(model_dir)
    if not d.is_dir():
        raise UserInputError(
            "no CLIP model folder here (expected <name>.json + "
            "<name>.safetensors; train one with `wenyang train clip`)",
            path=str(d),
        )
    configs = sorted(p for p in d.glob("*.json") if is_model_config(p))
    for cfg in configs:
        weights = cfg.with_suffix(".safetensors")
        if weights.is_file():
            return cfg.stem, cfg, weights
    raise UserInputError(
        "no CLIP model in this folder: expected an open_clip config "
        "<name>.json with <name>.safetensors beside it",
        path=str(d),
    )


def create_model(
    name: str, pretrained: str | Path | None = None, device: str | torch.device = "cpu"
) -> Any:
    """An open_clip model by registered name, with weights from a local file (or random)."""
    import open_clip

    register_model_configs()
    if pretrained is not None and not Path(pretrained).is_file():
        raise UserInputError(
            "weights file not found (expected a local open_clip checkpoint: "
            ".safetensors, .pt or .bin)",
            path=str(pretrained),
        )
    if name not in open_clip.list_models():
        raise UserInputError(
            f"unknown open_clip model {name!r}; known: "
            f"{', '.join(open_clip.list_models()[:12])}, …",
            field="--init",
        )
    try:
        model = open_clip.create_model(
            name, pretrained=str(pretrained) if pretrained else None, device=device
        )
    except RuntimeError as exc:
        if pretrained is None:
            raise
        raise UserInputError(
            f"could not load these weights into {name}: {exc}", path=str(pretrained)
        ) from exc
    return model


def load_model_dir(
    model_dir: str | Path, device: str | torch.device = "cpu"
) -> tuple[str, Any, Path]:
    """Register the folder's config and load its weights; returns (name, model, weights)."""
    name, cfg_path, weights = find_model(model_dir)
    register_config_path(cfg_path)
    model = create_model(name, weights, device=device)
    model.eval()
    return name, model, weights


def save_model(
    model: Any,
    name: str,
    config: dict[str, Any],
    out_dir: str | Path,
    half: bool = False,
) -> Path:
    """Write `<name>.json` and `<name>.safetensors` (fp16 if `half`) atomically."""
    from safetensors.torch import save_file

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    state = {}
    for k, v in model.state_dict().items():
        t = v.detach().to("cpu").contiguous()
        if half and t.is_floating_point():
            t = t.half()
        state[k] = t
    weights = out / f"{name}.safetensors"
    with atomic_path(weights) as tmp:
        save_file(state, str(tmp), metadata={"format": "pt", "open_clip_model": name})
    with atomic_open(out / f"{name}.json", encoding="utf-8") as fh:
        json.dump(config, fh, indent=4)
        fh.write("\n")
    return weights


def file_hash(path: str | Path) -> str:
    """Short content hash (identifies the model an index was built with)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]
