"""Conditions for training: CLIP image embeddings of each tile (LAFITE), or region one-hots.

Language-free training (Zhou et al., LAFITE, 2022): G is conditioned on the CLIP *image*
embedding h of each tile, perturbed as h' = h + xi * |h| * eps / |eps| (eps ~ N(0, I)) and
renormalised, so that at use time a CLIP *text* embedding (which lands near, not on, the image
embeddings) is a condition G has seen. Embeddings are computed once per (database, encoder)
and cached in the user cache folder.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.errors import UserInputError


def manifest_hash(db_dir: Path) -> str:
    h = hashlib.sha256()
    h.update((db_dir / "manifest.jsonl").read_bytes())
    return h.hexdigest()[:16]


def encoder_hash(encoder: Any) -> str:
    """A stable id of the encoder weights (its own hash when it offers one)."""
    for name in ("model_hash", "hash", "weights_hash", "checksum"):
        v = getattr(encoder, name, None)
        if isinstance(v, str) and v:
            return v[:16]
    model = getattr(encoder, "model", encoder)
    h = hashlib.sha256()
    if isinstance(model, torch.nn.Module):
        for k, t in sorted(model.state_dict().items()):
            h.update(k.encode())
            h.update(t.detach().cpu().contiguous().numpy().tobytes())
    else:
        h.update(repr(type(encoder)).encode())
    return h.hexdigest()[:16]


def load_clip_encoder(model_dir: str | None, device: str = "cpu") -> Any:
    """engine.clip.load_encoder, with a clear message when the CLIP package is missing."""
    try:
        from engine.clip import load_encoder
    except ImportError as exc:
        raise UserInputError(
            "CLIP conditioning needs engine.clip (not installed); use --cond none or --cond region",
            field="--cond",
        ) from exc
    return load_encoder(Path(model_dir) if model_dir else None, device=device)


@torch.no_grad()
def embed_tiles(encoder: Any, tiles: Sequence[np.ndarray], chunk: int = 64) -> torch.Tensor:
    """Unit CLIP image embeddings [N, D] (float32, CPU) of uint8 HWC tiles."""
    out = []
    for i in range(0, len(tiles), chunk):
        batch = np.stack(tiles[i : i + chunk])
        e = encoder.encode_image(batch)
        out.append(torch.as_tensor(e).detach().to("cpu", torch.float32))
    emb = torch.cat(out)
    return emb / emb.norm(dim=1, keepdim=True).clamp_min(1e-8)


def clip_conditions(
    db_dir: Path, tiles: Sequence[np.ndarray], encoder: Any, cache_dir: Path | None = None
) -> torch.Tensor:
    """Cached embed_tiles for a database (keyed by manifest hash + encoder hash)."""
    from safetensors.torch import load_file, save_file

    from engine.atomic import atomic_path
    from engine.paths import user_cache_dir

    root = cache_dir or user_cache_dir() / "gan_conditions"
    path = root / f"{manifest_hash(db_dir)}-{encoder_hash(encoder)}.safetensors"
    if path.is_file():
        emb = load_file(str(path))["c"]
        if emb.shape[0] == len(tiles):
            return emb
    emb = embed_tiles(encoder, tiles)
    with atomic_path(path) as tmp:
        save_file({"c": emb.contiguous()}, str(tmp))
    return emb


def region_conditions(records: list[dict[str, Any]]) -> torch.Tensor:
    """One-hot [N, 8] in engine.culture.REGION_IDS order (a debugging condition)."""
    try:
        from engine.culture import REGION_IDS
    except ImportError:
        REGION_IDS = (
            "dunhuang",
            "miao",
            "tibetan",
            "mongolian",
            "jiangnan",
            "lingnan",
            "hakka",
            "xinjiang",
        )
    out = torch.zeros(len(records), len(REGION_IDS))
    for i, rec in enumerate(records):
        region = rec.get("region")
        if region not in REGION_IDS:
            raise UserInputError(f"unknown region {region!r}", field=f"record {i}: region")
        out[i, REGION_IDS.index(region)] = 1
    return out


def perturb(c: torch.Tensor, xi: float) -> torch.Tensor:
    """LAFITE Gaussian perturbation: c + xi*|c|*eps/|eps|, renormalised to unit length."""
    if xi <= 0 or c.shape[1] == 0:
        return c
    eps = torch.randn_like(c)
    eps = eps / eps.norm(dim=1, keepdim=True).clamp_min(1e-8)
    h = c + xi * c.norm(dim=1, keepdim=True) * eps
    return h / h.norm(dim=1, keepdim=True).clamp_min(1e-8)
