"""Write an A/B batch folder (format agreed with the tuner; see the brief / DESIGN §5):

DIR/variants/<variant_id>.png, manifest.csv (variant_id, file, region, descriptors, seed,
truncation, model_id, model_hash, policy_id, created), latents.safetensors (ws per variant),
embeddings.safetensors (optional CLIP image embeddings), batch.json, results_template.csv.

The whole folder appears at once (engine.atomic.atomic_dir): a failed export leaves nothing.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import io
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from engine.atomic import atomic_dir
from engine.errors import UserInputError

FORMAT = "wenyang-abtest"
VERSION = 1
MANIFEST_COLUMNS = (
    "variant_id",
    "file",
    "region",
    "descriptors",
    "seed",
    "truncation",
    "model_id",
    "model_hash",
    "policy_id",
    "created",
)
RESULTS_COLUMNS = ("variant_id", "impressions", "clicks", "shares", "dwell_seconds_total")
MAX_VARIANTS = 10_000


class RendererLike(Protocol):
    """What a batch needs of engine.stylegan.render.Renderer (tests pass a tiny one)."""

    @property
    def info(self) -> Any: ...

    def render_batch(self, reqs: list[Any]) -> list[Any]: ...


@dataclasses.dataclass(frozen=True)
class Variant:
    variant_id: str
    seed: int
    image: np.ndarray  # [H, W, 3] uint8
    ws: np.ndarray  # [num_ws, w_dim] float32


@dataclasses.dataclass(frozen=True)
class BatchSpec:
    region: str
    text: str = ""
    n: int = 8
    seed: int = 0
    truncation: float = 0.7
    policy_id: str = ""
    truncate_to: str = "region"  # truncation centre: the region's mean w, or "global"
    use_prior: bool = True  # the model's text -> condition prior (False: a design made before it)
    noise_mode: str = "seeded"  # each variant's noise from its seed ("const": older designs)
    prior_by_region: bool = True  # the prior draws among the region's tiles (older: False)
    prior_faithful: bool = True  # ... and among those drawn faithfully (older: False)

    def __post_init__(self) -> None:
        if not 1 <= self.n <= MAX_VARIANTS:
            raise UserInputError(f"expected 1 to {MAX_VARIANTS} variants, got {self.n}", field="-n")
        if not 0.0 <= self.truncation <= 2.0:
            raise UserInputError(
                f"expected a truncation from 0 to 2, got {self.truncation}", field="--truncation"
            )


def variant_ids(spec: BatchSpec, model_hash: str, c: np.ndarray | None) -> list[str]:
    """Stable, batch-unique ids: the same inputs give the same ids, other inputs other ids,
    so results from several batches join to the right variants."""
    h = hashlib.sha256(
        json.dumps(
            [spec.region, spec.text, spec.seed, spec.truncation, model_hash, spec.policy_id]
            + ([spec.truncate_to] if spec.truncate_to != "region" else [])
            + (["no-prior"] if not spec.use_prior else [])
            + ([f"noise-{spec.noise_mode}"] if spec.noise_mode != "const" else [])
            + (["region-prior"] if spec.prior_by_region and spec.use_prior else [])
            + (["faithful-prior"] if spec.prior_faithful and spec.use_prior else [])
        ).encode()
    )
    if c is not None:
        h.update(np.asarray(c, np.float32).tobytes())
    tag = h.hexdigest()[:6]
    return [f"{spec.region}-{tag}-{i:04d}" for i in range(spec.n)]


def render_variants(
    renderer: RendererLike,
    spec: BatchSpec,
    c: np.ndarray | None,
    policy_offset: np.ndarray | None = None,
    chunk: int = 8,
    progress: Callable[[float], None] | None = None,
) -> list[Variant]:
    """Render seeds spec.seed … spec.seed+n-1; a tuned policy enters as its w offset, and the
    ws stored per variant are the ones actually rendered (offset included)."""
    from engine.stylegan.render import RenderRequest

    ids = variant_ids(spec, str(renderer.info.model_hash), c)
    centre_of = getattr(renderer, "truncation_centre", None)
    centre = centre_of(spec.region, spec.truncate_to) if centre_of is not None else None
    out: list[Variant] = []
    for start in range(0, spec.n, chunk):
        reqs = [
            RenderRequest(
                c=c,
                seed=spec.seed + i,
                truncation=spec.truncation,
                policy_offset=policy_offset,
                request_id=i,
                w_avg=centre,
                use_prior=spec.use_prior,
                noise_mode=spec.noise_mode,
                region=spec.region if spec.prior_by_region else None,
                prior_faithful=spec.prior_faithful,
            )
            for i in range(start, min(spec.n, start + chunk))
        ]
        for req, res in zip(reqs, renderer.render_batch(reqs), strict=True):
            out.append(
                Variant(
                    ids[req.request_id],
                    req.seed,
                    np.asarray(res.image),
                    np.asarray(res.ws, np.float32),
                )
            )
        if progress is not None:
            progress(len(out) / spec.n)
    return out


def _png_bytes(img: np.ndarray, text: dict[str, str]) -> bytes:
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    for k, v in text.items():
        info.add_itxt(k, v)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG", pnginfo=info)
    return buf.getvalue()


def write_batch(
    out_dir: str | os.PathLike[str],
    spec: BatchSpec,
    variants: Sequence[Variant],
    *,
    model_id: str,
    model_hash: str,
    c: np.ndarray | None,
    embeddings: np.ndarray | None = None,
) -> Path:
    """Write the batch folder atomically; returns its path."""
    from safetensors.numpy import save_file

    from engine.export.provenance import Provenance

    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UserInputError(
            "the output folder exists and is not empty; choose a new folder",
            path=str(out),
            field="--out",
        )
    created = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    try:
        with atomic_dir(out) as tmp:
            (tmp / "variants").mkdir()
            rows = []
            for v in variants:
                rel = f"variants/{v.variant_id}.png"
                prov = Provenance(
                    region=spec.region,
                    descriptors=spec.text,
                    seed=str(v.seed),
                    model_id=model_id,
                    model_hash=model_hash,
                    policy_id=spec.policy_id,
                    created=created,
                )
                text = prov.png_text() | {"wenyang:variant_id": v.variant_id}
                (tmp / rel).write_bytes(_png_bytes(v.image, text))
                rows.append(
                    {
                        "variant_id": v.variant_id,
                        "file": rel,
                        "region": spec.region,
                        "descriptors": spec.text,
                        "seed": v.seed,
                        "truncation": spec.truncation,
                        "model_id": model_id,
                        "model_hash": model_hash,
                        "policy_id": spec.policy_id,
                        "created": created,
                    }
                )
            with open(tmp / "manifest.csv", "w", encoding="utf-8", newline="") as fh:
                w = csv.DictWriter(fh, fieldnames=MANIFEST_COLUMNS)
                w.writeheader()
                w.writerows(rows)
            save_file(
                {v.variant_id: np.ascontiguousarray(v.ws, np.float32) for v in variants},
                str(tmp / "latents.safetensors"),
                metadata={"format": FORMAT},
            )
            if embeddings is not None:
                save_file(
                    {
                        v.variant_id: np.ascontiguousarray(e, np.float32)
                        for v, e in zip(variants, embeddings, strict=True)
                    },
                    str(tmp / "embeddings.safetensors"),
                    metadata={"format": FORMAT},
                )
            batch = {
                "format": FORMAT,
                "version": VERSION,
                "region": spec.region,
                "text": spec.text,
                "c": None if c is None else [float(x) for x in np.asarray(c).reshape(-1)],
                "model_id": model_id,
                "model_hash": model_hash,
                "n": len(variants),
                "seed": spec.seed,
                "truncation": spec.truncation,
                "truncate_to": spec.truncate_to,
                "condition_prior": spec.use_prior,
                "noise_mode": spec.noise_mode,  # "seeded": a variant's noise comes from its seed
                "prior_by_region": spec.prior_by_region,  # the prior drew among its tiles
                "prior_faithful": spec.prior_faithful,  # ... among its faithful ones
                "policy_id": spec.policy_id,
                "created": created,
            }
            (tmp / "batch.json").write_text(
                json.dumps(batch, ensure_ascii=False, indent=2), encoding="utf-8"
            )
            with open(tmp / "results_template.csv", "w", encoding="utf-8", newline="") as fh:
                w2 = csv.writer(fh)
                w2.writerow(RESULTS_COLUMNS)
                for v in variants:
                    w2.writerow([v.variant_id, "", "", "", ""])
    except OSError as exc:
        from engine.export.png_export import explain_os_error

        raise explain_os_error(exc, out) from exc
    return out
