"""A numpy stand-in for engine.stylegan.render.Renderer (same API, deterministic pixels).

Used by the workflow tests that are about the GUI, not the network, so they stay fast and run
while the real renderer is still being built; test_studio_real_model.py covers the real
engine with a tiny random generator.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

W_DIM, NUM_WS, RES = 8, 6, 16


@dataclass
class FakeRequest:
    c: np.ndarray | None = None
    seed: int = 0
    ws: np.ndarray | None = None
    truncation: float = 0.7
    offsets: list = field(default_factory=list)
    mix_ws: np.ndarray | None = None
    mix_from_layer: int | None = None
    noise_mode: str = "const"
    request_id: int = 0
    policy_offset: np.ndarray | None = None
    w_avg: np.ndarray | None = None
    use_prior: bool = True
    noise_seed: int | None = None
    region: str | None = None
    prior_faithful: bool = True


@dataclass
class FakeInfo:
    model_id: str = "fake"
    model_hash: str = "0" * 64
    resolution: int = RES
    c_dim: int = 0
    w_dim: int = W_DIM
    num_ws: int = NUM_WS
    layer_ranges: dict = field(
        default_factory=lambda: {"coarse": (0, 2), "middle": (2, 4), "fine": (4, 6)}
    )
    has_prior: bool = False
    prior_regions: bool = False
    prior_faithful: bool = False
    region_means: tuple = ()


@dataclass
class FakeResult:
    image: np.ndarray
    ws: np.ndarray
    ms: float


class FakeRenderer:
    request_class = FakeRequest

    def __init__(self, delay_s: float = 0.0, c_dim: int = 0) -> None:
        self.info = FakeInfo(c_dim=c_dim)
        self.device = "cpu"
        self.notices: list[str] = []
        self.delay_s = delay_s
        self.region_means: dict[str, np.ndarray] = {}  # a test sets them to truncate by region
        rng = np.random.default_rng(123)
        self._proj = rng.standard_normal((W_DIM, RES * RES * 3)).astype(np.float32)
        self.calls = 0

    def mapping(
        self,
        seed: int,
        c: np.ndarray | None,
        truncation: float = 1.0,
        w_avg: np.ndarray | None = None,
        use_prior: bool = True,
        region: str | None = None,
        faithful: bool = True,
    ) -> np.ndarray:
        z = np.random.default_rng(seed).standard_normal(W_DIM).astype(np.float32)
        if c is not None and len(c):
            z = z + np.resize(c, W_DIM)
        avg = np.zeros(W_DIM, np.float32) if w_avg is None else w_avg
        return np.tile(avg + (z - avg) * truncation, (NUM_WS, 1))

    def truncation_centre(self, region: str, truncate_to: str) -> np.ndarray | None:
        return self.region_means.get(region) if truncate_to == "region" else None

    def render(self, req: FakeRequest) -> FakeResult:
        self.calls += 1
        if self.delay_s:
            time.sleep(self.delay_s)
        ws = (
            req.ws.copy()
            if req.ws is not None
            else self.mapping(req.seed, req.c, req.truncation, req.w_avg)
        )
        if req.mix_ws is not None and req.mix_from_layer is not None:  # engine order
            ws[req.mix_from_layer :] = req.mix_ws[req.mix_from_layer :]
        for vec, strength, (a, b) in req.offsets:
            ws[a:b] += np.float32(strength) * vec
        if req.policy_offset is not None:
            ws += req.policy_offset
        feat = ws.mean(axis=0) + 0.37 * ws[-1] + 0.11 * ws[0]
        if req.noise_mode == "seeded":  # the layout: a pattern of its own per noise seed
            ns = req.seed if req.noise_seed is None else req.noise_seed
            feat = feat + 0.3 * np.random.default_rng([7, ns]).standard_normal(W_DIM)
        img = np.tanh(feat @ self._proj).reshape(RES, RES, 3)
        img = ((img + 1) * 127.5).clip(0, 255).astype(np.uint8)
        return FakeResult(img, ws, 0.0)

    def render_batch(self, reqs: list[FakeRequest]) -> list[FakeResult]:
        return [self.render(r) for r in reqs]


class FakeEncoder:
    embed_dim = 4

    def encode_text(self, texts):
        from types import SimpleNamespace

        emb = []
        for t in texts:
            v = np.random.default_rng(abs(hash(t)) % 2**32).standard_normal(4).astype(np.float32)
            emb.append(v / np.linalg.norm(v))
        return SimpleNamespace(embeddings=np.stack(emb), unknown_words=[[] for _ in texts])

    def classify(self, images):
        m = np.asarray(images, np.float32).mean(axis=(1, 2, 3))
        p = np.stack([np.exp(-((m - 30 * k) ** 2) / 400.0) for k in range(8)], axis=1) + 1e-3
        return p / p.sum(axis=1, keepdims=True)


def wait_idle(qtbot: Any, win: Any, timeout: int = 10000) -> None:
    qtbot.waitUntil(lambda: win.state.image is not None and win.render.idle(), timeout=timeout)
