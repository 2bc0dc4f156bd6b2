"""Garment templates: the folder format (assets/mockups/<name>/) and its loader.

A template is a plain white garment photo (base.png), one anti-aliased mask per printable
region (mask_<region>.png), a diffuse shading map (shading.png, 255 = fully lit), a fold
height map (displacement.png, 128 = flat) and template.json, which gives each mask's physical
print size so a 20 cm repeat looks 20 cm wide on the garment.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from engine.errors import UserInputError
from engine.paths import ASSETS_DIR

TEMPLATES_DIR = ASSETS_DIR / "mockups"
FORMAT = "wenyang-mockup-template"


@dataclass
class Region:
    """One printable area: coverage in [0, 1], its bounding box and its print scale."""

    name: str
    mask: np.ndarray  # float32 HxW
    bbox: tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive)
    print_size_cm: tuple[float, float]

    @property
    def px_per_cm(self) -> float:
        x0, y0, x1, y1 = self.bbox
        w_cm, h_cm = self.print_size_cm
        return 0.5 * ((x1 - x0) / w_cm + (y1 - y0) / h_cm)


@dataclass
class Template:
    name: str
    title: str
    base: np.ndarray  # uint8 HxWx3 RGB
    regions: list[Region]
    shading: np.ndarray  # float32 HxW, 1 = fully lit
    displacement: np.ndarray  # float32 HxW in [-1, 1]
    displacement_px: tuple[float, float]
    albedo: float = 0.94
    print_rotation_deg: float = 0.0  # the garment's grain, added to the user's rotation
    spec: np.ndarray = field(default_factory=lambda: np.zeros((1, 1), np.float32))
    source: str = ""

    @property
    def size(self) -> tuple[int, int]:
        """(height, width) in px."""
        return self.base.shape[0], self.base.shape[1]

    def __post_init__(self) -> None:
        if self.spec.shape != self.shading.shape:
            self.spec = highlights(self.base, self.shading, self.albedo)

    def resized(self, max_side: int) -> Template:
        """The same template at most `max_side` px (side-by-side previews render 4x faster
        at half size); print scale and fold displacement scale with it."""
        h, w = self.size
        k = max_side / max(h, w)
        if k >= 1:
            return self
        nw, nh = max(1, round(w * k)), max(1, round(h * k))

        def rs(a: np.ndarray) -> np.ndarray:
            return cv2.resize(a, (nw, nh), interpolation=cv2.INTER_AREA)

        regions = [
            Region(r.name, rs(r.mask), tuple(round(v * k) for v in r.bbox), r.print_size_cm)  # type: ignore[arg-type]
            for r in self.regions
        ]
        return Template(
            name=self.name,
            title=self.title,
            base=rs(self.base),
            regions=regions,
            shading=rs(self.shading),
            displacement=rs(self.displacement),
            displacement_px=(self.displacement_px[0] * k, self.displacement_px[1] * k),
            albedo=self.albedo,
            print_rotation_deg=self.print_rotation_deg,
            spec=rs(self.spec),
            source=self.source,
        )


def highlights(base: np.ndarray, shading: np.ndarray, albedo: float) -> np.ndarray:
    """The sheen in `base` that diffuse light alone cannot explain (inverse of a screen blend):
    restored over the print so silk shines and a glossy case reflects."""
    lum = cv2.cvtColor(base, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    diffuse = np.clip(albedo * shading, 0.0, 0.999)
    return np.clip(1.0 - (1.0 - lum) / (1.0 - diffuse), 0.0, 1.0).astype(np.float32)


def list_templates(root: Path | None = None) -> list[str]:
    root = Path(root) if root is not None else TEMPLATES_DIR
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "template.json").is_file())


def read_image(path: Path, flags: int = cv2.IMREAD_COLOR) -> np.ndarray:
    """cv2.imread that raises a UserInputError naming the file (RGB order for colour)."""
    data = np.fromfile(str(path), np.uint8) if Path(path).is_file() else None
    img = cv2.imdecode(data, flags) if data is not None and data.size else None
    if img is None:
        what = "missing" if data is None else "not a readable image (PNG, JPEG, …)"
        raise UserInputError(f"file is {what}", path=str(path))
    if img.ndim == 3 and img.shape[2] == 4:
        img = img[..., :3]
    if img.ndim == 3:
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    return img


def _field(meta: dict, key: str, path: Path) -> Any:
    if key not in meta:
        raise UserInputError(f"missing key {key!r}", path=str(path), field=key)
    return meta[key]


def load_template(name_or_dir: str | Path, root: Path | None = None) -> Template:
    """A shipped template by name, or any template folder by path (cached)."""
    p = Path(name_or_dir)
    if not (p / "template.json").is_file():
        root = Path(root) if root is not None else TEMPLATES_DIR
        p = root / str(name_or_dir)
        if not (p / "template.json").is_file():
            names = ", ".join(list_templates(root)) or "(none installed)"
            raise UserInputError(
                f"unknown template {str(name_or_dir)!r}; expected one of: {names}",
                field="--template",
            )
    return _load(p.resolve())


@functools.lru_cache(maxsize=16)
def _load(folder: Path) -> Template:
    jpath = folder / "template.json"
    try:
        meta = json.loads(jpath.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise UserInputError(f"cannot read template metadata ({exc})", path=str(jpath)) from exc
    if meta.get("format") != FORMAT:
        raise UserInputError(f"expected format {FORMAT!r}", path=str(jpath), field="format")
    if int(meta.get("version", 0)) != 1:
        raise UserInputError("expected version 1", path=str(jpath), field="version")
    base = read_image(folder / "base.png")
    h, w = base.shape[:2]
    if [w, h] != list(_field(meta, "size_px", jpath)):
        raise UserInputError(
            f"size_px does not match base.png ({w}x{h})", path=str(jpath), field="size_px"
        )

    def grey(name: str) -> np.ndarray:
        img = read_image(folder / name, cv2.IMREAD_GRAYSCALE)
        if img.shape != (h, w):
            raise UserInputError(f"expected {w}x{h} px like base.png", path=str(folder / name))
        return img.astype(np.float32) / 255.0

    regions = []
    masks = _field(meta, "masks", jpath)
    if not isinstance(masks, dict) or not masks:
        raise UserInputError("expected at least one mask", path=str(jpath), field="masks")
    for rname, info in masks.items():
        m = grey(info["file"])
        ys, xs = np.nonzero(m > 0)
        if xs.size == 0:
            raise UserInputError("mask is empty", path=str(folder / info["file"]))
        cm = info.get("print_size_cm")
        if not (isinstance(cm, list) and len(cm) == 2 and min(cm) > 0):
            raise UserInputError(
                "expected [width_cm, height_cm] > 0",
                path=str(jpath),
                field=f"masks.{rname}.print_size_cm",
            )
        bbox = info.get("bbox_px") or [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
        regions.append(Region(rname, m, tuple(int(v) for v in bbox), (cm[0], cm[1])))  # type: ignore[arg-type]
    disp = grey("displacement.png") * 2.0 - 1.0
    dpx = meta.get("displacement_px", [0.0, 0.0])
    return Template(
        name=str(meta.get("name", folder.name)),
        title=str(meta.get("title", folder.name)),
        base=base,
        regions=regions,
        shading=grey("shading.png"),
        displacement=disp,
        displacement_px=(float(dpx[0]), float(dpx[1])),
        albedo=float(meta.get("albedo", 0.94)),
        print_rotation_deg=float(meta.get("print_rotation_deg", 0.0)),
        source=str(folder),
    )
