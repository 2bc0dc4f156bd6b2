"""`.wenyang` project files: everything needed to re-render a design bit-identically.

A project is versioned JSON. Arrays (the condition vector, explicit w, direction vectors) are
stored exactly, as base64 of little-endian float32, so a reopened design renders the same
pixels on the same model and device. Loading is defensive: every problem is reported as a
`UserInputError` naming the file and the field. No Qt here: the CLI and tests use it too.
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine.atomic import atomic_open
from engine.errors import UserInputError

FORMAT = "wenyang-project"
# 2: the mockup section (templates, transform, garment photo + mask); 3: truncate_to;
# 4: noise_mode "seeded" (per-design noise, engine/stylegan/seeded_noise.py) for new designs
# 5: prior_by_region (the condition prior draws among the design's region's tiles)
# 6: prior_faithful (... and among the tiles the generator draws faithfully)
FORMAT_VERSION = 6
SUFFIX = ".wenyang"
REPEATS = ("full", "half-drop", "half-brick", "mirror", "center")
NOISE_MODES = ("seeded", "const", "random", "none")


@dataclass
class Offset:
    """One slider's contribution: w += strength * vector on layers [first, last)."""

    id: str  # stable slider id, e.g. "attr:gold", "dir:coarse:0", "text:more gold"
    strength: float
    layers: tuple[int, int]
    vector: np.ndarray  # float32 [w_dim]
    label: str = ""  # readable name shown in the sliders panel


@dataclass
class PolicyRef:
    """A tuned policy applied with a strength from 0 to 1."""

    path: str
    policy_id: str
    strength: float = 1.0


@dataclass
class ModelRef:
    """Which generator made the design (a different hash means pixels may differ)."""

    model_id: str
    model_hash: str


@dataclass(frozen=True)
class MockupSettings:
    """How the design is shown on garments: the templates side by side, the print transform
    and the designer's own garment photo with its refined mask (PNG bytes, 255 = garment).

    Frozen and made of plain values, so a change is one undoable field edit."""

    templates: tuple[str, ...] = ("tshirt", "qipao", "tote")
    repeat_cm: float = 20.0
    scale: float = 1.0
    rotation_deg: float = 0.0
    offset: tuple[float, float] = (0.0, 0.0)
    photo_path: str | None = None
    photo_mask_png: bytes | None = None


@dataclass
class Design:
    """The complete, renderable state of one design."""

    region: str = "dunhuang"
    text: str = ""
    seed: int = 0
    truncation: float = 0.7
    # truncation centre: "region" (the region's mean w, shipped with the sliders) or "global"
    # (the generator's w_avg; what projects of format < 3 were rendered with)
    truncate_to: str = "region"
    # map the text condition through the model's condition prior (False for projects of
    # format < 3, made before the prior existed: their pixels stay as they were)
    condition_prior: bool = True
    # the prior draws its neighbour among the tiles of `region` (condition_prior.py); False
    # for projects of format < 5, which drew from the whole bank: their pixels stay
    prior_by_region: bool = True
    # ... and among the tiles the prior marks faithfully drawn; False for projects of format
    # < 6, which drew among all of them: their pixels stay
    prior_faithful: bool = True
    condition: np.ndarray | None = None  # unit CLIP text embedding used (None: unconditional)
    ws: np.ndarray | None = None  # explicit w [num_ws, w_dim]; overrides seed when set
    offsets: list[Offset] = field(default_factory=list)
    mix_seed: int | None = None  # style-mix source (None: no mixing)
    mix_from_layer: int = 8  # crossover: layers >= this come from the mix source
    policy: PolicyRef | None = None
    repeat: str = "full"
    # synthesis noise: "seeded" draws it from the design's seed (new designs); projects of
    # format < 4 keep the shared constant noise they were made with ("const")
    noise_mode: str = "seeded"
    # the seed of the seeded noise, i.e. where the motifs go (None: the design's seed); set by
    # the studio's Layout slider to rearrange a design without changing its style
    noise_seed: int | None = None
    model: ModelRef | None = None
    mockup: MockupSettings = field(default_factory=MockupSettings)

    @property
    def prior_region(self) -> str | None:
        """The region the condition prior draws from (`RenderRequest.region`), or None."""
        return self.region if self.prior_by_region else None

    def offset(self, offset_id: str) -> Offset | None:
        return next((o for o in self.offsets if o.id == offset_id), None)

    def copy(self) -> Design:
        return from_dict(to_dict(self))


