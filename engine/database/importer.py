"""`import_database`: a folder of real, hand-annotated images + CSV → a database folder.

Every bad row is reported as `csv:line: problem` (all of them at once) and nothing is written
when any row is bad. Images are normalised (RGB, centre square, resized) and their attributes
measured with the same functions as generated tiles.
"""

from __future__ import annotations

import csv
import re
import sys
import warnings
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from engine.atomic import atomic_dir
from engine.culture import REGION_IDS, get_region
from engine.database.captions import captions
from engine.database.manifest import save_png, write_manifest
from engine.database.measure import estimate_density, estimate_symmetry, measure
from engine.database.sample import measured_palette
from engine.errors import UserInputError

MAX_PIXELS = 100_000_000
COLUMNS = ("file", "region", "motifs", "caption")


def _open_checked(path: Path) -> tuple[np.ndarray | None, str | None]:
    if not path.is_file():
        return None, f"file {path.name!r} not found in the source folder"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            old = Image.MAX_IMAGE_PIXELS
            Image.MAX_IMAGE_PIXELS = None
            try:
                with Image.open(path) as im:
                    w, h = im.size
                    if w * h > MAX_PIXELS:
                        return None, (
                            f"image {path.name!r} is {w}x{h} = {w * h / 1e6:.0f} MP, "
                            f"over the {MAX_PIXELS // 1_000_000} MP limit"
                        )
                    arr = np.asarray(im.convert("RGB"))
            finally:
                Image.MAX_IMAGE_PIXELS = old
    except Exception as exc:  # any decoder failure is the user's file, not our bug
        return None, f"image {path.name!r} is unreadable ({type(exc).__name__}: {exc})"
    return arr, None


def normalise(img: np.ndarray, size: int) -> np.ndarray:
    """RGB, centre-square crop, resized to size x size."""
    h, w = img.shape[:2]
    s = min(h, w)
    y0, x0 = (h - s) // 2, (w - s) // 2
    sq = img[y0 : y0 + s, x0 : x0 + s]
    interp = cv2.INTER_AREA if s > size else cv2.INTER_CUBIC
    return np.ascontiguousarray(cv2.resize(sq, (size, size), interpolation=interp))


def _split_motifs(text: str) -> list[str]:
    return [m for m in re.split(r"[;,|\s]+", text.strip()) if m]


def import_database(
    src: str | Path, manifest_csv: str | Path, out_dir: str | Path, size: int = 256
) -> Path:
    src, manifest_csv, out_dir = Path(src), Path(manifest_csv), Path(out_dir)
    if not src.is_dir():
        raise UserInputError("source folder not found", path=str(src))
    if not manifest_csv.is_file():
        raise UserInputError("CSV not found", path=str(manifest_csv))
    errors: list[str] = []
    rows: list[tuple[int, dict, np.ndarray]] = []
    with open(manifest_csv, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip() for h in (reader.fieldnames or [])]
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise UserInputError(
                f"missing column(s) {', '.join(missing)}; expected a header "
                "file,region,motifs,caption[,caption_zh]",
                path=str(manifest_csv),
                line=1,
            )
        for row in reader:
            no = reader.line_num
            row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
            where = f"{manifest_csv}:{no}"
            probs: list[str] = []
            region = row.get("region", "")
            if region not in REGION_IDS:
                probs.append(f"unknown region {region!r}; expected one of {', '.join(REGION_IDS)}")
            if not row.get("caption"):
                probs.append("empty caption")
            img = None
            if not row.get("file"):
                probs.append("empty file name")
            else:
                img, prob = _open_checked(src / row["file"])
                if prob:
                    probs.append(prob)
            motifs = _split_motifs(row.get("motifs", ""))
            if region in REGION_IDS:
                known = {m.id for m in get_region(region).motifs}
                unknown = [m for m in motifs if m not in known]
                if unknown:
                    print(
                        f"{where}: warning: motif(s) {', '.join(unknown)} not in the {region} "
                        "lexicon; left out",
                        file=sys.stderr,
                    )
                row["_motifs"] = [m for m in motifs if m in known]
            errors += [f"{where}: {p}" for p in probs]
            if not probs and img is not None:
                rows.append((no, row, img))
    if errors:
        raise UserInputError(
            f"{len(errors)} problem(s) in the import; nothing was written:\n" + "\n".join(errors)
        )
    if not rows:
        raise UserInputError("no rows to import", path=str(manifest_csv))
    with atomic_dir(out_dir) as tmp:
        records = []
        for k, (no, row, img) in enumerate(rows):
            im = normalise(img, size)
            region = row["region"]
            m = measure(im, region)
            attrs = {
                "complexity": round(m["complexity"], 4),
                "density": round(estimate_density(im), 4),
                "gold": round(m["gold"], 4),
                "warmth": round(m["warmth"], 4),
                "symmetry": round(estimate_symmetry(im), 4),
            }
            pal = measured_palette(im, region)
            rid = f"{region}-import-{k:06d}"
            zh = (
                row.get("caption_zh")
                or captions(region, row["_motifs"], attrs, pal, np.random.default_rng(k))[1]
            )
            rec = {
                "id": rid,
                "file": f"images/{rid}.png",
                "region": region,
                "motifs": row["_motifs"],
                "palette": pal,
                "attributes": attrs,
                "measured": {
                    "gold_share": round(m["gold_share"], 5),
                    "edge_density": round(m["edge_density"], 5),
                },
                "caption_en": row["caption"],
                "caption_zh": zh,
                "seed": None,
                "source": f"{row['file']}",
                "source_line": no,
            }
            save_png(tmp / rec["file"], im)
            records.append(rec)
        write_manifest(tmp, records)
    return out_dir
