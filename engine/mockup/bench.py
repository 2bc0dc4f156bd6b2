"""Time a mockup render when only the pattern changes (the live-slider case).

    python -m engine.mockup.bench [--n 30]

The first render of a transform builds the remap grid; later ones reuse it, so the figure
is the median of renders with a new tile each time.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from engine.mockup.composite import MockupRenderer
from engine.mockup.shapes import GARMENTS


def bench(n: int = 30, repeat_cm: float = 20.0) -> dict[str, float]:
    rng = np.random.default_rng(0)
    tiles = [rng.integers(0, 256, (256, 256, 3), dtype=np.uint8) for _ in range(4)]
    out: dict[str, float] = {}
    for name in GARMENTS:
        r = MockupRenderer(name)
        r.render(tiles[0], repeat_cm)  # builds and caches the grid for this transform
        times = []
        for i in range(n):
            t = time.perf_counter()
            r.render(tiles[i % len(tiles)], repeat_cm)
            times.append(time.perf_counter() - t)
        out[name] = round(1000 * float(np.median(times)), 2)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=30)
    res = bench(ap.parse_args().n)
    print(json.dumps({"render_ms_median": res, "size_px": 1024}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
