"""The tuned policy file and the small numpy model that turns it into a w offset.

File: POLICY (safetensors: actor weights, basis, region text means; its metadata carries the
same JSON as the sidecar POLICY.json: format/version, data hash, hyperparameters, figures).
Applying it needs no torch: the renderer, `generate --policy` and the GUI call
`load_policy(path).offset(region_id, c, strength)` and add the result to every layer of w.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.atomic import atomic_path
from engine.errors import UserInputError

FORMAT = "wenyang-policy"
VERSION = 1


@dataclass
class Policy:
    """Mean of the tuned Gaussian policy as a function of region and text embedding."""

    weights: dict[str, np.ndarray]  # l0/l1/l2.weight/bias, log_std
    basis: np.ndarray  # [k, w_dim]: z offset -> w offset, rows scaled by the data std
    region_ids: tuple[str, ...]
    trained: np.ndarray  # [R] bool: regions that had results (others get no offset)
    c_mean: np.ndarray  # [R, Dc] mean text embedding per region (used when c is None)
    num_ws: int
    meta: dict = field(default_factory=dict)
    region_scale: np.ndarray | None = None  # [R] fidelity-guard scale of each region's offset

    @property
    def w_dim(self) -> int:
        return int(self.basis.shape[1])

    @property
    def c_dim(self) -> int:
        return int(self.c_mean.shape[1])

    @property
    def policy_id(self) -> str:
        """Short id written into A/B manifests (policy_id column) and render provenance."""
        return str(self.meta.get("policy_id", ""))

    @property
    def model_hash(self) -> str:
        hashes = self.meta.get("model_hashes") or [""]
        return str(hashes[0])

    def z_offset(self, region_id: str, c: np.ndarray | None = None) -> np.ndarray:
        """The policy mean in whitened coordinates (for reports and tests)."""
        if region_id not in self.region_ids:
            raise UserInputError(f"region {region_id!r}: expected one of {list(self.region_ids)}")
        r = self.region_ids.index(region_id)
        k = self.basis.shape[0]
        if not self.trained[r]:
            return np.zeros(k, np.float32)
        if self.c_dim == 0 or c is None:
            cc = self.c_mean[r]
        else:
            cc = np.asarray(c, np.float32).reshape(-1)
            if cc.shape[0] != self.c_dim:
                raise UserInputError(
                    f"text embedding of size {cc.shape[0]}: expected "
                    f"{self.c_dim} (the policy's CLIP embedding size)"
                )
        x = np.concatenate([np.eye(len(self.region_ids), dtype=np.float32)[r], cc])
        w = self.weights
        h = np.tanh(w["l0.weight"] @ x + w["l0.bias"])
        h = np.tanh(w["l1.weight"] @ h + w["l1.bias"])
        mu = w["l2.weight"] @ h + w["l2.bias"]
        if self.region_scale is not None:
            mu = mu * float(self.region_scale[r])
        return mu.astype(np.float32)

    def offset(self, region_id: str, c: np.ndarray | None, strength: float) -> np.ndarray:
        """Mean w offset [w_dim] at `strength` 0..1 (0 = untuned generator), for every layer."""
        if not 0.0 <= float(strength) <= 1.0:
            raise UserInputError(f"policy strength {strength}: expected a value from 0 to 1")
        return (float(strength) * (self.z_offset(region_id, c) @ self.basis)).astype(np.float32)

    def render_offset(
        self, region_id: str, c: np.ndarray | None, strength: float
    ) -> tuple[np.ndarray, float, tuple[int, int]]:
        """An entry for RenderRequest.offsets: (direction at strength 1, strength, all layers)."""
        return self.offset(region_id, c, 1.0), float(strength), (0, self.num_ws)


def save_policy(path: str | Path, policy: Policy) -> tuple[Path, Path]:
    """Write POLICY (safetensors) and its JSON sidecar, each atomically."""
    from safetensors.numpy import save_file

    path = Path(path)
    meta = dict(policy.meta)
    meta.update(
        {
            "format": FORMAT,
            "version": VERSION,
            "region_ids": list(policy.region_ids),
            "num_ws": policy.num_ws,
            "w_dim": policy.w_dim,
            "c_dim": policy.c_dim,
            "trained_regions": [
                r for r, t in zip(policy.region_ids, policy.trained, strict=True) if t
            ],
        }
    )
    text = json.dumps(_finite(meta), indent=2, ensure_ascii=False, default=_jsonable)
    tensors = {k: np.ascontiguousarray(v, np.float32) for k, v in policy.weights.items()}
    tensors["basis"] = np.ascontiguousarray(policy.basis, np.float32)
    tensors["c_mean"] = np.ascontiguousarray(
        policy.c_mean.reshape(len(policy.region_ids), -1), np.float32
    )
    tensors["trained"] = policy.trained.astype(np.float32)
    if policy.region_scale is not None:
        tensors["region_scale"] = np.asarray(policy.region_scale, np.float32)
    side = sidecar_path(path)
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata={"wenyang_policy": text})
    with atomic_path(side) as tmp:
        tmp.write_text(text + "\n", encoding="utf-8")
    return path, side


def sidecar_path(path: Path) -> Path:
    return path.with_suffix(".json") if path.suffix != ".json" else path.with_suffix(".policy.json")


def _finite(o: object) -> object:
    """Strict JSON: NaN/inf (e.g. a Spearman on too few variants) become null."""
    if isinstance(o, float | np.floating):
        return float(o) if np.isfinite(o) else None
    if isinstance(o, dict):
        return {k: _finite(v) for k, v in o.items()}
    if isinstance(o, list | tuple):
        return [_finite(v) for v in o]
    return o


def _jsonable(o: object) -> object:
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o)}")


def load_policy(path: str | Path) -> Policy:
    """Load POLICY (the .safetensors file, or its .json sidecar next to it)."""
    from safetensors import safe_open

    p = Path(path)
    if p.suffix == ".json" and p.with_suffix(".safetensors").is_file():
        p = p.with_suffix(".safetensors")
    if not p.is_file():
        raise UserInputError(f"{p}: expected a policy file written by `wenyang tune`")
    try:
        with safe_open(str(p), framework="numpy") as f:
            md = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118
    except Exception as exc:  # safetensors raises its own types for a bad header
        raise UserInputError(f"{p}: expected a safetensors policy file ({exc})") from None
    try:
        meta = json.loads(md.get("wenyang_policy", ""))
    except ValueError:
        raise UserInputError(f"{p}: metadata: expected the wenyang-policy JSON") from None
    if meta.get("format") != FORMAT:
        raise UserInputError(f"{p}: format: {meta.get('format')!r}: expected {FORMAT!r}")
    if int(meta.get("version", 0)) > VERSION:
        raise UserInputError(
            f"{p}: version {meta.get('version')}: expected ≤ {VERSION} "
            "(written by a newer Wenyang Studio)"
        )
    need = {"l0.weight", "l0.bias", "l1.weight", "l1.bias", "l2.weight", "l2.bias", "basis"}
    if not need <= tensors.keys():
        raise UserInputError(f"{p}: tensors: expected {sorted(need)}")
    regions = tuple(meta["region_ids"])
    trained = tensors.pop("trained", np.ones(len(regions), np.float32)) > 0.5
    c_mean = tensors.pop("c_mean", np.zeros((len(regions), 0), np.float32))
    basis = tensors.pop("basis")
    region_scale = tensors.pop("region_scale", None)
    return Policy(
        weights=tensors,
        basis=basis,
        region_ids=regions,
        trained=trained,
        c_mean=c_mean.reshape(len(regions), -1),
        num_ws=int(meta["num_ws"]),
        meta=meta,
        region_scale=region_scale,
    )


def policy_means(weights: dict[str, np.ndarray], states: np.ndarray) -> np.ndarray:
    """z-space mean offsets for many states at once (unique states are few)."""
    uniq, inv = np.unique(states, axis=0, return_inverse=True)
    w = weights
    h = np.tanh(uniq @ w["l0.weight"].T + w["l0.bias"])
    h = np.tanh(h @ w["l1.weight"].T + w["l1.bias"])
    mu = h @ w["l2.weight"].T + w["l2.bias"]
    return mu[inv.reshape(-1)].astype(np.float32)
