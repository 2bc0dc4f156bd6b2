"""Run state on disk: tensors in safetensors, everything else in JSON, one folder per snapshot.

A snapshot holds all that makes the next step identical to an uninterrupted run: G, D, G_ema
(and the vision head), both optimisers, ADA p and its running statistics, the path-length
mean, every RNG state (python, numpy, torch CPU/CUDA, per DDP rank), the step and image
counters, and the sampler position. Snapshots are written atomically; the newest `keep` stay.
"""

from __future__ import annotations

import json
import random
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.atomic import atomic_dir
from engine.errors import UserInputError

_SNAP_RE = re.compile(r"^snapshot-(\d{9})$")
TENSORS = "state.safetensors"
META = "state.json"


# ----------------------------------------------------------------------------- RNG states
def rng_state() -> dict[str, Any]:
    """Every RNG the training step draws from, as tensors + JSON-able values."""
    np_state: Any = np.random.get_state()
    py_state: Any = random.getstate()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "numpy": {
            "keys": np_state[1].tolist(),
            "pos": int(np_state[2]),
            "has_gauss": int(np_state[3]),
            "gauss": float(np_state[4]),
        },
        "python": [py_state[0], list(py_state[1]), py_state[2]],
    }


def set_rng_state(s: dict[str, Any]) -> None:
    torch.set_rng_state(s["torch"])
    if s.get("cuda") and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(s["cuda"])
    n = s["numpy"]
    np.random.set_state(
        ("MT19937", np.array(n["keys"], dtype=np.uint32), n["pos"], n["has_gauss"], n["gauss"])
    )
    v, internal, gauss = s["python"]
    random.setstate((v, tuple(internal), gauss))


# ----------------------------------------------------------------------------- flattening
def _flatten_optimizer(
    prefix: str, sd: dict[str, Any], tensors: dict[str, torch.Tensor]
) -> dict[str, Any]:
    meta: dict[str, Any] = {"param_groups": sd["param_groups"], "state": {}}
    for pid, st in sd["state"].items():
        m: dict[str, Any] = {}
        for k, v in st.items():
            if isinstance(v, torch.Tensor):
                tensors[f"{prefix}.{pid}.{k}"] = v.detach().cpu().clone().contiguous()
                m[k] = {"tensor": f"{prefix}.{pid}.{k}"}
            else:
                m[k] = v
        meta["state"][str(pid)] = m
    return meta


def _unflatten_optimizer(meta: dict[str, Any], tensors: dict[str, torch.Tensor]) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {}
    for pid, st in meta["state"].items():
        state[int(pid)] = {
            k: tensors[v["tensor"]] if isinstance(v, dict) and "tensor" in v else v
            for k, v in st.items()
        }
    return {"state": state, "param_groups": meta["param_groups"]}


# ----------------------------------------------------------------------------- snapshots
def list_snapshots(run_dir: Path) -> list[Path]:
    d = run_dir / "checkpoints"
    if not d.is_dir():
        return []
    snaps = [p for p in d.iterdir() if _SNAP_RE.match(p.name) and (p / META).is_file()]
    return sorted(snaps, key=lambda p: int(_SNAP_RE.match(p.name).group(1)))  # type: ignore[union-attr]


def resolve(resume: str, run_dir: Path) -> Path | None:
    """`latest` -> newest snapshot of run_dir (or None); a path -> that snapshot or run."""
    if resume == "latest":
        snaps = list_snapshots(run_dir)
        return snaps[-1] if snaps else None
    p = Path(resume)
    if (p / META).is_file():
        return p
    snaps = list_snapshots(p)
    if snaps:
        return snaps[-1]
    raise UserInputError(
        "expected a training snapshot folder (with state.json) or a run folder with checkpoints/",
        path=str(p),
        field="--resume",
    )


def save_snapshot(
    run_dir: Path,
    step: int,
    modules: dict[str, torch.nn.Module],
    optimizers: dict[str, torch.optim.Optimizer],
    extra_tensors: dict[str, torch.Tensor],
    meta: dict[str, Any],
    rngs: list[dict[str, Any]],
    keep: int = 3,
) -> Path:
    """Write snapshot-<step> atomically and prune to the newest `keep`."""
    from safetensors.torch import save_file

    tensors: dict[str, torch.Tensor] = {}
    for name, mod in modules.items():
        for k, v in mod.state_dict().items():
            tensors[f"{name}.{k}"] = v.detach().cpu().clone().contiguous()
    opt_meta = {
        name: _flatten_optimizer(f"opt.{name}", opt.state_dict(), tensors)
        for name, opt in optimizers.items()
    }
    for k, v in extra_tensors.items():
        tensors[f"extra.{k}"] = v.detach().cpu().clone().contiguous()
    rng_meta = []
    for r, s in enumerate(rngs):
        tensors[f"rng.{r}.torch"] = s["torch"].clone()
        for i, cs in enumerate(s["cuda"]):
            tensors[f"rng.{r}.cuda.{i}"] = cs.clone()
        rng_meta.append({"numpy": s["numpy"], "python": s["python"], "cuda": len(s["cuda"])})
    full_meta = {
        **meta,
        "step": step,
        "modules": sorted(modules),
        "optimizers": opt_meta,
        "rng": rng_meta,
    }
    target = run_dir / "checkpoints" / f"snapshot-{step:09d}"
    with atomic_dir(target) as tmp:
        save_file(tensors, str(tmp / TENSORS))
        (tmp / META).write_text(json.dumps(full_meta, indent=1), encoding="utf-8")
    for old in list_snapshots(run_dir)[:-keep] if keep > 0 else []:
        shutil.rmtree(old, ignore_errors=True)
    return target


