"""Compute every shipped direction of a generator and write them beside it."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from engine.directions.conditions import region_conditions, stack_conditions
from engine.directions.latents import sample_w
from engine.directions.named import fit_named_directions
from engine.directions.region_mean import region_means, renderer_prior
from engine.directions.sefa import sefa_directions
from engine.directions.sliders import compute_text_basis
from engine.directions.store import DirectionFile, save_directions

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
) -> DirectionFile:
    """SeFa + named + (with CLIP) text basis + region means for one generator.

    `image_embeddings` (region -> CLIP image embeddings of database tiles) join the region
    prompts as conditions when estimating each region's mean w."""
    t0 = time.perf_counter()
    G = renderer.G
    info = renderer.info
    conditions = region_conditions(encoder, info.c_dim)
    ws_sample = sample_w(G, 2048, stack_conditions(conditions), seed=1)
    sefa = sefa_directions(G, info.layer_ranges, k=8, ws_sample=ws_sample)
    named = fit_named_directions(
        renderer, conditions, n_samples, select_seeds, seed, progress, noise_mode=noise_mode
    )
    arrays: dict[str, np.ndarray] = {}
    meta: dict[str, Any] = {
        "samples": n_samples,
        "select_seeds": select_seeds,
        "seed": seed,
        "noise_mode": noise_mode,
    }
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
) -> DirectionFile:
    """fit_all for a saved generator, written to its folder (`db_dir`: a database whose tiles
    help locate each region's mean w)."""
    from engine.stylegan.render import Renderer

    renderer = Renderer(Path(model_dir), device=device)
    emb = database_embeddings(db_dir, encoder) if db_dir is not None and encoder else None
    data = fit_all(
        renderer,
        encoder,
        n_samples,
        select_seeds,
        progress=progress,
        image_embeddings=emb,
        noise_mode=noise_mode,
    )
    save_directions(model_dir, data)
    return data


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