# ---------------------------------------------------------------------------- encoding
def _enc_array(a: np.ndarray | None) -> dict[str, Any] | None:
    if a is None:
        return None
    arr = np.ascontiguousarray(np.asarray(a, dtype="<f4"))
    return {
        "dtype": "float32",
        "shape": list(arr.shape),
        "b64": base64.b64encode(arr.tobytes()).decode("ascii"),
    }


def to_dict(d: Design) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "model": None if d.model is None else {"id": d.model.model_id, "hash": d.model.model_hash},
        "region": d.region,
        "text": d.text,
        "seed": int(d.seed),
        "truncation": float(d.truncation),
        "truncate_to": d.truncate_to,
        "condition_prior": bool(d.condition_prior),
        "prior_by_region": bool(d.prior_by_region),
        "prior_faithful": bool(d.prior_faithful),
        "condition": _enc_array(d.condition),
        "ws": _enc_array(d.ws),
        "offsets": [
            {
                "id": o.id,
                "label": o.label,
                "strength": float(o.strength),
                "layers": [int(o.layers[0]), int(o.layers[1])],
                "vector": _enc_array(o.vector),
            }
            for o in d.offsets
        ],
        "mix": None
        if d.mix_seed is None
        else {"seed": int(d.mix_seed), "from_layer": int(d.mix_from_layer)},
        "mix_from_layer": int(d.mix_from_layer),
        "policy": None
        if d.policy is None
        else {
            "path": d.policy.path,
            "id": d.policy.policy_id,
            "strength": float(d.policy.strength),
        },
        "repeat": d.repeat,
        "noise_mode": d.noise_mode,
        "noise_seed": None if d.noise_seed is None else int(d.noise_seed),
        "mockup": _enc_mockup(d.mockup),
    }


def _enc_mockup(m: MockupSettings) -> dict[str, Any]:
    return {
        "templates": list(m.templates),
        "repeat_cm": float(m.repeat_cm),
        "scale": float(m.scale),
        "rotation_deg": float(m.rotation_deg),
        "offset": [float(m.offset[0]), float(m.offset[1])],
        "photo": None
        if m.photo_path is None
        else {
            "path": m.photo_path,
            "mask_png": None
            if m.photo_mask_png is None
            else base64.b64encode(m.photo_mask_png).decode("ascii"),
        },
    }


# ---------------------------------------------------------------------------- decoding
class _Reader:
    """Typed field access that turns every surprise into a clear UserInputError."""

    def __init__(self, path: str | None) -> None:
        self.path = path

    def fail(self, fld: str, msg: str) -> UserInputError:
        return UserInputError(msg, path=self.path, field=fld)

    def get(
        self,
        obj: dict[str, Any],
        key: str,
        kind: type | tuple[type, ...],
        fld: str,
        default: Any = ...,
        optional: bool = False,
    ) -> Any:
        if key not in obj:
            if default is ...:
                raise self.fail(fld, "missing; expected a value here")
            return default
        v = obj[key]
        if v is None and optional:
            return None
        if kind is float and isinstance(v, int) and not isinstance(v, bool):
            v = float(v)
        if isinstance(v, bool) and kind in (int, float):
            raise self.fail(fld, f"got {v!r}; expected a number")
        if not isinstance(v, kind):
            name = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
            raise self.fail(fld, f"got {type(v).__name__} {v!r:.60}; expected {name}")
        if isinstance(v, float) and not math.isfinite(v):
            raise self.fail(fld, f"got {v!r}; expected a finite number")
        return v

    def array(self, v: Any, fld: str) -> np.ndarray | None:
        if v is None:
            return None
        if not isinstance(v, dict):
            raise self.fail(fld, "expected an array object {dtype, shape, b64} or null")
        if v.get("dtype") != "float32":
            raise self.fail(fld, f"dtype {v.get('dtype')!r}; expected 'float32'")
        shape = v.get("shape")
        if not (isinstance(shape, list) and all(isinstance(s, int) and s >= 0 for s in shape)):
            raise self.fail(fld, "shape must be a list of non-negative integers")
        try:
            raw = base64.b64decode(self.get(v, "b64", str, fld + ".b64"), validate=True)
        except ValueError as exc:
            raise self.fail(fld, f"b64 is not valid base64 ({exc})") from None
        n = int(np.prod(shape)) if shape else 1
        if len(raw) != 4 * n:
            raise self.fail(fld, f"holds {len(raw)} bytes; shape {shape} needs {4 * n}")
        arr = np.frombuffer(raw, dtype="<f4").reshape(shape).astype(np.float32)
        if not np.isfinite(arr).all():
            raise self.fail(fld, "contains NaN or infinity")
        return arr


