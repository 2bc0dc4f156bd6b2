"""Named attribute directions (InterFaceGAN, Shen et al. 2020) found from the generator's
own samples: render many ws, measure each attribute from pixels, fit a linear boundary in W
between the top and bottom quantiles; its normal is the slider. Each slider is then scoped
to the layer range where moving along it changes the attribute most monotonically.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from engine.directions.attributes import ATTRIBUTES, measure_attributes
from engine.directions.base import Direction, spearman, spread_along, unit

STEPS: tuple[int, ...] = (-3, -2, -1, 0, 1, 2, 3)
Progress = Callable[[str, int, int], None]


def fit_boundary(
    ws: np.ndarray, values: np.ndarray, quantile: float = 0.3, l2: float = 1.0, iters: int = 25
) -> np.ndarray:
    """Unit normal [w_dim] of an L2-regularised logistic boundary: top vs bottom `quantile`.

    Fitted on standardised features by Newton steps (IRLS), then mapped back to W, where
    the normal of the hyperplane is the direction that raises the attribute.
    """
    X = np.asarray(ws, dtype=np.float64)
    y_val = np.asarray(values, dtype=np.float64).reshape(-1)
    lo, hi = np.quantile(y_val, [quantile, 1 - quantile])
    keep = (y_val <= lo) | (y_val >= hi)
    if lo == hi:  # tied values: split at the median instead
        keep = np.ones_like(y_val, dtype=bool)
        hi = np.median(y_val) + 1e-12
    X, y = X[keep], (y_val[keep] >= hi).astype(np.float64)
    if y.min() == y.max():
        return np.zeros(X.shape[1], dtype=np.float32)
    mu, sd = X.mean(0), X.std(0) + 1e-8
    Xs = np.concatenate([(X - mu) / sd, np.ones((len(X), 1))], axis=1)
    beta = np.zeros(Xs.shape[1])
    reg = np.full(Xs.shape[1], l2)
    reg[-1] = 0.0  # no penalty on the intercept
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-np.clip(Xs @ beta, -30, 30)))
        grad = Xs.T @ (p - y) + reg * beta
        H = (Xs * (p * (1 - p))[:, None]).T @ Xs + np.diag(reg + 1e-9)
        step = np.linalg.solve(H, grad)
        beta -= step
        if float(np.abs(step).max()) < 1e-6:
            break
    return unit(beta[:-1] / sd)


def centre_by_group(x: np.ndarray, groups: list[str]) -> np.ndarray:
    """Rows of x minus the mean of their group."""
    x = np.asarray(x, dtype=np.float64)
    out = x.copy()
    g = np.asarray(groups)
    for name in set(groups):
        m = g == name
        out[m] -= x[m].mean(0)
    return out


def project_out(vec: np.ndarray, axes: np.ndarray, tol: float = 1e-6) -> np.ndarray:
    """Unit `vec` with its component in the span of the rows of `axes` removed."""
    a = np.asarray(axes, dtype=np.float64)
    if not a.size or not np.any(vec):
        return vec
    _u, sv, vt = np.linalg.svd(a, full_matrices=False)
    basis = vt[sv > tol * max(float(sv.max()), 1e-12)]
    v = np.asarray(vec, dtype=np.float64)
    v = v - basis.T @ (basis @ v)
    return unit(v) if np.linalg.norm(v) > 1e-9 else np.asarray(vec, dtype=np.float32)


def sample_attributes(
    renderer: Any,
    conditions: dict[str, np.ndarray | None],
    n: int,
    seed: int = 0,
    truncation: float = 1.0,
    batch: int = 16,
    progress: Progress | None = None,
    noise_mode: str = "const",
) -> tuple[np.ndarray, list[str], dict[str, np.ndarray]]:
    """(w [n, w_dim], region of each sample, {attribute: values [n]}) from rendered samples."""
    from engine.stylegan.render import RenderRequest

    regions = list(conditions)
    ws_rows, regs = [], []
    vals: dict[str, list[float]] = {a: [] for a in ATTRIBUTES}
    for start in range(0, n, batch):
        reqs = []
        for i in range(start, min(n, start + batch)):
            r = regions[i % len(regions)]
            s = seed * 1_000_003 + i
            ws = renderer.mapping(s, conditions[r], truncation, region=r)
            reqs.append(RenderRequest(ws=ws, seed=s, noise_mode=noise_mode))
            regs.append(r)
            ws_rows.append(ws[0])
        for res, r in zip(renderer.render_batch(reqs), regs[start:], strict=True):
            for a, v in measure_attributes(res.image, r).items():
                vals[a].append(v)
        if progress:
            progress("sampling", min(n, start + batch), n)
    return np.stack(ws_rows), regs, {a: np.asarray(v) for a, v in vals.items()}


def slider_curve(
    renderer: Any,
    base_ws: list[np.ndarray],
    regions: list[str],
    direction: Direction,
    attribute: str,
    steps: tuple[int, ...] = STEPS,
    seeds: list[int] | None = None,
    noise_mode: str = "const",
) -> np.ndarray:
    """Attribute values [len(base_ws), len(steps)] along a slider, one row per base latent
    (`seeds`: the seed each latent came from, for its seeded noise)."""
    from engine.stylegan.render import RenderRequest

    out = np.zeros((len(base_ws), len(steps)))
    for i, (ws, r) in enumerate(zip(base_ws, regions, strict=True)):
        seed = seeds[i] if seeds is not None else 0
        d = direction.for_region(r)
        reqs = [
            RenderRequest(ws=ws, offsets=[d.offset(s)], seed=seed, noise_mode=noise_mode)
            for s in steps
        ]
        for j, res in enumerate(renderer.render_batch(reqs)):
            out[i, j] = measure_attributes(res.image, r)[attribute]
    return out


def mean_spearman(curves: np.ndarray, steps: tuple[int, ...] = STEPS) -> float:
    """Spearman of attribute vs step, averaged over the rows of `curves`."""
    return float(np.mean([spearman(np.asarray(steps), row) for row in curves]))


SPEARMAN_TIE = 0.02  # candidates this close to the best Spearman count as equally monotone


def pick_candidate(
    spearmans: dict[Any, float], changes: dict[Any, float], tie: float = SPEARMAN_TIE
) -> Any:
    """The key of the most monotone candidate; among those within `tie` of it, the one that
    moves the attribute furthest from step −3 to +3 (dict order breaks exact ties).

    Why: Spearman alone cannot tell a slider the designer sees from one that moves its
    attribute by a rounding error in the right order (symmetry, session 13: 0.89 for a
    change of 0.006 over the whole range)."""
    top = max(spearmans.values())
    near = [k for k, v in spearmans.items() if v >= top - tie]
    return max(near, key=lambda k: changes[k])


def region_direction(
    attribute: str,
    gradients: dict[str, np.ndarray],
    ws_c: np.ndarray,
    region_axes: np.ndarray,
    layers: tuple[int, int],
    layer_range: str,
) -> Direction:
    """A named slider with one vector per region (from each region's mean gradient); its
    shared `vector` is the unit mean of the regions' vectors.

    Each step is the spread along the vector of all regions' centred samples, the unit of
    every other slider. Session 26 first took each region's own spread: Dunhuang's designs
    vary little along its gold vector, so its steps were half the others' (gold Spearman
    there 0.20; 0.65 with the common unit, card seeds)."""
    by_region = {}
    for r, grad in gradients.items():
        v = project_out(unit(grad), region_axes)
        by_region[r] = (v, spread_along(ws_c, v))
    shared = unit(np.mean([v for v, _ in by_region.values()], axis=0))
    return Direction(
        attribute,
        "named",
        shared,
        spread_along(ws_c, shared),
        layers,
        layer_range,
        by_region=by_region,
    )


def fit_named_directions(
    renderer: Any,
    conditions: dict[str, np.ndarray | None],
    n_samples: int = 400,
    select_seeds: int = 6,
    seed: int = 0,
    progress: Progress | None = None,
    noise_mode: str = "const",
    attributes: tuple[str, ...] = ATTRIBUTES,
    gradient_samples: int = 128,
    keep: Any | None = None,
) -> list[Direction]:
    """One Direction per attribute, scoped to the layer range (or "all") that moves it best.

    Range choice: mean Spearman of the attribute over steps −3…+3 on `select_seeds` latents
    (a seed set apart from the fitting samples). For the attributes gradient.py can
    differentiate, the attribute-gradient vector of each range (from `gradient_samples`
    samples; 0: none) competes on the same seeds, and so does (for a conditioned generator)
    one vector per region from each region's own gradient (`region_direction`; the same
    number of samples in all); `pick_candidate` keeps the most monotone,
    and among near-ties the one that moves its attribute furthest. `keep`: a score the
    gradient candidates should leave unchanged (gradient.attribute_gradients)."""
    from engine.directions.gradient import (
        GRADIENT_ATTRIBUTES,
        attribute_gradients,
        attribute_gradients_by_region,
    )

    unknown = [a for a in attributes if a not in ATTRIBUTES]
    if unknown:
        raise ValueError(f"unknown attributes {unknown}; expected some of {ATTRIBUTES}")
    ws, regs, values = sample_attributes(
        renderer, conditions, n_samples, seed, progress=progress, noise_mode=noise_mode
    )
    ws_c = centre_by_group(ws, regs)
    # each sample's region mean, globally centred (none when regions share one condition)
    conditioned = any(c is not None for c in conditions.values())
    region_axes = ws - ws_c - ws.mean(0) if conditioned else np.zeros((0, ws.shape[1]))
    info = renderer.info
    ranges = dict(info.layer_ranges)
    ranges["all"] = (0, info.num_ws)
    regions = list(conditions)
    sel_regions = [regions[i % len(regions)] for i in range(select_seeds)]
    sel_seeds = [10_000_019 + seed * 7919 + i for i in range(select_seeds)]
    sel_ws = [
        renderer.mapping(s, conditions[r], 0.7, region=r)
        for s, r in zip(sel_seeds, sel_regions, strict=True)
    ]
    out = []
    for k, attr in enumerate(attributes):
        # within-region variation only: a boundary fitted across regions would partly learn
        # "which region" (warm Lingnan vs cool Jiangnan), and moving along it would change
        # the region, which the sliders must not do
        vec = fit_boundary(ws_c, centre_by_group(values[attr][:, None], regs)[:, 0])
        # conditional manipulation (InterFaceGAN): remove the component along the axes that
        # separate the regions' mean ws, so the slider is orthogonal to "which region"
        vec = project_out(vec, region_axes)
        candidates = {
            ("boundary", name): Direction(attr, "named", vec, spread_along(ws_c, vec), ab, name)
            for name, ab in ranges.items()
        }
        if attr in GRADIENT_ATTRIBUTES and gradient_samples > 0:
            grads, _, _ = attribute_gradients(
                renderer, conditions, attr, ranges, gradient_samples, seed, noise_mode, keep=keep
            )
            for name, g in grads.items():
                gvec = project_out(unit(g), region_axes)
                candidates[("gradient", name)] = Direction(
                    attr, "named", gvec, spread_along(ws_c, gvec), ranges[name], name
                )
            if conditioned:
                per = attribute_gradients_by_region(
                    renderer,
                    conditions,
                    attr,
                    ranges,
                    max(8, gradient_samples // len(regions)),
                    seed,
                    noise_mode,
                    keep=keep,
                )
                for name, ab in ranges.items():
                    candidates[("region-gradient", name)] = region_direction(
                        attr, {r: per[r][name] for r in regions}, ws_c, region_axes, ab, name
                    )
        curves = {
            key: slider_curve(
                renderer, sel_ws, sel_regions, d, attr, seeds=sel_seeds, noise_mode=noise_mode
            )
            for key, d in candidates.items()
        }
        scores = {key: mean_spearman(c) for key, c in curves.items()}
        changes = {key: float(np.mean(c[:, -1] - c[:, 0])) for key, c in curves.items()}
        best = pick_candidate(scores, changes)
        chosen = candidates[best]
        by_method: dict[str, dict[str, float]] = {}
        for (method, name), v in scores.items():
            by_method.setdefault(method, {})[name] = round(v, 4)
        chosen.meta = {
            "method": best[0],
            "range_spearman": by_method["boundary"],
            "change": round(changes[best], 4),
            "samples": int(n_samples),
            "value_std": float(values[attr].std()),
        }
        if "gradient" in by_method:
            chosen.meta["gradient_spearman"] = by_method["gradient"]
            chosen.meta["gradient_samples"] = int(gradient_samples)
            chosen.meta["gradient_keeps_region"] = keep is not None
        if "region-gradient" in by_method:
            chosen.meta["region_gradient_spearman"] = by_method["region-gradient"]
        out.append(chosen)
        if progress:
            progress("scoping", k + 1, len(attributes))
    return out
