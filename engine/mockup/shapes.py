"""Garment silhouettes as smooth polygons in unit coordinates (x right, y down, 0..1).

One description per garment serves both the shipped templates (canonical proportions) and
the segmentation training data (jittered proportions), so the model learns the same shapes
the studio shows. Each garment lists its printable regions, its non-printable trims (ribs,
handles, piping, camera) and its fold lines; `drape.py` turns those into light and shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

GARMENTS: tuple[str, ...] = ("tshirt", "qipao", "dress", "hoodie", "scarf", "tote", "phonecase")

Pts = list[tuple[float, float]]


@dataclass
class Fold:
    """A crease: a segment of raised (amp > 0) or sunken cloth, tapering at both ends."""

    a: tuple[float, float]
    b: tuple[float, float]
    width: float
    amp: float


@dataclass
class Trim:
    """Something drawn on the base but never printed on (rib, handle, piping, lens)."""

    poly: np.ndarray
    colour: tuple[int, int, int]
    kind: str = "rib"  # rib | solid | gloss | dark | line


@dataclass
class Garment:
    name: str
    parts: dict[str, list[np.ndarray]]  # printable regions: mask name -> polygons
    trims: list[Trim] = field(default_factory=list)
    folds: list[Fold] = field(default_factory=list)
    material: str = "cotton"  # cotton | jersey | silk | canvas | fleece | plastic
    print_cm: dict[str, tuple[float, float]] = field(default_factory=dict)  # mask bbox in cm
    print_rotation: float = 0.0  # degrees: the cloth's grain, where the piece lies turned


def chaikin(pts: Pts, iters: int = 3, closed: bool = True) -> np.ndarray:
    """Corner-cutting smoothing: control points become a smooth outline."""
    p = np.asarray(pts, np.float64)
    for _ in range(iters):
        q = np.roll(p, -1, axis=0) if closed else p[1:]
        a = p if closed else p[:-1]
        new = np.empty((2 * len(a), 2))
        new[0::2] = 0.75 * a + 0.25 * q
        new[1::2] = 0.25 * a + 0.75 * q
        p = new if closed else np.vstack([p[:1], new, p[-1:]])
    return p


def rounded(pts: list, r: float = 0.015, n: int = 7) -> np.ndarray:
    """Closed polygon with straight edges and rounded corners; a point (x, y, r) sets its own
    corner radius (0 = sharp, large = a smooth bend through it)."""
    p = [(float(q[0]), float(q[1]), float(q[2]) if len(q) > 2 else r) for q in pts]
    out: list[np.ndarray] = []
    t = np.linspace(0.0, 1.0, n)[:, None]
    for i, (x, y, rad) in enumerate(p):
        c = np.array([x, y])
        p0 = np.array(p[i - 1][:2])
        p2 = np.array(p[(i + 1) % len(p)][:2])
        if rad <= 0:
            out.append(c[None])
            continue
        a = c + (p0 - c) * min(rad / (np.linalg.norm(p0 - c) + 1e-9), 0.5)
        b = c + (p2 - c) * min(rad / (np.linalg.norm(p2 - c) + 1e-9), 0.5)
        out.append((1 - t) ** 2 * a + 2 * (1 - t) * t * c + t**2 * b)
    return np.vstack(out)


def mirror(pts: list) -> list:
    return [(1.0 - q[0], *q[1:]) for q in pts]


def _j(rng: np.random.Generator | None, scale: float) -> float:
    return 0.0 if rng is None else float(rng.normal(0.0, scale))


def _folds(rng: np.random.Generator | None, base: list[Fold], extra: int, box: tuple) -> list:
    """The canonical folds plus, for training data, a few random ones inside `box`."""
    out = list(base)
    if rng is None:
        return out
    x0, y0, x1, y1 = box
    for _ in range(int(rng.integers(0, extra + 1))):
        ax, ay = rng.uniform(x0, x1), rng.uniform(y0, y1)
        ang = rng.uniform(0, np.pi)
        ln = rng.uniform(0.05, 0.3)
        b = (ax + ln * np.cos(ang), ay + ln * np.sin(ang))
        out.append(Fold((ax, ay), b, rng.uniform(0.01, 0.04), rng.choice([-1, 1]) * 0.5))
    return [Fold(f.a, f.b, f.width * (1 + _j(rng, 0.15)), f.amp * (1 + _j(rng, 0.3))) for f in out]


def tshirt(rng: np.random.Generator | None = None) -> Garment:
    sw = 0.2 + _j(rng, 0.01)  # half shoulder width
    hw = 0.215 + _j(rng, 0.012)  # half hem width
    sl = 0.14 + _j(rng, 0.02)  # sleeve reach
    hem = 0.87 + _j(rng, 0.02)
    nk = 0.085
    c = 0.5
    arm = (c + sw + 0.008, 0.35, 0.02)
    armhole = (c + sw + 0.018, 0.25, 0.06)
    right_body = [(c + nk, 0.12, 0.01), (c + sw, 0.16, 0.015), armhole, arm, (c + hw, hem, 0.012)]
    scoop = [(c + nk * 0.62, 0.168, 0.04), (c, 0.19, 0.05), (c - nk * 0.62, 0.168, 0.04)]
    body = rounded([*right_body, *mirror(right_body)[::-1], *scoop])
    sleeve_r = [
        (c + sw - 0.01, 0.16, 0.02),
        (c + sw + sl * 0.9, 0.33, 0.012),
        (c + sw + sl * 0.55, 0.415, 0.012),
        arm,
        armhole,
    ]
    sleeves = [rounded(sleeve_r), rounded(mirror(sleeve_r))]
    rib_o = [
        (c - nk, 0.12, 0.0),
        (c - nk * 0.62, 0.168, 0.04),
        (c, 0.19, 0.05),
        (c + nk * 0.62, 0.168, 0.04),
        (c + nk, 0.12, 0.0),
    ]
    rib_i = [
        (c + nk - 0.016, 0.12, 0.0),
        (c + nk * 0.62 - 0.01, 0.153, 0.04),
        (c, 0.173, 0.05),
        (c - nk * 0.62 + 0.01, 0.153, 0.04),
        (c - nk + 0.016, 0.12, 0.0),
    ]
    rib = rounded(rib_o + rib_i)
    inner = rounded(
        [(c - nk + 0.016, 0.12, 0.02), (c, 0.112, 0.06), (c + nk - 0.016, 0.12, 0.02), *rib_i[1:4]]
    )
    folds = [
        Fold((c + sw - 0.01, 0.37), (c + 0.06, 0.5), 0.025, -0.6),
        Fold((c - sw + 0.01, 0.37), (c - 0.06, 0.5), 0.025, -0.6),
        Fold((c + sw - 0.01, 0.43), (c + 0.09, 0.58), 0.03, 0.5),
        Fold((c - 0.06, 0.7), (c - 0.1, hem), 0.035, 0.6),
        Fold((c + 0.1, 0.68), (c + 0.13, hem), 0.03, 0.5),
        Fold((c + 0.01, 0.75), (c + 0.02, hem), 0.025, -0.4),
        Fold((c + sw + 0.03, 0.2), (c + sw + 0.08, 0.34), 0.018, -0.5),
        Fold((c - sw - 0.03, 0.2), (c - sw - 0.08, 0.34), 0.018, -0.5),
    ]
    return Garment(
        "tshirt",
        {"body": [body], "sleeves": sleeves},
        [Trim(inner, (70, 70, 72), "dark"), Trim(rib, (236, 236, 234), "rib")],
        _folds(rng, folds, 4, (0.3, 0.3, 0.7, 0.85)),
        "jersey",
        {"body": (56.0, 74.0), "sleeves": (80.0, 24.0)},
    )


def qipao(rng: np.random.Generator | None = None) -> Garment:
    w = 1 + _j(rng, 0.04)
    hem = 0.95 + _j(rng, 0.015)

    def x(d: float) -> float:
        return 0.5 + d * w

    right = [
        (x(0.05), 0.115, 0.01),
        (x(0.16), 0.15, 0.03),
        (x(0.205), 0.19, 0.025),
        (x(0.178), 0.235, 0.015),
        (x(0.158), 0.25, 0.02),
        (x(0.165), 0.33, 0.08),
        (x(0.122), 0.46, 0.12),
        (x(0.162), 0.61, 0.12),
        (x(0.135), hem, 0.01),
    ]
    body = rounded([*right, *mirror(right)[::-1]])
    collar = rounded(
        [
            (x(-0.055), 0.06, 0.012),
            (x(0.055), 0.06, 0.012),
            (x(0.058), 0.122, 0.0),
            (x(-0.058), 0.122, 0.0),
        ]
    )
    collar_top = rounded(
        [
            (x(-0.055), 0.058, 0.006),
            (x(0.055), 0.058, 0.006),
            (x(0.056), 0.066, 0.0),
            (x(-0.056), 0.066, 0.0),
        ]
    )
    # diagonal opening (the cheongsam's right-over-left flap) and piping
    flap = chaikin(
        [
            (x(-0.01), 0.125),
            (x(0.04), 0.16),
            (x(0.11), 0.185),
            (x(0.14), 0.23),
            (x(0.152), 0.27),
            (x(0.148), 0.272),
            (x(0.135), 0.233),
            (x(0.105), 0.19),
            (x(0.038), 0.166),
            (x(-0.012), 0.13),
        ],
        2,
        closed=True,
    )
    hem_piping = chaikin(
        [(x(-0.135), hem - 0.008), (x(0.135), hem - 0.008), (x(0.135), hem), (x(-0.135), hem)], 1
    )
    slit = np.array([(x(0.139), 0.76), (x(0.137), hem), (x(0.131), hem), (x(0.1365), 0.76)])
    frogs = []
    for fx, fy in [(x(0.03), 0.165), (x(0.1), 0.195), (x(0.146), 0.26)]:
        t = np.linspace(0, 2 * np.pi, 16)
        frogs.append(np.stack([fx + 0.012 * np.cos(t), fy + 0.006 * np.sin(t)], 1))
    folds = [
        Fold((x(0.12), 0.44), (x(0.02), 0.40), 0.02, -0.5),
        Fold((x(-0.12), 0.44), (x(-0.03), 0.41), 0.02, -0.5),
        Fold((x(0.13), 0.5), (x(0.03), 0.56), 0.02, -0.4),
        Fold((x(0.05), 0.7), (x(0.07), hem), 0.03, 0.4),
        Fold((x(-0.06), 0.72), (x(-0.08), hem), 0.03, 0.35),
    ]
    return Garment(
        "qipao",
        {"body": [body]},
        [
            Trim(collar, (238, 236, 232), "solid"),
            Trim(collar_top, (150, 24, 30), "line"),
            Trim(flap, (150, 24, 30), "line"),
            Trim(hem_piping, (150, 24, 30), "line"),
            Trim(slit, (60, 58, 60), "dark"),
        ]
        + [Trim(f, (150, 24, 30), "solid") for f in frogs],
        _folds(rng, folds, 3, (0.38, 0.3, 0.62, 0.9)),
        "silk",
        {"body": (46.0, 112.0)},
    )


def dress(rng: np.random.Generator | None = None) -> Garment:
    flare = 0.33 + _j(rng, 0.03)
    hem = 0.92 + _j(rng, 0.015)
    waist = 0.40 + _j(rng, 0.015)
    c = 0.5
    right = [
        (c + 0.07, 0.06, 0.008),
        (c + 0.115, 0.06, 0.008),
        (c + 0.155, 0.22, 0.07),
        (c + 0.125, waist, 0.06),
        (c + flare, hem, 0.012),
    ]
    body = rounded([*right, (c, hem + 0.02, 0.5), *mirror(right)[::-1], (c, 0.2, 0.12)])
    folds = []
    for i in range(9):
        t = (i + 0.5) / 9
        folds.append(
            Fold(
                (0.5 + (t - 0.5) * 0.22, waist + 0.04),
                (0.5 + (t - 0.5) * 2 * flare * 0.95, hem),
                0.022 + 0.01 * (i % 2),
                0.9 if i % 2 else -0.7,
            )
        )
    folds.append(Fold((0.5 - 0.1, waist - 0.02), (0.5 + 0.1, waist - 0.02), 0.012, -0.5))
    waist_band = chaikin(
        [
            (0.5 - 0.125, waist - 0.012),
            (0.5 + 0.125, waist - 0.012),
            (0.5 + 0.125, waist + 0.008),
            (0.5 - 0.125, waist + 0.008),
        ],
        1,
    )
    return Garment(
        "dress",
        {"body": [body]},
        [Trim(waist_band, (40, 40, 44), "line")],
        _folds(rng, folds, 2, (0.35, 0.45, 0.65, 0.85)),
        "cotton",
        {"body": (88.0, 96.0)},
    )


def hoodie(rng: np.random.Generator | None = None) -> Garment:
    sw = 0.215 + _j(rng, 0.01)
    hw = 0.205 + _j(rng, 0.01)
    hem = 0.86 + _j(rng, 0.015)
    c = 0.5
    arm = (c + sw + 0.01, 0.43, 0.02)
    armhole = (c + sw + 0.02, 0.33, 0.08)
    right = [(c + 0.1, 0.21, 0.03), (c + sw, 0.25, 0.03), armhole, arm, (c + hw, hem, 0.01)]
    body = rounded([*right, *mirror(right)[::-1], (c, 0.26, 0.05)])
    sleeve_r = [
        (c + sw - 0.01, 0.25, 0.04),
        (c + sw + 0.08, 0.36, 0.06),
        (c + sw + 0.115, 0.8, 0.01),
        (c + sw + 0.045, 0.805, 0.01),
        (c + sw + 0.02, 0.5, 0.05),
        arm,
        armhole,
    ]
    hood = rounded(
        [
            (c - 0.1, 0.25, 0.03),
            (c - 0.125, 0.12, 0.08),
            (c - 0.07, 0.045, 0.05),
            (c, 0.035, 0.05),
            (c + 0.07, 0.045, 0.05),
            (c + 0.125, 0.12, 0.08),
            (c + 0.1, 0.25, 0.03),
            (c, 0.28, 0.06),
        ]
    )
    opening = rounded(
        [
            (c - 0.055, 0.21, 0.04),
            (c - 0.07, 0.12, 0.05),
            (c, 0.075, 0.05),
            (c + 0.07, 0.12, 0.05),
            (c + 0.055, 0.21, 0.04),
            (c, 0.235, 0.04),
        ]
    )
    band = rounded(
        [
            (c - hw, hem - 0.045, 0.0),
            (c + hw, hem - 0.045, 0.0),
            (c + hw + 0.002, hem, 0.01),
            (c - hw - 0.002, hem, 0.01),
        ]
    )
    cuff_r = rounded(
        [
            (c + sw + 0.108, 0.75, 0.0),
            (c + sw + 0.115, 0.8, 0.01),
            (c + sw + 0.045, 0.805, 0.01),
            (c + sw + 0.043, 0.755, 0.0),
        ]
    )
    cuff_l = rounded(
        mirror(
            [
                (c + sw + 0.108, 0.75, 0.0),
                (c + sw + 0.115, 0.8, 0.01),
                (c + sw + 0.045, 0.805, 0.01),
                (c + sw + 0.043, 0.755, 0.0),
            ]
        )
    )
    pocket = np.array([(c - 0.13, 0.8), (c - 0.1, 0.62), (c + 0.1, 0.62), (c + 0.13, 0.8)])
    strings = [
        np.array(
            [
                (c - 0.03, 0.23),
                (c - 0.035, 0.4),
                (c - 0.028, 0.43),
                (c - 0.022, 0.4),
                (c - 0.02, 0.23),
            ]
        ),
        np.array(
            [
                (c + 0.03, 0.23),
                (c + 0.035, 0.38),
                (c + 0.028, 0.41),
                (c + 0.022, 0.38),
                (c + 0.02, 0.23),
            ]
        ),
    ]
    folds = [
        Fold((0.5 + sw + 0.03, 0.62), (0.5 + sw + 0.11, 0.6), 0.012, -0.7),
        Fold((0.5 + sw + 0.03, 0.68), (0.5 + sw + 0.11, 0.66), 0.012, -0.7),
        Fold((0.5 - sw - 0.03, 0.62), (0.5 - sw - 0.11, 0.6), 0.012, -0.7),
        Fold((0.5 - sw - 0.03, 0.68), (0.5 - sw - 0.11, 0.66), 0.012, -0.7),
        Fold((0.5 + sw + 0.02, 0.3), (0.5 + sw + 0.06, 0.5), 0.03, 0.5),
        Fold((0.5 - sw - 0.02, 0.3), (0.5 - sw - 0.06, 0.5), 0.03, 0.5),
        Fold((0.5 + sw - 0.02, 0.46), (0.5 + 0.06, 0.55), 0.035, -0.6),
        Fold((0.5 - sw + 0.02, 0.46), (0.5 - 0.06, 0.55), 0.035, -0.6),
        Fold((0.5 - 0.1, 0.6), (0.5 + 0.1, 0.6), 0.01, -0.5),
    ]
    return Garment(
        "hoodie",
        {"body": [body], "sleeves": [rounded(sleeve_r), rounded(mirror(sleeve_r))], "hood": [hood]},
        [
            Trim(opening, (58, 58, 62), "dark"),
            Trim(band, (230, 230, 228), "rib"),
            Trim(cuff_r, (230, 230, 228), "rib"),
            Trim(cuff_l, (230, 230, 228), "rib"),
            Trim(pocket, (0, 0, 0), "seam"),
        ]
        + [Trim(st, (226, 226, 222), "solid") for st in strings],
        _folds(rng, folds, 3, (0.32, 0.3, 0.68, 0.8)),
        "fleece",
        {"body": (60.0, 68.0), "sleeves": (100.0, 64.0), "hood": (36.0, 34.0)},
    )


def scarf(rng: np.random.Generator | None = None) -> Garment:
    """A square silk scarf laid flat, slightly turned: soft waves, a rolled hem, silk sheen."""
    s = 0.36 * (1 + _j(rng, 0.03))
    ang = np.radians(6.0 + _j(rng, 4.0))
    wave = np.random.default_rng(11) if rng is None else rng
    pts: list = []
    corners = [(-1, -1), (1, -1), (1, 1), (-1, 1)]
    for i, (ax, ay) in enumerate(corners):
        bx, by = corners[(i + 1) % 4]
        pts.append((ax, ay, 0.02))
        for t in np.linspace(0, 1, 7)[1:-1]:  # wavy edges: the silk never lies quite flat
            px, py = ax + (bx - ax) * t, ay + (by - ay) * t
            nx, ny = -(by - ay) / 2, (bx - ax) / 2
            k = wave.normal(0, 0.012)
            pts.append((px + nx * k, py + ny * k, 0.2))
    ca, sa = np.cos(ang), np.sin(ang)
    pts = [(0.5 + s * (ca * x - sa * y), 0.5 + s * (sa * x + ca * y), r) for x, y, r in pts]
    body = rounded(pts)
    hem = np.vstack([body * 0.985 + 0.5 * 0.015, body[:1] * 0.985 + 0.5 * 0.015])
    folds = []
    for i in range(6):
        t = (i + 0.5) / 6
        folds.append(
            Fold(
                (0.18 + 0.5 * t, 0.16),
                (0.3 + 0.55 * t, 0.86),
                0.03 + 0.01 * (i % 3),
                0.9 if i % 2 else -0.8,
            )
        )
    folds += [
        Fold((0.16, 0.6), (0.42, 0.84), 0.04, 0.7),
        Fold((0.6, 0.15), (0.84, 0.38), 0.035, -0.6),
        Fold((0.2, 0.3), (0.7, 0.5), 0.05, 0.5),
    ]
    return Garment(
        "scarf",
        {"body": [body]},
        [Trim(hem, (0, 0, 0), "seam")],
        _folds(rng, folds, 3, (0.2, 0.2, 0.8, 0.8)),
        "silk",
        {"body": (90.0, 90.0)},
        float(np.degrees(ang)),
    )


def tote(rng: np.random.Generator | None = None) -> Garment:
    w = 0.3 + _j(rng, 0.02)
    top = 0.36 + _j(rng, 0.02)
    bag = rounded(
        [
            (0.5 - w, top, 0.008),
            (0.5, top + 0.004, 0.3),
            (0.5 + w, top, 0.008),
            (0.5 + w + 0.006, 0.92, 0.015),
            (0.5, 0.925, 0.3),
            (0.5 - w - 0.006, 0.92, 0.015),
        ]
    )
    handles = []
    for cx in (0.5 - w * 0.45, 0.5 + w * 0.45):
        t = np.linspace(np.pi, 2 * np.pi, 40)
        outer = np.stack([cx + 0.11 * np.cos(t), top + 0.01 + 0.27 * np.sin(t)], 1)
        inner = np.stack([cx + 0.085 * np.cos(t[::-1]), top + 0.01 + 0.245 * np.sin(t[::-1])], 1)
        handles.append(np.vstack([outer, inner]))
    hem = np.array([(0.5 - w + 0.004, top + 0.035), (0.5 + w - 0.004, top + 0.035)])
    folds = [
        Fold((0.5 - w + 0.05, top + 0.05), (0.5 - w + 0.12, 0.9), 0.03, -0.4),
        Fold((0.5 + w - 0.04, top + 0.08), (0.5 + w - 0.1, 0.88), 0.03, 0.4),
        Fold((0.5 - 0.1, top + 0.04), (0.5 - 0.05, top + 0.2), 0.02, -0.4),
    ]
    return Garment(
        "tote",
        {"body": [bag]},
        [Trim(h, (214, 204, 182), "rib") for h in handles] + [Trim(hem, (0, 0, 0), "seam")],
        _folds(rng, folds, 2, (0.3, 0.45, 0.7, 0.85)),
        "canvas",
        {"body": (38.0, 42.0)},
    )


def phonecase(rng: np.random.Generator | None = None) -> Garment:
    hw, hh = 0.19 + _j(rng, 0.01), 0.4 + _j(rng, 0.01)
    r = 0.07
    t = np.linspace(0, np.pi / 2, 12)
    corners = []
    for cx, cy, a0 in [
        (0.5 + hw - r, 0.5 - hh + r, -np.pi / 2),
        (0.5 + hw - r, 0.5 + hh - r, 0),
        (0.5 - hw + r, 0.5 + hh - r, np.pi / 2),
        (0.5 - hw + r, 0.5 - hh + r, np.pi),
    ]:
        corners.append(np.stack([cx + r * np.cos(t + a0), cy + r * np.sin(t + a0)], 1))
    case = np.vstack(corners)
    cam = chaikin(
        [
            (0.5 - hw + 0.03, 0.5 - hh + 0.03),
            (0.5 - hw + 0.17, 0.5 - hh + 0.03),
            (0.5 - hw + 0.17, 0.5 - hh + 0.17),
            (0.5 - hw + 0.03, 0.5 - hh + 0.17),
        ],
        3,
    )
    lenses = []
    for lx, ly in [(0.062, 0.065), (0.062, 0.135), (0.132, 0.1)]:
        a = np.linspace(0, 2 * np.pi, 32)
        lenses.append(
            np.stack(
                [
                    0.5 - hw + 0.03 + lx * 0.85 + 0.028 * np.cos(a),
                    0.5 - hh + 0.03 + ly * 0.85 + 0.028 * np.sin(a),
                ],
                1,
            )
        )
    return Garment(
        "phonecase",
        {"body": [case]},
        [Trim(cam, (40, 40, 44), "gloss")] + [Trim(ln, (12, 12, 16), "gloss") for ln in lenses],
        [],
        "plastic",
        {"body": (7.6, 16.0)},
    )


BUILDERS = {
    "tshirt": tshirt,
    "qipao": qipao,
    "dress": dress,
    "hoodie": hoodie,
    "scarf": scarf,
    "tote": tote,
    "phonecase": phonecase,
}


def garment(name: str, rng: np.random.Generator | None = None) -> Garment:
    """The canonical garment (rng=None) or a jittered variant for training data."""
    return BUILDERS[name](rng)