def from_dict(obj: Any, path: str | None = None) -> Design:
    r = _Reader(path)
    if not isinstance(obj, dict):
        raise r.fail("(top level)", "expected a JSON object")
    if obj.get("format") != FORMAT:
        raise r.fail(
            "format",
            f"got {obj.get('format')!r}; expected {FORMAT!r} "
            "(this is not a Wenyang Studio project)",
        )
    version = r.get(obj, "version", int, "version")
    if version > FORMAT_VERSION:
        raise r.fail(
            "version",
            f"this project has format version {version}; this Wenyang "
            f"Studio reads up to {FORMAT_VERSION}: update the application",
        )
    if version < 1:
        raise r.fail("version", f"got {version}; expected 1..{FORMAT_VERSION}")
    # older versions load with defaults for the sections they lack (see below)
    d = Design()
    m = r.get(obj, "model", dict, "model", default=None, optional=True)
    if m is not None:
        d.model = ModelRef(r.get(m, "id", str, "model.id"), r.get(m, "hash", str, "model.hash"))
    d.region = r.get(obj, "region", str, "region")
    d.text = r.get(obj, "text", str, "text", default="")
    d.seed = r.get(obj, "seed", int, "seed")
    if not 0 <= d.seed < 2**32:
        raise r.fail("seed", f"got {d.seed}; expected 0 .. 2^32-1")
    d.truncation = r.get(obj, "truncation", float, "truncation", default=0.7)
    # projects saved before version 3 truncated toward the global mean: keep their pixels
    d.truncate_to = r.get(
        obj, "truncate_to", str, "truncate_to", default="region" if version >= 3 else "global"
    )
    d.condition_prior = r.get(obj, "condition_prior", bool, "condition_prior", default=version >= 3)
    d.prior_by_region = r.get(obj, "prior_by_region", bool, "prior_by_region", default=version >= 5)
    d.prior_faithful = r.get(obj, "prior_faithful", bool, "prior_faithful", default=version >= 6)
    if d.truncate_to not in ("region", "global"):
        raise r.fail("truncate_to", f"got {d.truncate_to!r}; expected 'region' or 'global'")
    d.condition = r.array(obj.get("condition"), "condition")
    d.ws = r.array(obj.get("ws"), "ws")
    if d.ws is not None and d.ws.ndim != 2:
        raise r.fail("ws", f"shape {list(d.ws.shape)}; expected [num_ws, w_dim]")
    offs = r.get(obj, "offsets", list, "offsets", default=[])
    for i, o in enumerate(offs):
        fld = f"offsets[{i}]"
        if not isinstance(o, dict):
            raise r.fail(fld, "expected an object")
        layers = r.get(o, "layers", list, fld + ".layers")
        if (
            len(layers) != 2
            or not all(isinstance(x, int) for x in layers)
            or not 0 <= layers[0] < layers[1]
        ):
            raise r.fail(
                fld + ".layers", f"got {layers!r}; expected [first, last) with 0 <= first < last"
            )
        vec = r.array(o.get("vector"), fld + ".vector")
        if vec is None or vec.ndim != 1:
            raise r.fail(fld + ".vector", "expected a 1-D float32 array")
        d.offsets.append(
            Offset(
                id=r.get(o, "id", str, fld + ".id"),
                strength=r.get(o, "strength", float, fld + ".strength"),
                layers=(layers[0], layers[1]),
                vector=vec,
                label=r.get(o, "label", str, fld + ".label", default=""),
            )
        )
    mix = r.get(obj, "mix", dict, "mix", default=None, optional=True)
    d.mix_from_layer = r.get(obj, "mix_from_layer", int, "mix_from_layer", default=8)
    if mix is not None:
        d.mix_seed = r.get(mix, "seed", int, "mix.seed")
        d.mix_from_layer = r.get(mix, "from_layer", int, "mix.from_layer")
    pol = r.get(obj, "policy", dict, "policy", default=None, optional=True)
    if pol is not None:
        strength = r.get(pol, "strength", float, "policy.strength", default=1.0)
        if not 0.0 <= strength <= 1.0:
            raise r.fail("policy.strength", f"got {strength}; expected 0..1")
        d.policy = PolicyRef(
            r.get(pol, "path", str, "policy.path"), r.get(pol, "id", str, "policy.id"), strength
        )
    d.repeat = r.get(obj, "repeat", str, "repeat", default="full")
    if d.repeat not in REPEATS:
        raise r.fail("repeat", f"got {d.repeat!r}; expected one of {', '.join(REPEATS)}")
    d.noise_mode = r.get(
        obj, "noise_mode", str, "noise_mode", default="seeded" if version >= 4 else "const"
    )
    d.noise_seed = r.get(obj, "noise_seed", int, "noise_seed", default=None, optional=True)
    if d.noise_mode not in NOISE_MODES:
        raise r.fail(
            "noise_mode", f"got {d.noise_mode!r}; expected one of {', '.join(NOISE_MODES)}"
        )
    if version >= 2 and obj.get("mockup") is not None:
        d.mockup = _dec_mockup(r, r.get(obj, "mockup", dict, "mockup"))
    return d  # version 1 (no mockup section): the default mockup settings


