"""Contact sheet of a database: one row per region (labelled in English and, when a CJK font
is installed, Chinese), with one tile repeated 2x2 to show that the joins are invisible."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from engine.atomic import atomic_path
from engine.culture import REGION_IDS, get_region
from engine.database.manifest import load_image, read_manifest
from engine.errors import UserInputError

_CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simsun.ttc",
)


def _fonts(px: int) -> tuple[ImageFont.ImageFont | ImageFont.FreeTypeFont, object | None]:
    cjk = None
    for p in _CJK_FONTS:
        if Path(p).is_file():
            try:
                cjk = ImageFont.truetype(p, px)
                break
            except OSError:
                continue
    try:
        latin: ImageFont.ImageFont | ImageFont.FreeTypeFont = ImageFont.truetype(
            "DejaVuSans.ttf", px
        )
    except OSError:
        latin = ImageFont.load_default()
    return latin, cjk


def make_sheet(
    db_dir: str | Path,
    out_png: str | Path,
    per_region: int = 8,
    tile: int = 96,
    regions: Sequence[str] = REGION_IDS,
) -> Path:
    """Write the contact sheet PNG (atomically) and return its path."""
    recs = read_manifest(db_dir)
    by_region: dict[str, list[dict]] = {r: [] for r in regions}
    for r in recs:
        if r["region"] in by_region:
            by_region[r["region"]].append(r)
    rows = [r for r in regions if by_region[r]]
    if not rows:
        raise UserInputError("the database has no images to show", path=str(db_dir))
    label_w, gap = 150, 6
    cols = (per_region + 1) // 2
    row_h = 2 * tile
    W = label_w + row_h + gap * 2 + cols * (tile + 2)
    H = len(rows) * (row_h + gap) + gap
    sheet = Image.new("RGB", (W, H), (250, 248, 242))
    draw = ImageDraw.Draw(sheet)
    latin, cjk = _fonts(16)
    small, _ = _fonts(11)
    for i, rid in enumerate(rows):
        y = gap + i * (row_h + gap)
        reg = get_region(rid)
        draw.text((8, y + 6), reg.name_en, fill=(30, 30, 30), font=latin)
        if cjk is not None:
            draw.text((8, y + 28), reg.name_zh, fill=(30, 30, 30), font=cjk)  # type: ignore[arg-type]
        fams = sorted({r.get("family", "") for r in by_region[rid][:per_region]} - {""})
        for k, f in enumerate(fams[:6]):
            draw.text((8, y + 56 + 14 * k), f.replace("_", " "), fill=(90, 90, 90), font=small)
        items = by_region[rid][:per_region]
        first = load_image(db_dir, items[0])
        first = cv2.resize(first, (tile, tile), interpolation=cv2.INTER_AREA)
        sheet.paste(Image.fromarray(np.tile(first, (2, 2, 1))), (label_w, y))
        draw.text((label_w + 4, y + row_h - 14), "2x2", fill=(255, 255, 255), font=small)
        for k, rec in enumerate(items):
            im = cv2.resize(load_image(db_dir, rec), (tile, tile), interpolation=cv2.INTER_AREA)
            x0 = label_w + row_h + gap * 2 + (k % cols) * (tile + 2)
            sheet.paste(Image.fromarray(im), (x0, y + (k // cols) * tile))
    out_png = Path(out_png)
    with atomic_path(out_png, suffix=".png") as tmp:
        sheet.save(tmp, format="PNG", optimize=True)
        os.chmod(tmp, 0o644)  # a document for people to read, not a private temp file
    return out_png
