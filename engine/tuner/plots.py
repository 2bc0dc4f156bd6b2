"""Two small charts drawn with PIL (matplotlib is not a dependency): a line chart of the
training reward and a bar chart of the uplift per region with interval whiskers."""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image, ImageDraw

W, H = 720, 360
PAD_L, PAD_R, PAD_T, PAD_B = 70, 20, 36, 60
INK = (40, 40, 40)
GRID = (225, 225, 225)
COLOURS = ((176, 58, 46), (31, 97, 141), (40, 116, 74), (160, 110, 20))


def _frame(title: str) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    img = Image.new("RGB", (W, H), "white")
    d = ImageDraw.Draw(img)
    d.text((PAD_L, 10), title, fill=INK)
    return img, d


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if hi <= lo:
        hi = lo + 1.0
    step = (hi - lo) / n
    return [lo + i * step for i in range(n + 1)]


def _yaxis(d: ImageDraw.ImageDraw, lo: float, hi: float) -> None:
    for v in _ticks(lo, hi):
        y = _ymap(v, lo, hi)
        d.line([(PAD_L, y), (W - PAD_R, y)], fill=GRID)
        d.text((4, y - 6), f"{v:8.2f}", fill=INK)
    d.line([(PAD_L, PAD_T), (PAD_L, H - PAD_B), (W - PAD_R, H - PAD_B)], fill=INK)


def _ymap(v: float, lo: float, hi: float) -> float:
    return H - PAD_B - (v - lo) / max(hi - lo, 1e-12) * (H - PAD_T - PAD_B)


def line_chart(series: dict[str, Sequence[float]], title: str, xlabel: str) -> Image.Image:
    """One line per series (shared y axis), x = index."""
    img, d = _frame(title)
    vals = [v for s in series.values() for v in s]
    if not vals:
        return img
    lo, hi = min(vals), max(vals)
    pad = 0.05 * (hi - lo or 1.0)
    lo, hi = lo - pad, hi + pad
    _yaxis(d, lo, hi)
    n = max(len(s) for s in series.values())
    for c, (name, s) in enumerate(series.items()):
        col = COLOURS[c % len(COLOURS)]
        pts = [
            (PAD_L + i / max(n - 1, 1) * (W - PAD_L - PAD_R), _ymap(v, lo, hi))
            for i, v in enumerate(s)
        ]
        if len(pts) > 1:
            d.line(pts, fill=col, width=2)
        d.text((W - PAD_R - 220, PAD_T + 4 + 14 * c), f"-- {name}", fill=col)
    d.text((W // 2 - 40, H - PAD_B + 24), xlabel, fill=INK)
    d.text((PAD_L - 4, H - PAD_B + 6), "0", fill=INK)
    d.text((W - PAD_R - 30, H - PAD_B + 6), str(n - 1), fill=INK)
    return img


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    lows: Sequence[float],
    highs: Sequence[float],
    title: str,
) -> Image.Image:
    """Bars from zero with 95% whiskers."""
    img, d = _frame(title)
    if not labels:
        return img
    lo = min(0.0, *lows, *values)
    hi = max(0.0, *highs, *values)
    pad = 0.08 * (hi - lo or 1.0)
    lo, hi = lo - pad, hi + pad
    _yaxis(d, lo, hi)
    y0 = _ymap(0.0, lo, hi)
    d.line([(PAD_L, y0), (W - PAD_R, y0)], fill=INK)
    slot = (W - PAD_L - PAD_R) / len(labels)
    for i, (lab, v, a, b) in enumerate(zip(labels, values, lows, highs, strict=True)):
        cx = PAD_L + (i + 0.5) * slot
        bw = slot * 0.28
        yv = _ymap(v, lo, hi)
        d.rectangle([cx - bw, min(y0, yv), cx + bw, max(y0, yv)], fill=COLOURS[i % 4])
        ya, yb = _ymap(a, lo, hi), _ymap(b, lo, hi)
        d.line([(cx, ya), (cx, yb)], fill=INK, width=2)
        d.line([(cx - bw / 2, ya), (cx + bw / 2, ya)], fill=INK, width=2)
        d.line([(cx - bw / 2, yb), (cx + bw / 2, yb)], fill=INK, width=2)
        d.text((cx - 3.2 * len(lab), H - PAD_B + 8), lab, fill=INK)
        d.text((cx + bw + 4, yv - 6), f"{v:+.2f}", fill=INK)
    return img