def _dec_mockup(r: _Reader, m: dict[str, Any]) -> MockupSettings:
    base = MockupSettings()
    names = r.get(m, "templates", list, "mockup.templates", default=list(base.templates))
    if not all(isinstance(n, str) for n in names):
        raise r.fail("mockup.templates", "expected a list of template names")

    def positive(key: str, default: float) -> float:
        v = float(r.get(m, key, float, f"mockup.{key}", default=default))
        if v <= 0:
            raise r.fail(f"mockup.{key}", f"got {v}; expected a positive number")
        return v

    off = r.get(m, "offset", list, "mockup.offset", default=[0.0, 0.0])
    if len(off) != 2 or not all(
        isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x) for x in off
    ):
        raise r.fail("mockup.offset", f"got {off!r:.60}; expected [x, y] in repeats")
    photo = r.get(m, "photo", dict, "mockup.photo", default=None, optional=True)
    path, mask = None, None
    if photo is not None:
        path = r.get(photo, "path", str, "mockup.photo.path")
        b64 = r.get(photo, "mask_png", str, "mockup.photo.mask_png", default=None, optional=True)
        if b64 is not None:
            try:
                mask = base64.b64decode(b64, validate=True)
            except ValueError as exc:
                raise r.fail("mockup.photo.mask_png", f"not valid base64 ({exc})") from None
            if not mask.startswith(b"\x89PNG"):
                raise r.fail("mockup.photo.mask_png", "expected a PNG image (the garment mask)")
    return MockupSettings(
        templates=tuple(names),
        repeat_cm=positive("repeat_cm", base.repeat_cm),
        scale=positive("scale", base.scale),
        rotation_deg=float(r.get(m, "rotation_deg", float, "mockup.rotation_deg", default=0.0)),
        offset=(float(off[0]), float(off[1])),
        photo_path=path,
        photo_mask_png=mask,
    )


# ---------------------------------------------------------------------------- files
def dumps(d: Design) -> str:
    return json.dumps(to_dict(d), ensure_ascii=False, indent=1)


def save_project(path: str | Path, d: Design) -> Path:
    """Write atomically: a failed save never leaves a half-written project."""
    path = Path(path)
    with atomic_open(path, "w", encoding="utf-8") as fh:
        fh.write(dumps(d))
        fh.write("\n")
    return path


def load_project(path: str | Path) -> Design:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserInputError("no such file; expected a .wenyang project", path=str(path)) from None
    except UnicodeDecodeError:
        raise UserInputError(
            "not UTF-8 text; expected a .wenyang project (JSON)", path=str(path)
        ) from None
    except OSError as exc:
        raise UserInputError(f"cannot read ({exc.strerror})", path=str(path)) from None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserInputError(
            f"column {exc.colno}: invalid JSON ({exc.msg}); expected a .wenyang project",
            path=str(path),
            line=exc.lineno,
        ) from None
    return from_dict(obj, str(path))
