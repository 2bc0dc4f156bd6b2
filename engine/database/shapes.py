"""Geometry shared by the motif families: petals, leaves, spirals, stars, ribbons, frets.

Every function returns point arrays in tile units (N x 2, x right, y down) for the torus
canvas to fill or stroke; none of them draws. Angles are in radians.
"""

# numpy arrays plus tuples below are vector additions, not concatenations
# ruff: noqa: RUF005

from __future__ import annotations

import numpy as np

Pt = tuple[float, float]


def rot(pts: np.ndarray, ang: float, about: Pt = (0.0, 0.0)) -> np.ndarray:
    c, s = np.cos(ang), np.sin(ang)
    p = np.asarray(pts, float) - about
    return np.stack([p[:, 0] * c - p[:, 1] * s, p[:, 0] * s + p[:, 1] * c], axis=1) + about


def place(pts: np.ndarray, c: Pt, scale: float = 1.0, ang: float = 0.0) -> np.ndarray:
    """Scale a unit-sized shape, rotate it and move it to centre `c`."""
    return rot(np.asarray(pts, float) * scale, ang) + np.asarray(c, float)


def ring(c: Pt, r: float, n: int = 48, ry: float | None = None, a0: float = 0.0) -> np.ndarray:
    t = a0 + np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.stack([c[0] + r * np.cos(t), c[1] + (ry if ry is not None else r) * np.sin(t)], 1)


def petal(length: float, width: float, tip: float = 0.0, n: int = 20) -> np.ndarray:
    """A petal pointing along +x from the origin: round base, `tip` 0 round .. 1 sharp."""
    t = np.linspace(0, np.pi, n)
    x = length * (1 - np.cos(t)) / 2
    w = width / 2 * np.sin(t) ** (1.0 - 0.6 * tip) * (1 - 0.35 * tip * (x / length) ** 3)
    top = np.stack([x, -w], 1)
    bot = np.stack([x[::-1], w[::-1]], 1)
    return np.concatenate([top, bot[1:-1]])


def leaf(length: float, width: float, curl: float = 0.0, n: int = 22) -> np.ndarray:
    """A pointed leaf along +x with optional sideways curl of the tip."""
    t = np.linspace(0, 1, n)
    w = width / 2 * np.sin(np.pi * t) ** 0.8 * (1 - 0.3 * t)
    bend = curl * length * t**2
    top = np.stack([length * t, bend - w], 1)
    bot = np.stack([length * t[::-1], bend[::-1] + w[::-1]], 1)
    return np.concatenate([top, bot[1:-1]])


def rosette_petals(
    c: Pt, r: float, n: int, width: float, ang0: float = 0.0, inner: float = 0.0, tip: float = 0.3
) -> list[np.ndarray]:
    """`n` petals radiating from c, from radius `inner` to `r`."""
    out = []
    for k in range(n):
        a = ang0 + 2 * np.pi * k / n
        p = petal(r - inner, width, tip) + (inner, 0.0)
        out.append(place(p, c, 1.0, a))
    return out


def spiral(
    c: Pt,
    r: float,
    turns: float,
    ang0: float = 0.0,
    n: int = 60,
    direction: int = 1,
    r_in: float = 0.0,
) -> np.ndarray:
    """An Archimedean spiral from radius `r` inwards to `r_in` (polyline)."""
    t = np.linspace(0, 1, n)
    a = ang0 + direction * 2 * np.pi * turns * t
    rr = r + (r_in - r) * t
    return np.stack([c[0] + rr * np.cos(a), c[1] + rr * np.sin(a)], 1)


def star(c: Pt, r_out: float, r_in: float, points: int, ang0: float = 0.0) -> np.ndarray:
    t = ang0 + np.pi * np.arange(2 * points) / points
    rr = np.where(np.arange(2 * points) % 2 == 0, r_out, r_in)
    return np.stack([c[0] + rr * np.cos(t), c[1] + rr * np.sin(t)], 1)


def diamond(c: Pt, rx: float, ry: float) -> np.ndarray:
    return np.array([[c[0], c[1] - ry], [c[0] + rx, c[1]], [c[0], c[1] + ry], [c[0] - rx, c[1]]])


def rect(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], float)


def ribbon(path: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """A filled band following `path` with per-point widths (tapering ribbons, stems)."""
    p = np.asarray(path, float)
    d = np.gradient(p, axis=0)
    nrm = np.stack([-d[:, 1], d[:, 0]], 1)
    nrm /= np.maximum(np.linalg.norm(nrm, axis=1, keepdims=True), 1e-9)
    half = np.asarray(widths, float)[:, None] / 2
    return np.concatenate([p + nrm * half, (p - nrm * half)[::-1]])


def s_curve(
    c: Pt, length: float, amp: float, ang: float, waves: float = 1.0, n: int = 60
) -> np.ndarray:
    t = np.linspace(-0.5, 0.5, n)
    pts = np.stack([t * length, amp * np.sin(2 * np.pi * waves * t)], 1)
    return place(pts, c, 1.0, ang)


def wave_stem(
    y: float, amp: float, waves: int, phase: float = 0.0, n: int = 200, x0: float = 0.0
) -> np.ndarray:
    """A horizontal sine stem across the whole tile (integer `waves` so it wraps)."""
    x = np.linspace(0, 1, n)
    return np.stack([x0 + x, y + amp * np.sin(2 * np.pi * waves * x + phase)], 1)


def ruyi_cloud(scale: float) -> list[np.ndarray]:
    """A ruyi cloud head (three curled lobes over a pair of tail spirals), unit-centred
    polylines; stroked, it reads as the classic 如意云 outline."""
    lobes = []
    for cx, cy, r, a0, d in (
        (-0.32, 0.05, 0.22, 0.0, -1),
        (0.0, -0.18, 0.26, 0.6, 1),
        (0.32, 0.05, 0.22, np.pi, 1),
    ):
        lobes.append(spiral((cx, cy), r, 1.1, a0, 50, d, r * 0.15))
    t = np.linspace(0, 1, 30)
    tail = np.stack([-0.25 + 0.5 * t, 0.28 + 0.06 * np.sin(np.pi * t * 2)], 1)
    return [p * scale for p in [*lobes, tail]]
