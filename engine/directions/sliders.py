"""`Sliders`: every slider of a loaded generator in one place (the GUI's and CLI's entry).

SeFa directions are computed at load (well under a second); named directions, the text
basis and region means come from the model folder's directions files when shipped, else
are computed on first use and cached in the user cache, keyed by model and CLIP hashes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from engine.directions.base import Direction, Offset
from engine.directions.conditions import region_conditions, stack_conditions
from engine.directions.latents import model_key, sample_w
from engine.directions.region_mean import region_means, renderer_prior
from engine.directions.sefa import sefa_directions
from engine.directions.store import DirectionFile, load_directions
from engine.directions.text import TextBasis, build_text_basis, text_directions

Progress = Callable[[str, int, int], None]
TEXT_BASIS_PER_RANGE = 8
TEXT_BASIS_IMAGES = 4


class Sliders:
    """Slider directions for `renderer`'s generator (and `encoder`'s text space, if any)."""

    def __init__(
        self, renderer: Any, encoder: Any | None = None, model_dir: str | Path | None = None
    ) -> None:
        self.renderer = renderer
        self.encoder = encoder
        self._lock = threading.Lock()
        info = renderer.info
        G = renderer.G
        self.conditions = region_conditions(encoder, info.c_dim)
        self.ws_sample = sample_w(G, 1024, stack_conditions(self.conditions), seed=1)
        self.sefa: dict[str, list[Direction]] = sefa_directions(
            G, info.layer_ranges, k=8, ws_sample=self.ws_sample, cache_key=model_key(G)
        )
        if model_dir is None:  # the shipped model's folder; its files must name these weights
            from engine.stylegan.render import DEFAULT_MODEL_DIR

            model_dir = DEFAULT_MODEL_DIR if info.model_hash else None
        shipped = load_directions(model_dir, info.model_hash or None) if model_dir else None
        self.shipped: DirectionFile | None = shipped
        self.named: dict[str, Direction] = {
            d.name: d for d in (shipped.directions if shipped else []) if d.kind == "named"
        }
        arrays = shipped.arrays if shipped else {}
        self._text_basis = TextBasis.from_arrays(arrays) if self._basis_fits(arrays) else None
        self._means: dict[str, np.ndarray] = {
            k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith("region_mean/")
        }

    def _basis_fits(self, arrays: dict[str, np.ndarray]) -> bool:
        """A shipped text basis is usable only with the CLIP model it was computed with."""
        if self.encoder is None or "text_basis/delta_i" not in arrays:
            return False
        shipped_clip = (self.shipped.meta.get("clip_hash") if self.shipped else None) or ""
        return bool(shipped_clip) and shipped_clip == str(getattr(self.encoder, "model_hash", ""))

    # ------------------------------------------------------------------ text
    def text_basis(self, progress: Progress | None = None) -> TextBasis:
        """The StyleCLIP relevance table (computed once per model + CLIP, then cached)."""
        if self.encoder is None:
            from engine.errors import UserInputError

            raise UserInputError("text directions need a CLIP model", field="--clip")
        with self._lock:
            if self._text_basis is None:
                self._text_basis = self._cached_basis(progress)
            return self._text_basis

    def _cached_basis(self, progress: Progress | None) -> TextBasis:
        from safetensors.numpy import load_file, save_file

        from engine.atomic import atomic_path
        from engine.paths import user_cache_dir

        clip = str(getattr(self.encoder, "model_hash", "") or "noclip")[:16]
        path = (
            user_cache_dir()
            / "directions"
            / f"text-{model_key(self.renderer.G)}-{clip}.safetensors"
        )
        if path.is_file() and not model_key(self.renderer.G).startswith("mem-"):
            basis = TextBasis.from_arrays(load_file(str(path)))
            if basis is not None:
                return basis
        basis = compute_text_basis(
            self.renderer, self.encoder, self.sefa, self.conditions, progress
        )
        if not model_key(self.renderer.G).startswith("mem-"):
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(path) as tmp:
                save_file(
                    {k: np.ascontiguousarray(v) for k, v in basis.to_arrays().items()}, str(tmp)
                )
        return basis

    def text(
        self, text: str, beta: float = 0.1, method: str = "global", c: np.ndarray | None = None
    ) -> list[Direction]:
        """Directions for "more X" / "less X".

        method "global": StyleCLIP global directions (one Direction per layer range);
        "condition": through the generator's CLIP condition `c` (CLIP-conditioned models)."""
        if method == "condition":
            from engine.directions.text import condition_text_direction
            from engine.errors import UserInputError

            if self.encoder is None or c is None or self.renderer.info.c_dim == 0:
                raise UserInputError(
                    "condition text directions need a CLIP-conditioned model, a CLIP model "
                    "and the current condition",
                    field="method",
                )
            return [condition_text_direction(self.renderer.G, self.encoder, c, text)]
        return text_directions(self.text_basis(), self.encoder, text, beta=beta)

    def text_offsets(
        self, text: str, strength: float = 1.0, method: str = "global", c: np.ndarray | None = None
    ) -> list[Offset]:
        """`RenderRequest.offsets` entries for a text edit at `strength` steps."""
        return [d.offset(strength) for d in self.text(text, method=method, c=c)]

    # ------------------------------------------------------------------ truncation
    def region_mean(self, region_id: str) -> np.ndarray:
        """The region's mean w (for `Renderer.mapping(..., w_avg=...)`)."""
        with self._lock:
            if region_id not in self._means:
                self._means.update(
                    region_means(
                        self.renderer.G,
                        self.encoder,
                        n=2048,
                        prior=renderer_prior(self.renderer),
                    )
                )
            return self._means[region_id]


def compute_text_basis(
    renderer: Any,
    encoder: Any,
    sefa: dict[str, list[Direction]],
    conditions: dict[str, np.ndarray | None],
    progress: Progress | None = None,
    per_range: int = TEXT_BASIS_PER_RANGE,
    n_images: int = TEXT_BASIS_IMAGES,
) -> TextBasis:
    """Text basis from the top SeFa directions of every range over a few region latents."""
    basis = [d for dirs in sefa.values() for d in dirs[:per_range]]
    regions = list(conditions)
    picks = [regions[(i * 3) % len(regions)] for i in range(n_images)]
    base = [
        renderer.mapping(30_000_001 + i, conditions[r], 0.7, region=r) for i, r in enumerate(picks)
    ]
    return build_text_basis(renderer, encoder, basis, base, progress=progress)
