"""Compute every shipped direction of a generator and write them beside it."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from engine.directions.base import Direction
from engine.directions.conditions import region_conditions, stack_conditions
from engine.directions.gradient import region_log_probability
from engine.directions.latents import sample_w
from engine.directions.named import fit_named_directions
from engine.directions.region_mean import region_means, renderer_prior
from engine.directions.sefa import sefa_directions
from engine.directions.sliders import compute_text_basis
from engine.directions.store import DirectionFile, load_directions, save_directions
from engine.errors import UserInputError

Progress = Callable[[str, int, int], None]


def fit_all(
    renderer: Any,
    encoder: Any | None,
    n_samples: int = 400,
    select_seeds: int = 6,
    seed: int = 0,
    progress: Progress | None = None,
    image_embeddings: dict[str, np.ndarray] | None = None,
    noise_mode: str = "const",
    named: list[Direction] | None = None,
    gradient_samples: int = 128,
    keep_region: bool = True,
) -> DirectionFile:
    """SeFa + named + (with CLIP) text basis + region means for one generator.

    `image_embeddings` (region -> CLIP image embeddings of database tiles) join the region
    prompts as conditions when estimating each region's mean w. `named`: sliders to keep
    instead of fitting new ones (see `named_from`). `gradient_samples`: see
    fit_named_directions; `keep_region`: the gradient sliders leave the CLIP probe's region
    log-probability unchanged to first order (when the encoder has a probe)."""
    t0 = time.perf_counter()
    G = renderer.G
    info = renderer.info
    conditions = region_conditions(encoder, info.c_dim)
    ws_sample = sample_w(G, 2048, stack_conditions(conditions), seed=1)
    sefa = sefa_directions(G, info.layer_ranges, k=8, ws_sample=ws_sample)
    if named is None:
        named = fit_named_directions(
            renderer,
            conditions,
            n_samples,
            select_seeds,
            seed,
            progress,
            noise_mode=noise_mode,
            gradient_samples=gradient_samples,
            keep=region_log_probability(encoder) if keep_region else None,
        )
    arrays: dict[str, np.ndarray] = {}
    meta: dict[str, Any] = {
        "samples": n_samples,
        "select_seeds": select_seeds,
        "seed": seed,
        "noise_mode": noise_mode,
    }
    if any(d.meta.get("kept_from") for d in named):
        meta["named_kept_from"] = sorted({str(d.meta.get("kept_from")) for d in named})
    if encoder is not None:
        basis = compute_text_basis(renderer, encoder, sefa, conditions, progress)
        arrays.update(basis.to_arrays())
        meta["clip_hash"] = str(getattr(encoder, "model_hash", ""))
        meta["clip_name"] = str(getattr(encoder, "name", ""))
    for r, m in region_means(
        G, encoder, 2048, image_embeddings, prior=renderer_prior(renderer)
    ).items():
        arrays[f"region_mean/{r}"] = m
    meta["seconds"] = round(time.perf_counter() - t0, 1)
    dirs = [d for ds in sefa.values() for d in ds] + named
    return DirectionFile(info.model_hash, dirs, arrays, meta)


def fit_model_dir(
    model_dir: str | Path,
    encoder: Any | None,
    n_samples: int = 400,
    select_seeds: int = 6,
    device: str = "cpu",
    progress: Progress | None = None,
    db_dir: str | Path | None = None,
    noise_mode: str = "const",
    named_from: str | Path | None = None,
    gradient_samples: int = 128,
    keep_region: bool = True,
) -> DirectionFile:
    """fit_all for a saved generator, written to its folder (`db_dir`: a database whose tiles
    help locate each region's mean w; `named_from`: keep that model's named sliders)."""
    from engine.stylegan.render import Renderer

    renderer = Renderer(Path(model_dir), device=device)
    emb = database_embeddings(db_dir, encoder) if db_dir is not None and encoder else None
    named = kept_named_sliders(named_from, model_dir) if named_from is not None else None
    data = fit_all(
        renderer,
        encoder,
        n_samples,
        select_seeds,
        progress=progress,
        image_embeddings=emb,
        noise_mode=noise_mode,
        named=named,
        gradient_samples=gradient_samples,
        keep_region=keep_region,
    )
    save_directions(model_dir, data)
    return data


def refit_named(
    model_dir: str | Path,
    encoder: Any | None,
    names: tuple[str, ...],
    n_samples: int = 400,
    select_seeds: int = 6,
    device: str = "cpu",
    progress: Progress | None = None,
    noise_mode: str = "const",
    gradient_samples: int = 128,
    keep_region: bool = True,
) -> DirectionFile:
    """Fit the named sliders `names` of a generator anew, in place; everything else in its
    directions file (SeFa, text basis, region means, the other sliders) stays as it is.

    Why: region means are taken through the condition prior, whose faithful-tile mask is
    made after `directions fit` (the ship recipe), so a whole refit of a finished model moves
    them (session 13: by up to 17%) and with them every figure; refitting one slider should
    change that slider only."""
    from engine.directions.attributes import ATTRIBUTES
    from engine.stylegan.render import Renderer

    bad = [n for n in names if n not in ATTRIBUTES]
    if bad or not names:
        raise UserInputError(
            f"unknown slider {', '.join(bad) or '(none given)'}; expected some of "
            f"{', '.join(ATTRIBUTES)}",
            field="--sliders",
        )
    model_dir = Path(model_dir)
    renderer = Renderer(model_dir, device=device)
    data = load_directions(model_dir, renderer.info.model_hash or None)
    if data is None:
        raise UserInputError(
            "has no directions of its own to refit; run `wenyang directions fit` first",
            path=str(model_dir),
        )
    conditions = region_conditions(encoder, renderer.info.c_dim)
    fresh = fit_named_directions(
        renderer,
        conditions,
        n_samples,
        select_seeds,
        progress=progress,
        noise_mode=noise_mode,
        attributes=tuple(names),
        gradient_samples=gradient_samples,
        keep=region_log_probability(encoder) if keep_region else None,
    )
    by_name = {d.name: d for d in fresh}
    old = [d.name for d in data.directions if d.kind == "named"]
    data.directions = [
        by_name.pop(d.name) if d.kind == "named" and d.name in by_name else d
        for d in data.directions
    ] + list(by_name.values())  # sliders the file did not have yet go last
    data.meta = {
        **data.meta,
        "refit": {
            "sliders": list(names),
            "samples": n_samples,
            "select_seeds": select_seeds,
            "noise_mode": noise_mode,
            "gradient_samples": gradient_samples,
            "keep_region": keep_region,
            "replaced": [n for n in names if n in old],
        },
    }
    save_directions(model_dir, data)
    return data


def kept_named_sliders(source_dir: str | Path, model_dir: str | Path) -> list[Direction]:
    """The named sliders of the generator in `source_dir`, for the one in `model_dir`.

    Why: a slider is a direction in W as the synthesis network reads it. A fine-tune that
    changes only the mapping network (`train gan-align`) moves where the designs sit in W
    but not what a step along a direction does, and session 11 measured the old sliders
    moving their attributes better (symmetry 0.89) than ones refitted on the narrower
    spread of the new designs (0.42). Refused unless both synthesis networks are identical.
    """
    source_dir, model_dir = Path(source_dir), Path(model_dir)
    if not same_synthesis(source_dir, model_dir):
        raise UserInputError(
            "its synthesis network differs from the fitted model's, so its sliders would "
            "not mean the same there; fit new ones instead",
            path=str(source_dir),
            field="--named-from",
        )
    data = load_directions(source_dir)  # its hash names the other weights, by design
    named = [d for d in data.directions if d.kind == "named"] if data else []
    if data is None or not named:
        raise UserInputError("has no named sliders", path=str(source_dir), field="--named-from")
    for d in named:
        d.meta = {**d.meta, "kept_from": data.model_hash}
    return named


def same_synthesis(a: str | Path, b: str | Path) -> bool:
    """True when two generator folders hold the same synthesis weights (float16 copies of
    float32 weights compare equal after rounding both to float16)."""
    from safetensors.numpy import load_file

    from engine.stylegan.checkpoint import WEIGHTS_FILE

    ta, tb = load_file(str(Path(a) / WEIGHTS_FILE)), load_file(str(Path(b) / WEIGHTS_FILE))
    ka = sorted(k for k in ta if k.startswith("synthesis."))
    kb = sorted(k for k in tb if k.startswith("synthesis."))
    if not ka or ka != kb:
        return False
    return all(
        ta[k].shape == tb[k].shape
        and np.array_equal(ta[k].astype(np.float16), tb[k].astype(np.float16))
        for k in ka
    )


def database_embeddings(
    db_dir: str | Path, encoder: Any, per_region: int = 64
) -> dict[str, np.ndarray]:
    """CLIP image embeddings of up to `per_region` tiles of each region of a database."""
    from engine.database import load_image, read_manifest

    recs = read_manifest(db_dir)
    out = {}
    for r in sorted({x["region"] for x in recs}):
        tiles = [load_image(db_dir, x) for x in recs if x["region"] == r][:per_region]
        out[r] = encoder.encode_image(np.stack(tiles)).detach().cpu().numpy()
    return out
