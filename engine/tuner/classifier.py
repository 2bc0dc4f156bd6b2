"""Optional real-model pieces: CLIP image embeddings of the variants, and the cultural-accuracy
fidelity that renders w with the generator and asks the CLIP region classifier.

Both need the shipped (or given) models and are skipped, with a note, when those are missing
or when the batch was made by a different generator than the one that would render.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.errors import UserInputError
from engine.tuner.batch import Batch
from engine.tuner.features import LatentSpace
from engine.tuner.fidelity import ClassifierFidelity


class LatentStore:
    """Full ws [num_ws, w_dim] of logged variants, read on demand from latents.safetensors."""

    def __init__(self, batch: Batch) -> None:
        self.batch = batch
        self.where: dict[str, str] = {}
        from safetensors import safe_open

        for d in batch.dirs:
            path = str(Path(d) / "latents.safetensors")
            with safe_open(path, framework="numpy") as f:
                for k in f.keys():  # noqa: SIM118 (safe_open has no __iter__)
                    self.where[k] = path

    def __call__(self, idx: np.ndarray) -> np.ndarray:
        from safetensors import safe_open

        out = []
        for i in idx:
            vid = self.batch.ids[int(i)]
            with safe_open(self.where[vid], framework="numpy") as f:
                out.append(f.get_tensor(vid).astype(np.float32))
        return np.stack(out)


def clip_embeddings(batch: Batch, clip_dir: str | None = None) -> tuple[np.ndarray | None, str]:
    """CLIP image embeddings of the variants' PNGs (variants/<id>.png), or (None, why not)."""
    from PIL import Image

    files = [Path(d) / "variants" for d in batch.dirs]
    paths = []
    for vid in batch.ids:
        hit = next((f / f"{vid}.png" for f in files if (f / f"{vid}.png").is_file()), None)
        if hit is None:
            return None, f"variant image {vid}.png is missing: no CLIP image embeddings"
        paths.append(hit)
    try:
        from engine.clip import load_encoder

        enc = load_encoder(clip_dir)
    except (UserInputError, ImportError, OSError) as exc:
        return None, f"CLIP encoder unavailable ({exc}): no CLIP image embeddings"
    out = []
    for s in range(0, len(paths), 64):
        imgs = np.stack([np.asarray(Image.open(p).convert("RGB")) for p in paths[s : s + 64]])
        out.append(enc.encode_image(imgs).cpu().numpy())
    return np.concatenate(out).astype(np.float32), "CLIP image embeddings computed with engine.clip"


def classifier_fidelity(
    batch: Batch,
    space: LatentSpace,
    z_all: np.ndarray,
    model_dir: str | None = None,
    clip_dir: str | None = None,
) -> tuple[ClassifierFidelity | None, str]:
    """The region classifier on rendered images, or (None, why not)."""
    try:
        from engine.clip import load_encoder
        from engine.stylegan.render import Renderer, RenderRequest

        renderer = Renderer(model_dir, device="auto")
        enc = load_encoder(clip_dir, device="cpu")
    except (UserInputError, ImportError, OSError) as exc:
        why = " ".join(str(exc).split())[:300]
        return None, f"renderer or CLIP encoder unavailable ({why})"
    mh = renderer.info.model_hash
    if batch.model_hashes and mh not in batch.model_hashes:
        return None, (
            f"the batch was made by generator {batch.model_hashes[0][:12]}, the "
            f"renderer has {mh[:12]}: cultural accuracy not measured on images"
        )
    if (renderer.info.num_ws, renderer.info.w_dim) != (batch.num_ws, batch.w_dim):
        return None, "the renderer's latent shape differs from the batch's"

    def render(ws: np.ndarray, base_idx: np.ndarray) -> np.ndarray:
        """Each w with the noise its logged variant was shown with (seeded: its seed)."""
        reqs = []
        for w, i in zip(ws, base_idx, strict=True):
            mode, seed = batch.noise[int(i)] if batch.noise else ("const", None)
            reqs.append(RenderRequest(ws=w, noise_mode=mode, noise_seed=seed))
        res = renderer.render_batch(reqs)
        return np.stack([r.image for r in res])

    def classify(images: np.ndarray) -> np.ndarray:
        return enc.classify(images).cpu().numpy()

    fid = ClassifierFidelity(
        render=render,
        classify=classify,
        ws_base=LatentStore(batch),
        z_base=z_all,
        to_w_offset=space.offset_to_w,
    )
    return fid, "cultural accuracy measured by the CLIP region classifier on rendered images"
