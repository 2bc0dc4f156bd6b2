"""Read official StyleGAN2-ADA `network-snapshot-*.pkl` files without running their code.

Official pickles embed Python source (torch_utils.persistence) and would execute it on a
plain `pickle.load`. This unpickler resolves only an allow-list of globals: torch's tensor
rebuild functions (storages are decoded with `torch.load(weights_only=True)`), OrderedDict,
numpy array reconstruction, and the official classes, which become inert placeholders that
only record their state. Embedded source is never compiled. Anything else is refused.
"""

from __future__ import annotations

import collections
import importlib
import io
import pickle
from pathlib import Path
from typing import Any

import torch

from engine.errors import UserInputError


class PickleRefused(pickle.UnpicklingError):
    """The pickle asked for something outside the allow-list."""


class Placeholder:
    """Stands in for an official class: keeps its name and state, runs nothing."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.class_name = type(self).__name__
        self.args = args
        self.state: dict[str, Any] = dict(kwargs)

    def __setstate__(self, state: Any) -> None:
        self.state = state if isinstance(state, dict) else {"state": state}

    def __repr__(self) -> str:
        return f"<placeholder {self.class_name}>"


class PersistentObject(Placeholder):
    """What `torch_utils.persistence` pickled: class name + state; module_src is dropped."""

    def __init__(self, class_name: str, state: dict[str, Any]) -> None:
        super().__init__()
        self.class_name = class_name
        self.state = dict(state)


class EasyDict(dict):
    """dnnlib.EasyDict as a plain dict."""


def _reconstruct_persistent_obj(meta: Any) -> PersistentObject:
    if not isinstance(meta, dict) or meta.get("type") != "class":
        raise PickleRefused("unexpected persistent-object record")
    state = meta.get("state") or {}
    if not isinstance(state, dict):
        raise PickleRefused("persistent-object state is not a dict")
    return PersistentObject(str(meta.get("class_name")), state)


def _load_from_bytes(b: bytes) -> Any:
    """Storages are nested torch.save blobs: decode them with the weights-only loader."""
    return torch.load(io.BytesIO(b), map_location="cpu", weights_only=True)


def _rebuild_tensor_v2(storage: Any, offset: int, size: Any, stride: Any, *rest: Any) -> Any:
    return torch._utils._rebuild_tensor_v2(
        storage, offset, size, stride, False, collections.OrderedDict()
    )


def _rebuild_parameter(data: Any, requires_grad: bool, hooks: Any, *rest: Any) -> Any:
    return torch.nn.Parameter(data, requires_grad=bool(requires_grad))


def _safe_reconstructor(cls: Any, base: Any, state: Any) -> Any:
    if isinstance(cls, type) and issubclass(cls, dict):
        return dict.__new__(cls)
    if isinstance(cls, type) and issubclass(cls, Placeholder):
        return object.__new__(cls)
    raise PickleRefused(f"copyreg._reconstructor for {cls!r} refused")


_PLACEHOLDERS: dict[str, type] = {}


def _placeholder_class(module: str, name: str) -> type:
    key = f"{module}.{name}"
    if key not in _PLACEHOLDERS:
        _PLACEHOLDERS[key] = type(name, (Placeholder,), {"__module__": "placeholder." + module})
    return _PLACEHOLDERS[key]


_ALLOWED: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
    ("torch.storage", "_load_from_bytes"): _load_from_bytes,
    ("torch", "Size"): torch.Size,
    ("torch", "device"): torch.device,
    ("torch_utils.persistence", "_reconstruct_persistent_obj"): _reconstruct_persistent_obj,
    ("dnnlib.util", "EasyDict"): EasyDict,
    ("dnnlib", "EasyDict"): EasyDict,
    ("copyreg", "_reconstructor"): _safe_reconstructor,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("builtins", "slice"): slice,
    ("builtins", "object"): object,
}


def _numpy_allowed(module: str, name: str) -> Any:
    import numpy as np

    if module in ("numpy.core.multiarray", "numpy._core.multiarray") and name in (
        "_reconstruct",
        "scalar",
    ):
        # numpy 2 moved the module to numpy._core; pickles name either
        new = hasattr(np, "_core")
        mod = importlib.import_module("numpy._core.multiarray" if new else "numpy.core.multiarray")
        return getattr(mod, name)
    if module == "numpy" and name in ("ndarray", "dtype"):
        return getattr(np, name)
    if module == "numpy" and name.startswith(("float", "int", "uint", "bool")):
        return getattr(np, name, None)
    if module.startswith("numpy.dtypes") and name.endswith("DType"):
        return getattr(np.dtypes, name, None)
    return None


class RestrictedUnpickler(pickle.Unpickler):
    """pickle.Unpickler whose find_class only knows the allow-list."""

    def find_class(self, module: str, name: str) -> Any:
        hit = _ALLOWED.get((module, name))
        if hit is not None:
            return hit
        if module.startswith("numpy"):
            np_hit = _numpy_allowed(module, name)
            if np_hit is not None:
                return np_hit
        if module.split(".")[0] in ("training", "torch_utils", "metrics") and name[:1].isupper():
            return _placeholder_class(module, name)
        raise PickleRefused(f"refused to load global {module}.{name}")

    def persistent_load(self, pid: Any) -> Any:
        raise PickleRefused("persistent ids are not allowed in a network pickle")


def safe_load(fh: Any) -> Any:
    """Unpickle with the allow-list; raises PickleRefused for anything else."""
    return RestrictedUnpickler(fh).load()


def module_state_dict(obj: Any, prefix: str = "") -> dict[str, torch.Tensor]:
    """state_dict of a placeholder module tree (parameters, then buffers, then children)."""
    if not isinstance(obj, Placeholder):
        raise UserInputError(f"expected a network object at {prefix or 'top level'}")
    st = obj.state
    out: dict[str, torch.Tensor] = {}
    skip = set(st.get("_non_persistent_buffers_set") or ())
    for k, v in (st.get("_parameters") or {}).items():
        if v is not None:
            out[prefix + k] = v.detach()
    for k, v in (st.get("_buffers") or {}).items():
        if v is not None and k not in skip:
            out[prefix + k] = v
    for k, child in (st.get("_modules") or {}).items():
        if child is not None:
            out.update(module_state_dict(child, prefix + k + "."))
    return out


def _plain(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, torch.Tensor):
        return obj.item()
    return obj


def read_network_pkl(
    path: str | Path, key: str = "G_ema"
) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """(init_kwargs, state_dict) of network `key` in an official pickle."""
    path = Path(path)
    if not path.is_file():
        raise UserInputError("file not found", path=str(path))
    try:
        with open(path, "rb") as fh:
            data = safe_load(fh)
    except PickleRefused as exc:
        raise UserInputError(
            f"refused: this pickle needs code outside the StyleGAN2-ADA "
            f"allow-list ({exc}); nothing was executed",
            path=str(path),
        ) from exc
    except (pickle.UnpicklingError, EOFError, ValueError, RuntimeError) as exc:
        raise UserInputError(f"not a readable network pickle ({exc})", path=str(path)) from exc
    if not isinstance(data, dict) or key not in data:
        keys = ", ".join(map(str, data)) if isinstance(data, dict) else type(data).__name__
        raise UserInputError(
            f"no {key!r} network in this pickle (found: {keys})", path=str(path), field=key
        )
    net = data[key]
    if not isinstance(net, Placeholder) or net.class_name != "Generator":
        raise UserInputError(f"{key!r} is not a StyleGAN2-ADA Generator", path=str(path))
    kwargs = _plain(dict(net.state.get("_init_kwargs") or {}))
    if not kwargs:
        raise UserInputError("the generator carries no init_kwargs", path=str(path), field=key)
    return kwargs, module_state_dict(net)


def import_pkl(
    path: str | Path, out_dir: str | Path, tileable: bool = False, model_id: str | None = None
) -> Path:
    """Convert an official pickle's G_ema into our safetensors + config.json folder."""
    from engine.stylegan.checkpoint import save_generator
    from engine.stylegan.networks import Generator

    kwargs, state = read_network_pkl(path)
    kwargs = {**kwargs, "tileable": tileable}
    try:
        G = Generator(**kwargs)
        G.load_state_dict({k: v.to(torch.float32) for k, v in state.items()}, strict=True)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise UserInputError(
            f"weights do not fit a StyleGAN2-ADA generator ({exc!s:.300})", path=str(path)
        ) from exc
    meta = {"source": "import-pkl", "source_file": Path(path).name}
    return save_generator(G.eval(), out_dir, extra_meta=meta, model_id=model_id)
