"""Generator checkpoints: safetensors weights + config.json beside them, never pickles.

config.json holds the constructor kwargs (official StyleGAN2-ADA layout + `tileable`), a
format version, the model id and the sha256 of the weights file, so a renderer can name
exactly which weights made an image. Loading checks all of it and says what is wrong.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from engine.atomic import atomic_dir
from engine.errors import UserInputError

if TYPE_CHECKING:
    from engine.stylegan.networks import Generator

FORMAT = "wenyang-stylegan2-generator"
FORMAT_VERSION = 1
WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
_REQUIRED_KWARGS = ("z_dim", "c_dim", "w_dim", "img_resolution", "img_channels")


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, int | float | str | bool) or obj is None:
        return obj
    if hasattr(obj, "item"):
        return obj.item()
    raise TypeError(f"cannot store {type(obj).__name__} in config.json")


def save_generator(
    G: torch.nn.Module,
    out_dir: str | Path,
    extra_meta: dict[str, Any] | None = None,
    model_id: str | None = None,
    float16: bool = False,
    init_kwargs: dict[str, Any] | None = None,
) -> Path:
    """Write `out_dir`/model.safetensors + config.json atomically; returns `out_dir`.

    float16=True halves the file (weights are cast back to float32 on load).
    """
    from safetensors.torch import save_file

    kwargs = init_kwargs if init_kwargs is not None else getattr(G, "init_kwargs", None)
    if not kwargs:
        raise ValueError("the generator has no init_kwargs; pass init_kwargs=")
    state = {}
    for k, v in G.state_dict().items():
        t = v.detach().to("cpu").contiguous()
        if float16 and t.is_floating_point():
            t = t.to(torch.float16)
        state[k] = t.clone()
    out_dir = Path(out_dir)
    with atomic_dir(out_dir) as tmp:
        weights = tmp / WEIGHTS_FILE
        save_file(state, str(weights))
        digest = file_sha256(weights)
        res = int(kwargs["img_resolution"])
        config = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "model_id": model_id or f"sg2-{res}px-{digest[:10]}",
            "sha256": digest,
            "weights": WEIGHTS_FILE,
            "dtype": "float16" if float16 else "float32",
            "init_kwargs": _jsonable(kwargs),
            "meta": _jsonable(extra_meta or {}),
        }
        (tmp / CONFIG_FILE).write_text(
            json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    return out_dir


def read_config(model_dir: str | Path) -> dict[str, Any]:
    """The validated config.json of a generator folder."""
    path = Path(model_dir) / CONFIG_FILE
    if not path.is_file():
        raise UserInputError(
            "no generator config here; expected config.json beside model.safetensors",
            path=str(path),
        )
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserInputError(f"not valid JSON ({exc})", path=str(path)) from exc
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise UserInputError(f'expected "format": "{FORMAT}"', path=str(path), field="format")
    version = config.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise UserInputError(
            f"format_version {version!r} is not supported (this program reads "
            f"up to {FORMAT_VERSION})",
            path=str(path),
            field="format_version",
        )
    kwargs = config.get("init_kwargs")
    if not isinstance(kwargs, dict) or any(k not in kwargs for k in _REQUIRED_KWARGS):
        raise UserInputError(
            f"init_kwargs must be an object with {', '.join(_REQUIRED_KWARGS)}",
            path=str(path),
            field="init_kwargs",
        )
    return config


def load_generator(
    model_dir: str | Path, device: str | torch.device = "cpu", verify_hash: bool = True
) -> Generator:
    """Build the Generator from config.json and load its weights (eval mode, float32)."""
    from safetensors.torch import load_file

    from engine.stylegan.networks import Generator

    model_dir = Path(model_dir)
    config = read_config(model_dir)
    weights = model_dir / str(config.get("weights", WEIGHTS_FILE))
    if not weights.is_file():
        raise UserInputError("weights file is missing", path=str(weights))
    if verify_hash and config.get("sha256") and file_sha256(weights) != config["sha256"]:
        raise UserInputError(
            "weights do not match the sha256 in config.json (file changed or truncated)",
            path=str(weights),
        )
    try:
        state = load_file(str(weights))
    except Exception as exc:  # safetensors raises its own error types for corrupt files
        raise UserInputError(f"not a readable safetensors file ({exc})", path=str(weights)) from exc
    try:
        G = Generator(**config["init_kwargs"])
    except (TypeError, ValueError) as exc:
        raise UserInputError(
            f"cannot build the generator from init_kwargs ({exc})",
            path=str(model_dir / CONFIG_FILE),
            field="init_kwargs",
        ) from exc
    state = {k: v.to(torch.float32) if v.is_floating_point() else v for k, v in state.items()}
    expected = G.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    wrong = sorted(k for k in expected if k in state and state[k].shape != expected[k].shape)
    if missing or unexpected or wrong:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing[:5])}")
        if unexpected:
            parts.append(f"unexpected {', '.join(unexpected[:5])}")
        if wrong:
            parts.append(f"wrong shape {', '.join(wrong[:5])}")
        raise UserInputError(
            "weights do not fit the config: " + "; ".join(parts), path=str(weights)
        )
    G.load_state_dict(state, strict=True)
    G.model_id = str(config.get("model_id", ""))  # type: ignore[assignment]
    G.model_hash = str(config.get("sha256", ""))  # type: ignore[assignment]
    meta = config.get("meta")
    clip_hash = meta.get("clip_hash") if isinstance(meta, dict) else None
    G.clip_hash = str(clip_hash or "")  # type: ignore[assignment]
    return G.eval().requires_grad_(False).to(device)
