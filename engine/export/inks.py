"""Ink reduction: a tile becomes N flat inks (2–16) the way screen and rotary printers need it.

k-means in CIELAB (seeded k-means++ in numpy, so the same tile always gives the same inks),
optionally with user-locked inks that never move and snapping to named traditional colours;
then speckles (connected components below an area threshold) are merged into their
surroundings, wrapping around the tile edges so the repeat stays seamless.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import cv2
import numpy as np

from engine.errors import UserInputError
from engine.export.colour import ciede2000, lab_to_srgb, srgb_to_lab

MIN_INKS, MAX_INKS = 2, 16


@dataclasses.dataclass(frozen=True)
class NamedColour:
    """A colour an ink can snap to (a region's traditional colour or a user-locked one)."""

    rgb: tuple[int, int, int]
    name_zh: str = ""
    name_en: str = ""
    region: str = ""


@dataclasses.dataclass
class InkImage:
    """A tile as an index map into a small palette of inks."""

    labels: np.ndarray  # [H, W] int32, ink index per pixel
    palette: np.ndarray  # [N, 3] uint8 sRGB of each ink
    names: list[NamedColour | None]  # the traditional colour an ink was snapped to, if any

    @property
    def n_inks(self) -> int:
        return int(self.palette.shape[0])

    def image(self) -> np.ndarray:
        """The ink-reduced raster (what print will look like)."""
        return self.palette[self.labels]

    def coverage(self) -> np.ndarray:
        """Fraction of the tile each ink covers."""
        return np.bincount(self.labels.ravel(), minlength=self.n_inks) / self.labels.size


def check_inks(n: int, field: str = "--inks") -> int:
    if not MIN_INKS <= int(n) <= MAX_INKS:
        raise UserInputError(f"expected {MIN_INKS} to {MAX_INKS} inks, got {n}", field=field)
    return int(n)


def _kmeans(x: np.ndarray, k: int, fixed: np.ndarray, seed: int, iters: int = 30) -> np.ndarray:
    """Lloyd's k-means with k-means++ seeding; the first len(fixed) centres never move."""
    rng = np.random.default_rng(seed)
    centres = [c for c in fixed]
    if not centres:
        centres.append(x[rng.integers(len(x))])
    d2 = np.min(((x[:, None, :] - np.array(centres)[None]) ** 2).sum(-1), axis=1)
    while len(centres) < k:  # k-means++: far from the existing centres, proportional to d²
        total = d2.sum()
        new = x[rng.choice(len(x), p=d2 / total)] if total > 0 else x[rng.integers(len(x))]
        centres.append(new)
        d2 = np.minimum(d2, ((x - new) ** 2).sum(-1))
    c = np.array(centres, dtype=np.float64)
    nf = len(fixed)
    for _ in range(iters):
        lab = _assign(x, c)
        new = c.copy()
        for j in range(nf, k):
            sel = x[lab == j]
            if len(sel):
                new[j] = sel.mean(0)
        if np.allclose(new, c, atol=1e-3):
            break
        c = new
    return c


def _assign(x: np.ndarray, c: np.ndarray) -> np.ndarray:
    d = (x * x).sum(1)[:, None] - 2 * x @ c.T + (c * c).sum(1)[None]
    return np.argmin(d, axis=1).astype(np.int32)


def snap_to(
    palette_lab: np.ndarray, candidates: Sequence[NamedColour], keep: int = 0
) -> tuple[np.ndarray, list[NamedColour | None]]:
    """Replace each ink (after the first `keep`, which are locked) with its nearest named
    colour by CIEDE2000, each named colour used at most once (greedy, closest pairs first)."""
    names: list[NamedColour | None] = [None] * len(palette_lab)
    if not candidates:
        return palette_lab, names
    cand_lab = srgb_to_lab(np.array([c.rgb for c in candidates], np.uint8))
    d = ciede2000(palette_lab[:, None, :], cand_lab[None, :, :])
    d[:keep] = np.inf
    out = palette_lab.copy()
    used: set[int] = set()
    for flat in np.argsort(d, axis=None):
        i, j = divmod(int(flat), d.shape[1])
        if not np.isfinite(d[i, j]) or names[i] is not None or j in used:
            continue
        names[i], out[i] = candidates[j], cand_lab[j]
        used.add(j)
    return out, names


def _seg_dist(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """Distance in Lab from p to the segment a–b (how well p is a mixture of a and b)."""
    ab = b - a
    t = float(np.clip(np.dot(p - a, ab) / max(float(np.dot(ab, ab)), 1e-9), 0.0, 1.0))
    return float(np.linalg.norm(p - (a + t * ab)))


def merge_edge_inks(
    labels: np.ndarray,
    centres: np.ndarray,
    lab: np.ndarray,
    thin: float = 0.8,
    mix_tol: float = 12.0,
) -> np.ndarray:
    """Give the pixels of anti-aliasing inks back to the inks they blend.

    k-means happily spends an ink on the blended pixels along edges (grey between white and
    brown); printed or traced, such an ink becomes a jagged outline. An ink counts as an
    edge ink when almost all its pixels are thin (vanish under a 3×3 erosion) and its colour
    lies close to the mix of two other inks; each of its pixels then goes to the nearer one.
    """
    k = len(centres)
    if k < 3:
        return labels
    h, w = labels.shape
    out = labels.copy()
    kernel = np.ones((3, 3), np.uint8)
    counts = np.bincount(labels.ravel(), minlength=k)
    for j in np.argsort(counts):
        own = (out == j).astype(np.uint8)
        n = int(own.sum())
        if n == 0:
            continue
        core = cv2.erode(np.pad(own, 1, mode="wrap"), kernel)[1:-1, 1:-1]
        if 1.0 - core.sum() / n < thin:
            continue
        alive = [i for i in range(k) if i != j and (out == i).any()]
        best = min(
            (
                (_seg_dist(centres[j], centres[a], centres[b]), a, b)
                for ai, a in enumerate(alive)
                for b in alive[ai + 1 :]
            ),
            default=None,
        )
        if best is None or best[0] > mix_tol:
            continue
        _, a, b = best
        sel = out == j
        px = lab.reshape(h, w, 3)[sel]
        da = ((px - centres[a]) ** 2).sum(1)
        db = ((px - centres[b]) ** 2).sum(1)
        out[sel] = np.where(da <= db, a, b)
    return out


def remove_speckles(labels: np.ndarray, min_area: int) -> np.ndarray:
    """Merge connected ink regions smaller than `min_area` pixels into the nearest other ink.

    Components are found on a wrap-padded copy, so a blob crossing the tile edge counts whole.
    """
    if min_area <= 1:
        return labels
    h, w = labels.shape
    pad = max(2, min(h, w) // 4)
    big = np.pad(labels, pad, mode="wrap")
    holes = np.zeros(big.shape, np.uint8)
    for ink in np.unique(labels):
        _n, comp, stats, _ = cv2.connectedComponentsWithStats(
            (big == ink).astype(np.uint8), connectivity=8
        )
        small = np.flatnonzero(stats[:, cv2.CC_STAT_AREA] < min_area)
        small = small[small > 0]
        if len(small):
            holes |= np.isin(comp, small).astype(np.uint8)
    if not holes.any():
        return labels
    if holes.all():
        return labels
    # nearest non-hole pixel for every hole pixel: a label fill in one vectorised pass
    _, idx = cv2.distanceTransformWithLabels(holes, cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL)
    keep = holes == 0
    src = np.zeros(int(idx.max()) + 1, np.int32)
    src[idx[keep]] = big[keep]
    filled = np.where(keep, big, src[idx])
    return np.ascontiguousarray(filled[pad : pad + h, pad : pad + w]).astype(np.int32)


def _cluster(
    lab: np.ndarray,
    x: np.ndarray,
    k: int,
    fixed: np.ndarray,
    locked: Sequence[tuple[int, int, int]],
    snap: Sequence[NamedColour] | None,
    seed: int,
    h: int,
    w: int,
) -> tuple[np.ndarray, list[NamedColour | None], np.ndarray]:
    """k-means (locked centres fixed), optional snapping, and the pixel assignment."""
    centres = _kmeans(x, k, fixed, seed)
    names: list[NamedColour | None] = [None] * k
    for i, c in enumerate(locked):
        names[i] = NamedColour((int(c[0]), int(c[1]), int(c[2])), name_en="locked")
    if snap:
        centres, snapped = snap_to(centres, list(snap), keep=len(fixed))
        names = [names[i] if i < len(fixed) else snapped[i] for i in range(k)]
    return centres, names, _assign(lab, centres).reshape(h, w)


def reduce_inks(
    tile: np.ndarray,
    n_inks: int,
    *,
    seed: int = 0,
    snap: Sequence[NamedColour] | None = None,
    locked: Sequence[tuple[int, int, int]] = (),
    min_area: int | None = None,
    sample: int = 20_000,
    edge_inks: bool = False,
) -> InkImage:
    """Reduce an RGB tile to `n_inks` inks (see module doc). `locked` colours are kept as
    inks exactly; `snap` colours replace the free inks; `min_area` defaults to ~0.02 % of
    the tile (at least 4 px); `edge_inks=False` folds anti-aliasing inks into their
    neighbours (so the result may have fewer than `n_inks` inks)."""
    n_inks = check_inks(n_inks)
    if len(locked) > n_inks:
        raise UserInputError(f"{len(locked)} locked colours but only {n_inks} inks", field="--lock")
    rgb = np.ascontiguousarray(tile[..., :3]).astype(np.uint8)
    h, w = rgb.shape[:2]
    lab = srgb_to_lab(rgb).reshape(-1, 3)
    rng = np.random.default_rng(seed)
    x = lab if len(lab) <= sample else lab[rng.choice(len(lab), sample, replace=False)]
    fixed = srgb_to_lab(np.array(locked, np.uint8).reshape(-1, 3))
    k = min(n_inks, max(len(fixed), len(np.unique(rgb.reshape(-1, 3), axis=0))))
    # one pass: the slots edge inks gave back stay free; refilling them tends to split a
    # textured ground into two noisy inks, which traces badly and costs a screen
    centres, names, labels = _cluster(lab, x, k, fixed, locked, snap, seed, h, w)
    if not edge_inks:
        labels = merge_edge_inks(labels, centres, lab)
    if min_area is None:
        min_area = max(4, round(h * w * 0.0002))
    labels = remove_speckles(labels, min_area)
    palette = lab_to_srgb(centres)
    for i, c in enumerate(locked):
        palette[i] = c
    # drop inks that no pixel uses any more (speckle removal can empty one)
    used = np.unique(labels)
    remap = np.full(len(centres), -1, np.int32)
    remap[used] = np.arange(len(used))
    return InkImage(labels=remap[labels], palette=palette[used], names=[names[i] for i in used])
