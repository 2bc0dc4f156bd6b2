"""What `wenyang export` accepts: a tile image (PNG/JPEG/…; provenance read from its PNG
text chunks when present) or a `.wenyang` project, which is re-rendered with the model."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from engine.errors import UserInputError
from engine.export.provenance import Provenance

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp")


@dataclasses.dataclass
class ExportInput:
    tile: np.ndarray  # [H, W, 3] uint8
    provenance: Provenance
    repeat: str | None = None  # the layout saved with a project, if any


def load_image_tile(path: Path) -> ExportInput:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im.load()
            text = dict(getattr(im, "text", {}) or {})
            rgb = np.asarray(im.convert("RGB"))
    except FileNotFoundError as exc:
        raise UserInputError("file not found", path=str(path), field="--input") from exc
    except (UnidentifiedImageError, OSError) as exc:
        raise UserInputError(
            f"not a readable image ({exc})", path=str(path), field="--input"
        ) from exc
    if min(rgb.shape[:2]) < 4:
        raise UserInputError("the tile must be at least 4×4 pixels", path=str(path))
    return ExportInput(np.ascontiguousarray(rgb), Provenance.from_text(text))


def load_project_tile(path: Path, model_dir: Path | None = None) -> ExportInput:
    """Re-render a saved design with the generator, its sliders, style mix and tuned policy."""
    from engine.project import load_project

    design = load_project(path)
    try:
        from engine.stylegan.render import Renderer, RenderRequest
    except ImportError as exc:
        raise UserInputError(
            "this build has no renderer, so a .wenyang project cannot be "
            "exported; export its tile PNG instead",
            path=str(path),
        ) from exc
    renderer = Renderer(model_dir)
    c = design.condition
    w_avg = renderer.truncation_centre(design.region, design.truncate_to)
    mix_ws = None
    if design.mix_seed is not None:
        mix_ws = renderer.mapping(
            design.mix_seed,
            c,
            design.truncation,
            w_avg=w_avg,
            use_prior=design.condition_prior,
            region=design.prior_region,
            faithful=design.prior_faithful,
        )
    req = RenderRequest(
        c=c,
        seed=design.seed,
        ws=design.ws,
        truncation=design.truncation,
        w_avg=w_avg,
        use_prior=design.condition_prior,
        region=design.prior_region,
        prior_faithful=design.prior_faithful,
        offsets=[(o.vector, o.strength, o.layers) for o in design.offsets],
        mix_ws=mix_ws,
        mix_from_layer=design.mix_from_layer if mix_ws is not None else None,
        noise_mode=design.noise_mode,
        noise_seed=design.noise_seed,
    )
    if design.policy is not None and design.policy.strength > 0:
        from engine.abtest.conditioning import load_policy_offset

        req.policy_offset, _ = load_policy_offset(
            Path(design.policy.path), design.region, c, design.policy.strength
        )
    img = renderer.render(req).image
    info = renderer.info
    prov = Provenance(
        region=design.region,
        descriptors=design.text,
        seed=str(design.seed),
        model_id=info.model_id,
        model_hash=info.model_hash,
        policy_id=design.policy.policy_id if design.policy else "",
    )
    return ExportInput(img, prov, design.repeat)


def load_input(path: str | Path, model_dir: Path | None = None) -> ExportInput:
    p = Path(path)
    if p.suffix.lower() == ".wenyang":
        return load_project_tile(p, model_dir)
    if p.suffix.lower() not in IMAGE_SUFFIXES:
        raise UserInputError(
            f"expected a tile image ({', '.join(IMAGE_SUFFIXES)}) or a .wenyang project",
            path=str(p),
            field="--input",
        )
    return load_image_tile(p)
