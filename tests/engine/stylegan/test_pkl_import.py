"""Safe import of official StyleGAN2-ADA pickles: code is refused, real layouts import."""

from __future__ import annotations

import collections
import os
import pickle
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.errors import UserInputError
from engine.stylegan.networks import Generator
from engine.stylegan.pkl_import import import_pkl, read_network_pkl
from engine.stylegan.render import Renderer, RenderRequest


class _Evil:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.marker}",))


def test_pickle_that_runs_code_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    pkl = tmp_path / "evil.pkl"
    pkl.write_bytes(pickle.dumps({"G_ema": _Evil(marker)}))
    with pytest.raises(UserInputError, match="refused"):
        read_network_pkl(pkl)
    assert not marker.exists()


class _PersistentRecord:
    """Pickles like torch_utils.persistence: (_reconstruct_persistent_obj, (meta,))."""

    def __init__(self, meta: dict) -> None:
        self.meta = meta

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (sys.modules["torch_utils.persistence"]._reconstruct_persistent_obj, (self.meta,))


def _as_official(
    module: torch.nn.Module, class_name: str, init_kwargs: dict | None, marker: Path
) -> _PersistentRecord:
    state = {
        "training": False,
        "_parameters": collections.OrderedDict(module._parameters),
        "_buffers": collections.OrderedDict(module._buffers),
        "_non_persistent_buffers_set": set(),
        "_modules": collections.OrderedDict(
            (k, _as_official(m, type(m).__name__, None, marker)) for k, m in module._modules.items()
        ),
        "_init_args": (),
        "_init_kwargs": init_kwargs or {},
    }
    # the source an official pickle carries; a plain pickle.load would exec it
    src = f"import os\nos.system('touch {marker}')\nclass {class_name}: pass\n"
    return _PersistentRecord(
        {"type": "class", "version": 6, "module_src": src, "class_name": class_name, "state": state}
    )


def _official_pickle(G: Generator, path: Path, marker: Path) -> None:
    fake_pkg = types.ModuleType("torch_utils")
    fake = types.ModuleType("torch_utils.persistence")

    def _reconstruct_persistent_obj(meta):  # type: ignore[no-untyped-def]
        raise AssertionError("never called while writing")

    _reconstruct_persistent_obj.__module__ = "torch_utils.persistence"
    _reconstruct_persistent_obj.__qualname__ = "_reconstruct_persistent_obj"
    fake._reconstruct_persistent_obj = _reconstruct_persistent_obj  # type: ignore[attr-defined]
    saved = {k: sys.modules.get(k) for k in ("torch_utils", "torch_utils.persistence")}
    sys.modules["torch_utils"], sys.modules["torch_utils.persistence"] = fake_pkg, fake
    try:
        kwargs = {k: v for k, v in G.init_kwargs.items() if k != "tileable"}
        data = {
            "G": None,
            "D": None,
            "G_ema": _as_official(G, "Generator", kwargs, marker),
            "augment_pipe": None,
            "training_set_kwargs": {"resolution": 32},
            "progress": np.arange(3),
        }
        path.write_bytes(pickle.dumps(data, protocol=4))
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v


def test_official_layout_imports_and_renders(tiny_generator: Generator, tmp_path: Path) -> None:
    G = Generator(**{k: v for k, v in tiny_generator.init_kwargs.items() if k != "tileable"})
    G.load_state_dict(tiny_generator.state_dict())
    marker = tmp_path / "module_src_ran"
    pkl = tmp_path / "network-snapshot-000100.pkl"
    _official_pickle(G, pkl, marker)

    kwargs, state = read_network_pkl(pkl)
    assert kwargs["synthesis_kwargs"]["channel_base"] == 256
    assert set(state) == set(G.state_dict())

    out = import_pkl(pkl, tmp_path / "model")
    assert not marker.exists()  # the embedded module source never ran
    r = Renderer(out, device="cpu")
    res = r.render(RenderRequest(c=np.ones(8, np.float32), seed=5))
    with torch.no_grad():
        want = G.synthesis(torch.from_numpy(res.ws)[None], noise_mode="const")
    got = torch.from_numpy(res.image).permute(2, 0, 1).float()
    assert res.image.shape == (32, 32, 3)
    assert (got - (want[0] * 127.5 + 128).clamp(0, 255)).abs().max() <= 1.0


def test_not_a_pickle(tmp_path: Path) -> None:
    p = tmp_path / "x.pkl"
    p.write_bytes(b"hello")
    with pytest.raises(UserInputError):
        read_network_pkl(p)
