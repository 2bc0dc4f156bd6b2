"""`CulturalEncoder`: the studio's, the GAN's and the tuner's view of the CLIP model.

Text: descriptors in English, Chinese or both → unit vectors plus the words not understood
(cached, designers retype the same descriptors). Images: uint8 tiles or generator output in
[-1, 1] → unit vectors, differentiable for GAN losses. `classify` gives region probabilities
for the live cultural-fidelity meter (linear probe when shipped, else zero-shot prompts).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from engine.clip.checkpoint import file_hash, load_model_dir
from engine.clip.preprocess import to_unit_range
from engine.clip.probe import load_probe
from engine.clip.text import prepare_text
from engine.clip.towers import (
    encode_text_tokens,
    image_size,
    logit_scale,
    model_input,
    visual_feature_maps,
    visual_forward,
)
from engine.clip.zeroshot import zero_shot_weights
from engine.errors import UserInputError

ImageInput = np.ndarray | torch.Tensor | Sequence[np.ndarray]


@dataclass
class TextEncoding:
    """Unit text embeddings [N, D] and, per text, the words the lexicon did not understand."""

    embeddings: torch.Tensor
    unknown_words: list[list[str]]
    tokenizer_texts: list[str]


class CulturalEncoder:
    """A loaded CLIP model with the project's text mapping, classifier and local regions."""

    def __init__(
        self,
        model: Any,
        name: str,
        model_dir: Path,
        weights: Path,
        device: str = "cpu",
        cache_size: int = 1024,
    ) -> None:
        import open_clip

        from engine.culture import REGION_IDS

        self.model = model.float().eval().requires_grad_(False).to(device)
        self.name = name
        self.model_dir = model_dir
        self.device = device
        self.model_hash = file_hash(weights)
        self.regions: tuple[str, ...] = tuple(REGION_IDS)
        self.image_size = image_size(self.model)
        self._tokenizer = open_clip.get_tokenizer(name)
        self._cache: OrderedDict[str, tuple[torch.Tensor, list[str], str]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._zs: torch.Tensor | None = None
        probe = load_probe(model_dir, self.regions, self.model_hash)
        self.probe = None if probe is None else (probe[0].to(device), probe[1].to(device))
        self.logit_scale = logit_scale(self.model)
        self.embed_dim = int(self.encode_text(["pattern"]).embeddings.shape[1])

    # ---- text -----------------------------------------------------------------------------
    @torch.no_grad()
    def encode_text(self, texts: Sequence[str]) -> TextEncoding:
        """Unit embeddings of descriptors; Chinese / mixed go through the culture lexicon."""
        if isinstance(texts, str):
            texts = [texts]
        results: list[tuple[torch.Tensor, list[str], str] | None] = []
        missing: dict[str, list[int]] = {}
        with self._lock:
            for i, t in enumerate(texts):
                hit = self._cache.get(t)
                if hit is not None:
                    self._cache.move_to_end(t)
                else:
                    missing.setdefault(t, []).append(i)
                results.append(hit)
        if missing:
            prepared = {t: prepare_text(t) for t in missing}
            toks = self._tokenizer([prepared[t].text for t in missing]).to(self.device)
            emb = encode_text_tokens(self.model, toks)
            with self._lock:
                for row, t in enumerate(missing):
                    entry = (emb[row], list(prepared[t].unknown), prepared[t].text)
                    self._cache[t] = entry
                    for i in missing[t]:
                        results[i] = entry
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        done = [r for r in results if r is not None]
        emb_all = (
            torch.stack([r[0] for r in done])
            if done
            else torch.zeros(0, getattr(self, "embed_dim", 0))
        )
        return TextEncoding(emb_all, [list(r[1]) for r in done], [r[2] for r in done])

    # ---- images ---------------------------------------------------------------------------
    def _prep(self, images: ImageInput) -> torch.Tensor:
        return model_input(self.model, to_unit_range(images).to(self.device))

    def encode_image_tensor(self, x: torch.Tensor) -> torch.Tensor:
        """Unit embeddings of NCHW images in [-1, 1], differentiable w.r.t. `x`."""
        if not isinstance(x, torch.Tensor) or not x.is_floating_point():
            raise TypeError("encode_image_tensor expects a float NCHW tensor in [-1, 1]")
        return F.normalize(visual_forward(self.model, self._prep(x)).embedding, dim=-1)

    def image_features(self, x: torch.Tensor) -> torch.Tensor:
        """Pooled image features before the projection (a discriminator head input);
        differentiable w.r.t. `x` in [-1, 1]."""
        return visual_forward(self.model, self._prep(x)).pooled

    def image_feature_maps(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """(pooled features, [feature maps of the tower's stages]) of NCHW images in [-1, 1],
        differentiable w.r.t. `x` (patch discriminator heads)."""
        return visual_feature_maps(self.model, self._prep(x))

    def encode_image(self, images: ImageInput, batch: int = 64) -> torch.Tensor:
        """Unit embeddings [N, D] of NHWC uint8 tiles or NCHW [-1, 1] tensors."""
        if isinstance(images, torch.Tensor) and images.is_floating_point() and images.requires_grad:
            return self.encode_image_tensor(images)
        with torch.no_grad():
            x01 = to_unit_range(images)
            out = [
                F.normalize(
                    visual_forward(
                        self.model, model_input(self.model, x01[i : i + batch].to(self.device))
                    ).embedding,
                    dim=-1,
                )
                for i in range(0, x01.shape[0], batch)
            ]
        return torch.cat(out)

    @torch.no_grad()
    def local_embeddings(self, images: ImageInput) -> torch.Tensor:
        """Unit embeddings of overlapping local regions [N, R, D] (local alignment).

        ViT models: projected patch tokens pooled over a 3×3 grid of half-size windows (one
        forward pass); other models: the same windows cropped and encoded one by one.
        """
        x01 = to_unit_range(images).to(self.device)
        x = model_input(self.model, x01)
        out = visual_forward(self.model, x, want_tokens=True)
        if out.tokens is not None and out.tokens.shape[1] >= 4:
            g = out.tokens.shape[1]
            t = out.tokens.permute(0, 3, 1, 2)
            k = g // 2
            s = max(1, (g - k) // 2)
            pooled = F.avg_pool2d(t, kernel_size=k, stride=s)  # [N, D, r, r]
            return F.normalize(pooled.flatten(2).transpose(1, 2), dim=-1)
        h, w = x01.shape[-2:]
        crops = []
        for top in (0, h // 4, h // 2):
            for left in (0, w // 4, w // 2):
                crops.append(x01[:, :, top : top + h // 2, left : left + w // 2])
        emb = [
            F.normalize(visual_forward(self.model, model_input(self.model, c)).embedding, dim=-1)
            for c in crops
        ]
        return torch.stack(emb, dim=1)

    # ---- regions --------------------------------------------------------------------------
    def zero_shot_weights(self) -> torch.Tensor:
        if self._zs is None:
            self._zs = zero_shot_weights(self.model, self._tokenizer, self.device)
        return self._zs

    @torch.no_grad()
    def zero_shot(self, images: ImageInput) -> torch.Tensor:
        """[N, 8] region probabilities from the prompt ensembles alone."""
        emb = self.encode_image(images)
        return torch.softmax(self.logit_scale * emb @ self.zero_shot_weights().T, dim=1)

    @torch.no_grad()
    def classify(self, images: ImageInput, use_probe: bool = True) -> torch.Tensor:
        """[N, 8] region probabilities in REGION_IDS order (probe if present, else zero-shot)."""
        if not use_probe or self.probe is None:
            return self.zero_shot(images)
        emb = self.encode_image(images)
        w, b = self.probe
        return torch.softmax(emb @ w.T + b, dim=1)


def load_encoder(model_dir: str | Path | None = None, device: str = "cpu") -> CulturalEncoder:
    """Load a CLIP model folder (None = the shipped one in assets/models/clip/)."""
    from engine.paths import MODELS_DIR

    d = Path(model_dir) if model_dir is not None else MODELS_DIR / "clip"
    if model_dir is None and not d.is_dir():
        raise UserInputError(
            "the shipped CLIP model is missing (expected assets/models/clip/ "
            "with <name>.json and <name>.safetensors)",
            path=str(d),
        )
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    name, model, weights = load_model_dir(d, device=device)
    return CulturalEncoder(model, name, d, weights, device=device)
