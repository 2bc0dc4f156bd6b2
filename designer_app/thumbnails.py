"""Region-card thumbnails: one procedural tile per region from the pattern database, cached
as PNG in the user cache directory (pure numpy/PIL: safe on a pool thread)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from engine.paths import user_cache_dir

VERSION = 1


def thumbnails(region_ids: list[str], size: int = 96) -> Iterator[tuple[str, np.ndarray]]:
    """Yield (region_id, HxWx3 uint8) for each region; missing engine parts end quietly."""
    from PIL import Image

    from engine.atomic import atomic_path

    cache = user_cache_dir() / "thumbnails"
    cache.mkdir(parents=True, exist_ok=True)
    for rid in region_ids:
        f = cache / f"{rid}-{size}-v{VERSION}.png"
        img: np.ndarray | None = None
        if f.is_file():
            try:
                img = np.asarray(Image.open(f).convert("RGB"))
            except OSError:
                img = None
        if img is None:
            try:
                from engine.database import render_sample
            except ImportError:
                return  # no database in this build: the cards keep their palette swatches
            img = np.ascontiguousarray(render_sample(rid, 0, size=size).image[..., :3])
            with atomic_path(f) as tmp:
                Image.fromarray(img).save(tmp, format="PNG")
        yield rid, img


def garment_icons(names: list[str], size: int = 112) -> Iterator[tuple[str, np.ndarray]]:
    """Yield (template name, small RGBA uint8) for the Mockup gallery.

    The template photos are 1024 px PNGs: decoding all of them cost the window ~0.25 s on the
    GUI thread. Here they are shrunk once on a pool thread and cached beside the region
    thumbnails, keyed by the photo's size and modification time."""
    from PIL import Image

    from engine.atomic import atomic_path
    from engine.mockup.template import TEMPLATES_DIR

    cache = user_cache_dir() / "thumbnails"
    cache.mkdir(parents=True, exist_ok=True)
    for name in names:
        src = TEMPLATES_DIR / name / "base.png"
        try:
            st = src.stat()
        except OSError:
            continue
        f = cache / f"garment-{name}-{size}-{st.st_size}-{st.st_mtime_ns}-v{VERSION}.png"
        img: np.ndarray | None = None
        if f.is_file():
            try:
                img = np.asarray(Image.open(f).convert("RGBA"))
            except OSError:
                img = None
        if img is None:
            with Image.open(src) as im:
                small = im.convert("RGBA")
                small.thumbnail((size, size), Image.Resampling.LANCZOS)
            img = np.asarray(small)
            with atomic_path(f) as tmp:
                small.save(tmp, format="PNG")
        yield name, np.ascontiguousarray(img)
