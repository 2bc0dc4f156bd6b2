"""Generate the shipped garment templates (assets/mockups/<name>/) procedurally.

    python -m engine.mockup.templates_build --out assets/mockups [--size 1024] [--only NAME]

Same code, same pixels: every template is drawn from its silhouette (shapes.py), lit as a
height field (drape.py) in a soft studio with a floor shadow, and saved as base.png (the
plain white garment), mask_<region>.png, shading.png, displacement.png and template.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

from engine.atomic import atomic_dir
from engine.mockup.drape import Drape, drape, raster, stroke
from engine.mockup.shapes import GARMENTS, Garment, garment

FORMAT = "wenyang-mockup-template"
VERSION = 1
TITLES = {
    "tshirt": "T-shirt",
    "qipao": "Qipao (cheongsam)",
    "dress": "A-line dress",
    "hoodie": "Hoodie",
    "scarf": "Silk scarf",
    "tote": "Tote bag",
    "phonecase": "Phone case",
}
# displacement amplitude in px at 1024 px (x, y): how far folds push the print
DISPLACE = {"phonecase": (0.0, 0.0), "tote": (5.0, 4.0), "scarf": (16.0, 10.0)}
ALBEDO = 0.94


def studio_background(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """A seamless paper sweep: warm light grey, brighter in the middle, soft vignette."""
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    u, v = xs / w - 0.5, ys / h - 0.45
    lum = 0.90 - 0.07 * (ys / h) ** 1.5 - 0.16 * (u * u + 0.6 * v * v)
    lum += 0.004 * cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), 2)
    tint = np.array([0.985, 0.99, 1.0], np.float32)  # BGR: a touch warm
    return lum[..., None] * tint


def floor_shadow(cover: np.ndarray, w: int) -> np.ndarray:
    """Multiplicative shadow the garment casts on the sweep behind it (light from top left)."""
    h = cover.shape[0]
    m = np.array([[1, 0, 0.018 * w], [0, 1, 0.026 * h]], np.float32)
    cast = cv2.warpAffine(cover, m, (w, h))
    soft = cv2.GaussianBlur(cast, (0, 0), 0.025 * w)
    tight = cv2.GaussianBlur(cover, (0, 0), 0.006 * w)
    return 1.0 - 0.30 * soft - 0.15 * tight


def rib_texture(h: int, w: int) -> np.ndarray:
    xs = np.arange(w, dtype=np.float32)[None, :].repeat(h, 0)
    return 0.93 + 0.07 * np.sin(xs * 1.3) ** 2


def compose_base(g: Garment, d: Drape, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(base BGR float in 0..1, shading with seams) of the plain white garment in the studio."""
    h, w = d.shading.shape
    img = studio_background(h, w, rng) * floor_shadow(d.cover, w)[..., None]
    shading = d.shading.copy()
    seams = [t.poly for t in g.trims if t.kind == "seam"]
    if seams:
        s = stroke(seams, h, w, 0.0025, closed=False)
        shading *= 1.0 - 0.35 * s
    printable = np.maximum.reduce(list(d.masks.values()))
    fabric = ALBEDO * shading
    fabric = 1.0 - (1.0 - fabric) * (1.0 - d.spec)
    img = img * (1 - printable[..., None]) + fabric[..., None] * printable[..., None]
    rib = rib_texture(h, w)
    for t in g.trims:
        if t.kind == "seam":
            continue
        a = raster([t.poly], h, w)[..., None]
        col = np.array(t.colour[::-1], np.float32) / 255.0
        if t.kind == "dark":  # the garment's inside: darker towards the top
            ys = np.linspace(0.7, 1.15, h, dtype=np.float32)[:, None, None]
            layer = col * ys * d.shading[..., None]
        elif t.kind == "gloss":
            layer = col * d.shading[..., None] + 2.0 * d.spec[..., None]
        elif t.kind == "rib":
            layer = col * (d.shading * rib)[..., None]
        else:
            layer = col * d.shading[..., None] + 0.5 * d.spec[..., None]
        img = img * (1 - a) + np.clip(layer, 0, 1) * a
    return np.clip(img, 0.0, 1.0), shading


def build_template(name: str, out_root: Path, size: int = 1024) -> Path:
    """Draw one template into out_root/name (atomically) and return that folder."""
    rng = np.random.default_rng([GARMENTS.index(name), 2024])
    g = garment(name)
    d = drape(g, size, size, rng)
    # trims sit on top of the print: remove them from the printable masks
    over = [t.poly for t in g.trims if t.kind in ("rib", "solid", "gloss", "dark", "line")]
    trim_cover = raster(over, size, size) if over else np.zeros((size, size), np.float32)
    for k in d.masks:
        d.masks[k] = d.masks[k] * (1.0 - trim_cover)
    # regions listed later win where they overlap (sleeves over body, hood over body)
    keys = list(d.masks)
    for i, k in enumerate(keys):
        for later in keys[i + 1 :]:
            d.masks[k] = d.masks[k] * (1.0 - d.masks[later])
    base, shading = compose_base(g, d, rng)
    meta: dict = {
        "format": FORMAT,
        "version": VERSION,
        "name": name,
        "title": TITLES[name],
        "size_px": [size, size],
        "albedo": ALBEDO,
        "material": g.material,
        "print_rotation_deg": round(g.print_rotation, 3),
        "displacement_px": [v * size / 1024 for v in DISPLACE.get(name, (11.0, 8.0))],
        "masks": {},
    }
    out = Path(out_root) / name
    px_per_cm = None  # one photo, one scale: the main region's; the others follow from it
    with atomic_dir(out) as tmp:
        for k, m in d.masks.items():
            m8 = np.round(m * 255).astype(np.uint8)
            ys, xs = np.nonzero(m8 > 127)
            bbox = [int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1]
            bw, bh = bbox[2] - bbox[0], bbox[3] - bbox[1]
            if px_per_cm is None:
                px_per_cm = 0.5 * (bw / g.print_cm[k][0] + bh / g.print_cm[k][1])
            cv2.imwrite(str(tmp / f"mask_{k}.png"), m8, [cv2.IMWRITE_PNG_COMPRESSION, 9])
            meta["masks"][k] = {
                "file": f"mask_{k}.png",
                "print_size_cm": [round(bw / px_per_cm, 2), round(bh / px_per_cm, 2)],
                "bbox_px": bbox,
            }
        b8 = np.round(base * 255).astype(np.uint8)
        cv2.imwrite(str(tmp / "base.png"), b8, [cv2.IMWRITE_PNG_COMPRESSION, 9])
        s8 = np.round(np.clip(shading, 0, 1) * 255).astype(np.uint8)
        cv2.imwrite(str(tmp / "shading.png"), s8, [cv2.IMWRITE_PNG_COMPRESSION, 9])
        d8 = np.round((d.disp * 0.5 + 0.5) * 255).astype(np.uint8)
        cv2.imwrite(str(tmp / "displacement.png"), d8, [cv2.IMWRITE_PNG_COMPRESSION, 9])
        (tmp / "template.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--only", choices=GARMENTS, action="append")
    args = ap.parse_args(argv)
    for name in args.only or GARMENTS:
        p = build_template(name, args.out, args.size)
        total = sum(f.stat().st_size for f in p.iterdir())
        print(f"{p}  {total / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
