"""One annotated tile: pick the variation knobs from the seed, draw, measure, caption.

Deterministic: the same (region, seed, size) always gives the same pixels and record.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from engine.culture import REGION_IDS
from engine.database.canvas import TorusCanvas, periodic_noise
from engine.database.captions import captions
from engine.database.context import LAYOUTS, Ctx, Drawn
from engine.database.families import families_for
from engine.database.families._borders import add_border
from engine.database.measure import measure
from engine.database.palette import region_palette, to_lab

BORDER_CHANCE = 0.3


@dataclass
class Sample:
    image: np.ndarray  # uint8 HxWx3 RGB
    record: dict


def sample_id(region_id: str, seed: int) -> str:
    return f"{region_id}-{seed:07d}"


def _texture(
    img: np.ndarray, kind: str, rng: np.random.Generator, origin: tuple[float, float]
) -> np.ndarray:
    """Periodic surface texture (aged plaster, cloth weave, paper, silk) applied after
    drawing; the fields are rolled with the origin because they belong to the torus."""
    if kind == "none":
        return img
    size = img.shape[0]
    if kind == "aged":
        n = periodic_noise(rng, size, 6) * 0.6 + periodic_noise(rng, size, 23) * 0.4
        mul = 0.86 + 0.14 * n
    else:
        cells, amp = {"cloth": (9, 0.05), "paper": (12, 0.04), "silk": (5, 0.08)}.get(
            kind, (9, 0.05)
        )
        mul = (1.0 - amp) + amp * periodic_noise(rng, size, cells)
    add = rng.standard_normal((size, size), dtype=np.float32) * 2.0  # fine thread grain
    sh = (round(origin[1] * size), round(origin[0] * size))
    mul3 = np.roll(mul, sh, axis=(0, 1)).astype(np.float32)[..., None]
    add3 = np.roll(add, sh, axis=(0, 1))[..., None] + 0.5
    if kind == "aged":  # yellowed varnish
        mul3 = mul3 * 0.92
        add3 = add3 + np.array([214, 190, 150], np.float32) * 0.08
    f = img.astype(np.float32)
    f *= mul3
    f += add3
    return np.clip(f, 0, 255, out=f).astype(np.uint8)


def calm_cut(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Choose where the repeat is cut: roll the (already seamless) tile so that its edges
    fall on a row and a column pair no busier than the median — as a textile designer puts
    the repeat line through quiet ground rather than along a stripe edge. Rolling a torus
    image changes no pixel relationships, only the origin."""
    f = image.astype(np.int16)
    shifts = []
    for axis in (0, 1):
        d = np.abs(f - np.roll(f, -1, axis=axis)).sum(axis=(1 - axis, 2))  # pair i -> i+1
        cand = np.flatnonzero(d <= np.median(d))
        i = int(cand[rng.integers(len(cand))])
        shifts.append(-(i + 1))  # pair (i, i+1) becomes (last, first)
    return np.roll(image, shifts, axis=(0, 1))


def measured_palette(image: np.ndarray, region_id: str, min_share: float = 0.02) -> list[str]:
    """Region colours present in the tile, most covering first (nearest-colour census)."""
    cols = region_palette(region_id).colours
    small = cv2.resize(image, (48, 48), interpolation=cv2.INTER_AREA).reshape(-1, 3)
    lab = to_lab(small)
    cl = to_lab(np.array([c.rgb for c in cols]))
    idx = np.linalg.norm(lab[:, None] - cl[None], axis=-1).argmin(axis=1)
    counts = np.bincount(idx, minlength=len(cols)) / len(idx)
    order = np.argsort(-counts, kind="stable")
    return [cols[i].hex for i in order if counts[i] >= min_share]


def render_sample(
    region_id: str,
    seed: int,
    size: int = 256,
    *,
    origin: tuple[float, float] = (0.0, 0.0),
    cut: bool = True,
) -> Sample:
    """Draw one annotated seamless tile of `region_id`.

    `origin` translates the whole drawing on the torus (tile units) and `cut=False` skips
    the choice of a calm repeat line; both exist so tests can check that the drawing is the
    same pattern wherever it is cut (i.e. truly drawn on a torus)."""
    if region_id not in REGION_IDS:
        raise ValueError(f"unknown region {region_id!r}; expected one of {REGION_IDS}")
    ridx = REGION_IDS.index(region_id)
    rng = np.random.default_rng([ridx, int(seed)])
    fams = families_for(region_id)
    # families take turns by seed, so every build (and every contact sheet row) shows them
    # all in equal shares; each family's own knobs still come from the seeded generator
    fam = fams[int(seed) % len(fams)]
    has_metal = bool(region_palette(region_id).metallic)
    gold = 0.0 if (not has_metal or rng.random() < 0.35) else float(rng.uniform(0.15, 1.0))
    ctx = Ctx(
        rng=rng,
        region_id=region_id,
        pal=region_palette(region_id),
        detail=float(rng.random()),
        density=float(rng.random()),
        gold=gold,
        layout=LAYOUTS[int(rng.integers(len(LAYOUTS)))],
    )
    canvas = TorusCanvas(size, (0, 0, 0), origin=origin)
    drawn: Drawn = fam.draw(canvas, ctx)
    if fam.borders and rng.random() < BORDER_CHANCE:
        extra = add_border(canvas, ctx)
        if extra:
            drawn.motifs.append(extra)
    image = canvas.finish()
    image = _texture(image, drawn.texture, np.random.default_rng([ridx, int(seed), 7]), origin)
    if cut:
        image = calm_cut(image, np.random.default_rng([ridx, int(seed), 13]))
    m = measure(image, region_id)
    attributes = {
        "complexity": round(m["complexity"], 4),
        "density": round(float(np.clip(drawn.density, 0, 1)), 4),
        "gold": round(m["gold"], 4),
        "warmth": round(m["warmth"], 4),
        "symmetry": round(float(np.clip(drawn.symmetry, 0, 1)), 4),
    }
    motifs = list(dict.fromkeys(drawn.motifs))
    palette = measured_palette(image, region_id)
    sid = sample_id(region_id, seed)
    record = {
        "id": sid,
        "file": f"images/{sid}.png",
        "region": region_id,
        "family": fam.id,
        "motifs": motifs,
        "palette": palette,
        "attributes": attributes,
        "measured": {
            "gold_share": round(m["gold_share"], 5),
            "edge_density": round(m["edge_density"], 5),
        },
        "seed": int(seed),
    }
    en, zh = captions(
        region_id, motifs, attributes, palette, np.random.default_rng([ridx, int(seed), 11])
    )
    record["caption_en"] = en
    record["caption_zh"] = zh
    return Sample(image=image, record=record)
