"""What a training run shows: a progress line (kimg, img/s, ETA), a JSONL metrics log and
periodic sample grids from G_ema (fixed latents, so grids are comparable across ticks)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO

import numpy as np


class Progress:
    """One status line on stderr: redrawn in place on a terminal, one line per tick otherwise."""

    def __init__(
        self, total_kimg: float, stream: TextIO | None = None, enabled: bool = True
    ) -> None:
        self.total = total_kimg
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last = 0.0

    @staticmethod
    def _fmt_eta(sec: float) -> str:
        if not np.isfinite(sec):
            return "?"
        sec = int(sec)
        return f"{sec // 3600}:{sec // 60 % 60:02d}:{sec % 60:02d}"

    def update(self, kimg: float, img_per_s: float, extra: str = "", force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and (not self.tty or now - self._last < 0.5):
            return
        self._last = now
        left = max(self.total - kimg, 0.0) * 1000
        eta = left / img_per_s if img_per_s > 0 else float("inf")
        frac = min(kimg / self.total, 1.0) if self.total > 0 else 1.0
        bar = "#" * int(frac * 20)
        line = (
            f"kimg {kimg:8.3f}/{self.total:g} [{bar:<20}] {img_per_s:6.2f} img/s "
            f"ETA {self._fmt_eta(eta)} {extra}"
        )
        if self.tty:
            self.stream.write("\r" + line[:150].ljust(150))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.tty:
            self.stream.write("\n")
            self.stream.flush()


class MetricsLog:
    """Append-only JSONL: one object per tick (kimg, losses, p, img/s, ...)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, entry: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as fh:  # a line at a time: never torn
            fh.write(json.dumps(entry, sort_keys=True) + "\n")
            fh.flush()

    def read(self) -> list[dict[str, Any]]:
        if not self.path.is_file():
            return []
        with open(self.path, encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]


def save_grid(images: np.ndarray, cols: int, path: Path) -> None:
    """uint8 NHWC images -> one PNG grid, written atomically."""
    from PIL import Image

    from engine.atomic import atomic_path

    n, h, w, c = images.shape
    rows = (n + cols - 1) // cols
    grid = np.zeros((rows * h, cols * w, c), dtype=np.uint8)
    for i in range(n):
        r, q = divmod(i, cols)
        grid[r * h : (r + 1) * h, q * w : (q + 1) * w] = images[i]
    with atomic_path(path) as tmp:
        Image.fromarray(grid).save(tmp, format="PNG")