def load_snapshot(path: Path) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """(meta, tensors) of a snapshot folder."""
    from safetensors.torch import load_file

    try:
        meta = json.loads((path / META).read_text(encoding="utf-8"))
        tensors = load_file(str(path / TENSORS))
    except (OSError, ValueError) as exc:
        raise UserInputError(f"unreadable training snapshot ({exc})", path=str(path)) from exc
    return meta, tensors


def module_state(tensors: dict[str, torch.Tensor], name: str) -> dict[str, torch.Tensor]:
    pre = name + "."
    return {k[len(pre) :]: v for k, v in tensors.items() if k.startswith(pre)}


def optimizer_state(
    meta: dict[str, Any], tensors: dict[str, torch.Tensor], name: str
) -> dict[str, Any]:
    return _unflatten_optimizer(meta["optimizers"][name], tensors)


def rng_states(meta: dict[str, Any], tensors: dict[str, torch.Tensor]) -> list[dict[str, Any]]:
    out = []
    for r, m in enumerate(meta["rng"]):
        out.append(
            {
                "torch": tensors[f"rng.{r}.torch"],
                "cuda": [tensors[f"rng.{r}.cuda.{i}"] for i in range(m["cuda"])],
                "numpy": m["numpy"],
                "python": m["python"],
            }
        )
    return out


# ----------------------------------------------------------------------------- portable packs
DISCRIMINATORS = ("D", "head", "patch")  # what a `discriminators_only` pack holds


def pack_snapshot(
    src: Path,
    dst: Path,
    optimizers: bool = False,
    ema_only: bool = False,
    discriminators_only: bool = False,
) -> dict[str, int]:
    """Write a compact copy of a snapshot: float weights in float16, Adam moments dropped.

    Why: a full CPU snapshot of the shipped network is ~100 MB, two thirds of it Adam
    moments; moving a run between machines (a lent GPU, a laptop) is easier at ~22 MB. A
    pack resumes like a snapshot (`--resume DIR`) with fresh optimisers (StyleGAN's Adam has
    beta1 = 0, so the restart costs a few steps) and float16-rounded weights. `ema_only`
    leaves out the raw G too (~6 MB less at the shipped size): training goes on from G_ema.
    `discriminators_only` keeps D and the CLIP / patch heads alone (~4 MB), to ship beside an
    exported generator: a run started from that generator then keeps the discriminator it was
    trained against instead of a fresh one (session 20: a fresh D cost ~0.1 accuracy).
    """
    meta, tensors = load_snapshot(src)
    out: dict[str, torch.Tensor] = {}
    keep = tuple(f"{m}." for m in DISCRIMINATORS)
    for k, v in tensors.items():
        if (k.startswith("opt.") and not optimizers) or (ema_only and k.startswith("G.")):
            continue
        if discriminators_only and not k.startswith(keep):
            continue
        if v.is_floating_point() and not k.startswith(("rng.", "extra.")):
            v = v.to(torch.float16)
        out[k] = v.contiguous()
    meta = dict(meta)
    if not optimizers:
        meta["optimizers"] = {}
    if ema_only:
        meta["modules"] = [m for m in meta["modules"] if m != "G"]
    if discriminators_only:
        meta["modules"] = [m for m in meta["modules"] if m in DISCRIMINATORS]
        meta["optimizers"] = {}
        meta["rng"] = []
    meta["packed"] = {
        "from": str(src),
        "float16": True,
        "optimizers": optimizers and not discriminators_only,
        "ema_only": ema_only,
        "discriminators_only": discriminators_only,
    }
    from safetensors.torch import save_file

    with atomic_dir(dst) as tmp:
        save_file(out, str(tmp / TENSORS))
        (tmp / META).write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return {"tensors": len(out), "bytes": (dst / TENSORS).stat().st_size}
