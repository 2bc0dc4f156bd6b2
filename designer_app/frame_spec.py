"""What one render needs, as plain data the GUI builds and the engine thread consumes.

Built from an `engine.project.Design` on the GUI thread (cheap: no torch); the engine thread
turns it into an `engine.stylegan.render.RenderRequest` — the same request `wenyang export`
builds from a saved project, so the studio and the CLI give the same pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.project import Design


@dataclass
class FrameSpec:
    request_id: int
    seed: int
    truncation: float
    condition: np.ndarray | None = None
    ws: np.ndarray | None = None
    offsets: list[tuple[np.ndarray, float, tuple[int, int]]] = field(default_factory=list)
    mix_seed: int | None = None
    mix_from_layer: int | None = None
    noise_mode: str = "const"
    noise_seed: int | None = None  # seeded noise's seed (None: `seed`)
    policy_offset: np.ndarray | None = None  # the tuned policy's w offset at its strength
    purpose: str = "frame"  # "frame" | "grid"
    region: str = ""  # with truncate_to "region": truncate toward this region's mean w
    truncate_to: str = "global"
    use_prior: bool = True  # the design's condition_prior
    prior_by_region: bool = True  # the prior draws among `region`'s tiles (the design's)
    prior_faithful: bool = True  # ... and among those it marks faithfully drawn

    @property
    def prior_region(self) -> str | None:
        """`RenderRequest.region`: where the condition prior draws its neighbour from."""
        return self.region if self.prior_by_region and self.region else None


def spec_from_design(
    d: Design, request_id: int, policy_offset: np.ndarray | None = None
) -> FrameSpec:
    return FrameSpec(
        request_id=request_id,
        seed=int(d.seed),
        truncation=float(d.truncation),
        condition=d.condition,
        ws=d.ws,
        offsets=[(o.vector, float(o.strength), o.layers) for o in d.offsets],
        mix_seed=d.mix_seed,
        mix_from_layer=d.mix_from_layer if d.mix_seed is not None else None,
        noise_mode=d.noise_mode,
        noise_seed=d.noise_seed,
        policy_offset=policy_offset,
        region=d.region,
        truncate_to=d.truncate_to,
        use_prior=d.condition_prior,
        prior_by_region=d.prior_by_region,
        prior_faithful=d.prior_faithful,
    )


def first_changed_row(old: FrameSpec | None, new: FrameSpec) -> int | None:
    """The first w row that `new` renders differently from `old` (0 = all of them; None =
    nothing changed). Seed, truncation, words, a latent, mix and policy move every row; a
    slider offset moves only its layer range (the renderer reuses everything below it)."""
    if old is None:
        return 0

    def same(a: np.ndarray | None, b: np.ndarray | None) -> bool:
        if a is None or b is None:
            return a is b
        return a.shape == b.shape and bool(np.array_equal(a, b))

    if (
        old.seed != new.seed
        or old.truncation != new.truncation
        or (old.region, old.truncate_to, old.use_prior, old.prior_by_region, old.prior_faithful)
        != (new.region, new.truncate_to, new.use_prior, new.prior_by_region, new.prior_faithful)
        or (old.noise_mode, old.noise_seed) != (new.noise_mode, new.noise_seed)
        or old.mix_seed != new.mix_seed
        or old.mix_from_layer != new.mix_from_layer
        or not same(old.condition, new.condition)
        or not same(old.ws, new.ws)
        or not same(old.policy_offset, new.policy_offset)
    ):
        return 0
    a = {(layers, float(s), vec.tobytes()) for vec, s, layers in old.offsets}
    b = {(layers, float(s), vec.tobytes()) for vec, s, layers in new.offsets}
    moved = a ^ b
    return min((layers[0] for layers, _, _ in moved), default=None)


def build_request(renderer: Any, spec: FrameSpec, mix_cache: dict[Any, Any]) -> Any:
    """The renderer's request for `spec` (torch side: the engine thread or the first-frame
    process). A style-mix donor's latent is kept in `mix_cache` between frames."""
    RenderRequest = getattr(renderer, "request_class", None)
    if RenderRequest is None:
        from engine.stylegan.render import RenderRequest  # never on the GUI thread

    centre_of = getattr(renderer, "truncation_centre", None)
    w_avg = centre_of(spec.region, spec.truncate_to) if centre_of is not None else None
    mix_ws = None
    if spec.mix_seed is not None:
        c = spec.condition
        key = (
            spec.mix_seed,
            None if c is None else c.tobytes(),
            spec.truncation,
            None if w_avg is None else w_avg.tobytes(),
            spec.use_prior,
            spec.prior_region,
            spec.prior_faithful,
        )
        mix_ws = mix_cache.get(key)
        if mix_ws is None:
            mix_ws = renderer.mapping(
                spec.mix_seed,
                c,
                spec.truncation,
                w_avg=w_avg,
                use_prior=spec.use_prior,
                region=spec.prior_region,
                faithful=spec.prior_faithful,
            )
            if len(mix_cache) > 32:
                mix_cache.clear()
            mix_cache[key] = mix_ws
    return RenderRequest(
        c=spec.condition,
        seed=spec.seed,
        ws=spec.ws,
        truncation=spec.truncation,
        offsets=list(spec.offsets),
        policy_offset=spec.policy_offset,
        mix_ws=mix_ws,
        mix_from_layer=spec.mix_from_layer if mix_ws is not None else None,
        noise_mode=spec.noise_mode,
        noise_seed=spec.noise_seed,
        request_id=spec.request_id,
        w_avg=w_avg,
        use_prior=spec.use_prior,
        region=spec.prior_region,
        prior_faithful=spec.prior_faithful,
    )
