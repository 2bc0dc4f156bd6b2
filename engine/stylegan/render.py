"""The live renderer shared by the GUI and the CLI: request in, RGB tile out.

Fast on a CPU: inference mode, cached mapping outputs, a channels-last fast path, and
incremental rendering - the synthesis network runs as a chain of steps (conv0, conv1, toRGB
per block) whose outputs are cached, so when only the w rows of layers >= k change (fine or
colour sliders) the work before the first step that reads row k is reused.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from cuda_ops import upfirdn2d as ufd
from engine.errors import UserInputError
from engine.paths import MODELS_DIR
from engine.stylegan import infer, seeded_noise
from engine.stylegan.condition_prior import ConditionPrior, load_prior
from engine.stylegan.latent_edits import final_ws
from engine.stylegan.networks import Generator
from engine.stylegan.region_truncation import load_region_means, truncation_centre

DEFAULT_MODEL_DIR = MODELS_DIR / "generator"


@dataclass(frozen=True)
class ModelInfo:
    """What the GUI needs to know about the loaded generator."""

    model_id: str
    model_hash: str
    resolution: int
    c_dim: int
    w_dim: int
    num_ws: int
    layer_ranges: dict[str, tuple[int, int]]
    tileable: bool = True
    clip_hash: str = ""  # the CLIP model its training conditions came from ("" = unknown)
    has_prior: bool = False  # a text -> condition prior ships beside the weights
    prior_regions: bool = False  # ... and knows each of its tiles' region
    prior_faithful: bool = False  # ... and marks the tiles the generator draws faithfully
    region_means: tuple[str, ...] = ()  # regions with a shipped mean w (region truncation)


@dataclass
class RenderRequest:
    """One frame: condition, latent, edits. `ws` (if given) overrides seed/truncation."""

    c: np.ndarray | None = None  # unit CLIP text embedding [c_dim]
    seed: int = 0
    ws: np.ndarray | None = None  # [num_ws, w_dim]
    truncation: float = 0.7
    # (direction [w_dim], strength, (first_layer, last_layer_exclusive))
    offsets: list[tuple[np.ndarray, float, tuple[int, int]]] = field(default_factory=list)
    mix_ws: np.ndarray | None = None  # style mix source, [num_ws, w_dim] or [w_dim]
    mix_from_layer: int | None = None  # layers >= this take mix_ws
    noise_mode: str = "const"  # "seeded": per-design noise from noise_seed (or seed)
    request_id: int = 0
    policy_offset: np.ndarray | None = None  # tuned policy offset, [num_ws, w_dim] or [w_dim]
    w_avg: np.ndarray | None = None  # truncation centre [w_dim] (None: the global mean)
    use_prior: bool = True  # map c through the model's condition prior (False: raw c)
    noise_seed: int | None = None  # the seed of "seeded" noise (None: `seed`)
    region: str | None = None  # the design's region: the prior's neighbours come from it
    # the prior draws among the tiles it marks faithful (False: designs saved before them)
    prior_faithful: bool = True

    def noise_key(self) -> tuple[str, int | None]:
        """(noise mode, seed of its noise or None): what fixes the synthesis noise."""
        if self.noise_mode != seeded_noise.SEEDED:
            return self.noise_mode, None
        return self.noise_mode, int(self.seed if self.noise_seed is None else self.noise_seed)


@dataclass
class RenderResult:
    image: np.ndarray  # HxWx3 uint8
    ws: np.ndarray  # [num_ws, w_dim] float32, re-renders this exact image
    ms: float
    request_id: int = 0


def layer_ranges(
    block_resolutions: list[int], block_starts: list[int], num_ws: int
) -> dict[str, tuple[int, int]]:
    """Row ranges of w: fine = the two highest octaves (64-128 px at 128 px, 128-256 px at
    256 px: colour and texture), middle = the two below, coarse = the rest (4-8 px at
    128 px). Models under 128 px keep 16 and 64 px as the bounds. Cheap live edits follow:
    a fine-only change re-renders only the top two blocks."""
    start = dict(zip(block_resolutions, block_starts, strict=True))
    top = max(block_resolutions)

    def first_at_or_above(res: int) -> int:
        return next((start[r] for r in block_resolutions if r >= res), num_ws)

    mid0, fine0 = first_at_or_above(max(16, top // 8)), first_at_or_above(max(64, top // 2))
    if fine0 >= num_ws:  # small models: the last block is "fine"
        fine0 = block_starts[-1]
        mid0 = min(mid0, fine0)
    return {"coarse": (0, mid0), "middle": (mid0, fine0), "fine": (fine0, num_ws)}


class _Step:
    """One synthesis step and the w row it reads."""

    def __init__(self, block: Any, kind: str, w_index: int) -> None:
        self.block = block
        self.kind = kind  # "const", "conv0", "conv1", "torgb"
        self.w_index = w_index


class Renderer:
    """Load a generator (safetensors + config.json) and render requests to RGB arrays."""

    def __init__(
        self,
        model_dir: Path | str | None = None,
        device: str = "auto",
        generator: Generator | None = None,
        prior: ConditionPrior | None = None,
    ) -> None:
        from engine.stylegan import checkpoint

        self.notices: list[str] = []
        # text -> condition prior shipped beside the generator (see condition_prior.py);
        # `use_prior = False` feeds conditions to the mapping unchanged (ablations)
        self.prior = prior
        self.use_prior = True
        self.region_means: dict[str, np.ndarray] = {}  # region -> mean w (directions file)
        self._lock = threading.RLock()
        dev = pick_device(device)
        self.model_dir: Path | None = None  # the folder the weights came from (None: in memory)
        if generator is None:
            mdir = Path(model_dir) if model_dir is not None else DEFAULT_MODEL_DIR
            self.model_dir = mdir
            if not (mdir / checkpoint.CONFIG_FILE).is_file():
                raise UserInputError(
                    "no generator model here (expected config.json and "
                    "model.safetensors; train one with `wenyang train gan` "
                    "or import one with `wenyang import-pkl`)",
                    path=str(mdir),
                )
            generator = checkpoint.load_generator(mdir, device="cpu")
            if prior is None:
                self.prior = load_prior(mdir)
            self.region_means = load_region_means(mdir)
        self.G: Generator = generator.eval().requires_grad_(False)
        self._device = "cpu"
        self._to_device(dev)
        syn = self.G.synthesis
        self._steps, starts = self._plan(syn)
        self._info = ModelInfo(
            model_id=str(getattr(self.G, "model_id", "") or "unsaved"),
            model_hash=str(getattr(self.G, "model_hash", "") or ""),
            resolution=int(self.G.img_resolution),
            c_dim=int(self.G.c_dim),
            w_dim=int(self.G.w_dim),
            num_ws=int(self.G.num_ws),
            layer_ranges=layer_ranges(list(syn.block_resolutions), starts, int(self.G.num_ws)),
            tileable=bool(getattr(self.G, "tileable", False)),
            clip_hash=str(getattr(self.G, "clip_hash", "") or ""),
            has_prior=self.prior is not None,
            prior_regions=self.prior is not None and self.prior.regions is not None,
            prior_faithful=self.prior is not None and self.prior.faithful is not None,
            region_means=tuple(sorted(self.region_means)),
        )
        self._map_cache: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._state_cache: list[tuple[np.ndarray, Any, Any]] = []
        self._cache_noise: tuple[str, int | None] | None = None
        # per step: a running estimate of its wall time (ms), for `estimate_ms`
        self._step_ms: list[float | None] = [None] * len(self._steps)
        self._step_seen: list[int] = [0] * len(self._steps)
        self._noise_tables: OrderedDict[int, dict[int, torch.Tensor]] = OrderedDict()

    # ---------------------------------------------------------------- properties
    @property
    def info(self) -> ModelInfo:
        return self._info

    @property
    def device(self) -> str:
        return self._device

    @classmethod
    def from_generator(
        cls, G: Generator, device: str = "cpu", prior: ConditionPrior | None = None
    ) -> Renderer:
        """A renderer around an in-memory generator (training previews, tests, benchmarks)."""
        return cls(generator=G, device=device, prior=prior)

    def truncation_centre(self, region: str, truncate_to: str) -> np.ndarray | None:
        """`RenderRequest.w_avg` for a design: its region's mean w when `truncate_to` is
        "region" and the model ships one, else None (the global mean)."""
        return truncation_centre(region, truncate_to, self.region_means, int(self.G.w_dim))

    # ---------------------------------------------------------------- mapping
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
        """ws [num_ws, w_dim] float32 for a seed and condition (cached). `region`: the
        condition prior picks its neighbour among that region's tiles; `faithful`: among
        those it marks faithfully drawn (condition_prior.py)."""
        c_arr = self._condition(c, use_prior, seed, region, faithful)
        key = (
            int(seed),
            c_arr.tobytes() if c_arr is not None else b"",
            float(truncation),
            w_avg.astype(np.float32).tobytes() if w_avg is not None else b"",
        )
        with self._lock:
            hit = self._map_cache.get(key)
            if hit is not None:
                self._map_cache.move_to_end(key)
                return hit.copy()
            z = np.random.RandomState(int(seed) % (2**32)).randn(1, self.G.z_dim)
            with torch.inference_mode():
                zt = torch.from_numpy(z).to(torch.float32)
                ct = torch.from_numpy(c_arr[None]) if c_arr is not None else None
                mapping = self.G.mapping  # always runs on the CPU: tiny
                ws = (mapping if self._device == "cpu" else mapping.cpu())(zt, ct)
                avg = (
                    torch.from_numpy(w_avg.astype(np.float32))
                    if w_avg is not None
                    else self.G.mapping.w_avg
                )
                if truncation != 1:
                    ws = avg.to(ws).lerp(ws, float(truncation))
            out = ws[0].numpy().astype(np.float32)
            self._map_cache[key] = out
            if len(self._map_cache) > 256:
                self._map_cache.popitem(last=False)
            return out.copy()

    def _condition(
        self,
        c: np.ndarray | None,
        use_prior: bool = True,
        seed: int | None = None,
        region: str | None = None,
        faithful: bool = True,
    ) -> np.ndarray | None:
        if self.G.c_dim == 0:
            return None
        if c is None:
            return np.zeros(self.G.c_dim, dtype=np.float32)
        c = np.asarray(c, dtype=np.float32).reshape(-1)
        if c.shape[0] != self.G.c_dim:
            raise UserInputError(
                f"condition has {c.shape[0]} values, the model expects "
                f"{self.G.c_dim} (a CLIP embedding of that width)",
                field="c",
            )
        if self.prior is not None and self.use_prior and use_prior:
            c = self.prior(c, seed, region, faithful)
        return c

    def request_ws(self, req: RenderRequest) -> np.ndarray:
        """The final ws of a request: base latent, style mix, slider offsets, policy offset."""
        n, d = self.G.num_ws, self.G.w_dim
        if req.ws is not None:
            base = req.ws
        else:
            base = self.mapping(
                req.seed,
                req.c,
                req.truncation,
                w_avg=req.w_avg,
                use_prior=req.use_prior,
                region=req.region,
                faithful=req.prior_faithful,
            )
        return final_ws(base, n, d, req.mix_ws, req.mix_from_layer, req.offsets, req.policy_offset)

    # ---------------------------------------------------------------- rendering
    def render(self, req: RenderRequest) -> RenderResult:
        """Render one request (reusing cached activations where its ws allow)."""
        t0 = time.perf_counter()
        ws = self.request_ws(req)
        with self._lock:
            try:
                img = self._synthesize(ws, req.noise_key())
            except torch.cuda.OutOfMemoryError:
                self._oom_fallback()
                img = self._synthesize(ws, req.noise_key())
        return RenderResult(
            image=img, ws=ws, ms=(time.perf_counter() - t0) * 1000, request_id=req.request_id
        )

    def render_batch(self, reqs: list[RenderRequest]) -> list[RenderResult]:
        """Render several requests (variation grids) in one synthesis pass per noise mode
        (per noise seed for "seeded" noise)."""
        out: list[RenderResult | None] = [None] * len(reqs)
        groups: dict[tuple[str, int | None], list[int]] = {}
        for i, r in enumerate(reqs):
            groups.setdefault(r.noise_key(), []).append(i)
        for mode, idx in groups.items():
            t0 = time.perf_counter()
            wss = [self.request_ws(reqs[i]) for i in idx]
            with self._lock:
                try:
                    imgs = self._synthesize_batch(np.stack(wss), mode)
                except torch.cuda.OutOfMemoryError:
                    self._oom_fallback()
                    imgs = self._synthesize_batch(np.stack(wss), mode)
            ms = (time.perf_counter() - t0) * 1000 / len(idx)
            for j, i in enumerate(idx):
                out[i] = RenderResult(imgs[j], wss[j], ms, reqs[i].request_id)
        return [r for r in out if r is not None]

    def _synthesize_batch(self, ws: np.ndarray, noise: tuple[str, int | None]) -> list[np.ndarray]:
        with torch.inference_mode(), self._noise(noise):
            wt = torch.from_numpy(ws).to(self._device)
            img = self.G.synthesis(wt, noise_mode=noise[0])
        return list(to_uint8(img))

    def _first_stale(self, ws: np.ndarray, noise: tuple[str, int | None]) -> int:
        """Index of the first step whose cached output does not hold for these ws and noise
        (len(steps) when the whole frame is cached)."""
        if noise[0] == "random" or noise != self._cache_noise:
            return 0
        cache, steps = self._state_cache, self._steps
        first = 0
        while first < len(cache) and np.array_equal(cache[first][0], ws[steps[first].w_index]):
            first += 1
        return first

    def estimate_ms(self, ws: np.ndarray, noise: tuple[str, int | None]) -> float | None:
        """What rendering these ws would cost now (ms), from the steps' recent wall times and
        what the cache already holds; None until every step it needs was timed once. Lets
        a caller pick the sharpest frame that fits a time budget (drag previews). On CUDA
        the steps are timed without a synchronize, so the figure is a lower bound."""
        with self._lock:
            first = self._first_stale(ws, noise)
            times = self._step_ms[first:]
        if any(t is None for t in times):
            return None
        return float(sum(t for t in times if t is not None))

    def _synthesize(self, ws: np.ndarray, noise: tuple[str, int | None]) -> np.ndarray:
        """Run the step chain from the first step whose w row (or noise) changed."""
        noise_mode = noise[0]
        steps = self._steps
        cache = self._state_cache
        first = self._first_stale(ws, noise)
        if first == len(steps):
            return to_uint8(cache[-1][2])[0]
        del cache[first:]
        self._cache_noise = noise
        x, img = (None, None) if first == 0 else (cache[first - 1][1], cache[first - 1][2])
        with torch.inference_mode(), self._noise(noise):
            wt = torch.from_numpy(ws).to(self._device)[None]  # [1, num_ws, w_dim]
            for i in range(first, len(steps)):
                step = steps[i]
                t0 = time.perf_counter()
                x, img = self._run_step(step, x, img, wt[:, step.w_index], noise_mode)
                cache.append((ws[step.w_index].copy(), x, img))
                self._note_step_ms(i, (time.perf_counter() - t0) * 1000.0)
        assert img is not None
        return to_uint8(img)[0]

    def _note_step_ms(self, i: int, ms: float) -> None:
        """Running estimate of step i's wall time: the first (packing, warm-up) timing is
        replaced by the next, later ones move it by a third, so load changes show quickly."""
        old = self._step_ms[i]
        self._step_ms[i] = ms if old is None or self._step_seen[i] < 2 else old + (ms - old) / 3
        self._step_seen[i] += 1

    def _run_step(
        self, step: _Step, x: Any, img: Any, w: torch.Tensor, noise_mode: str
    ) -> tuple[Any, Any]:
        b = step.block
        cl = b.prefers_channels_last(torch.device(self._device), False, "auto")
        fmt = torch.channels_last if cl else torch.contiguous_format  # as SynthesisBlock does
        if step.kind == "const":
            x = b.const.to(torch.float32)[None].contiguous(memory_format=fmt)
            x = b.conv1(x, w, noise_mode=noise_mode)
        elif step.kind == "conv0":
            x = b.conv0(x.contiguous(memory_format=fmt), w, noise_mode=noise_mode)
        elif step.kind == "conv1":
            x = b.conv1(x, w, noise_mode=noise_mode)
        else:
            if self._device == "cpu":
                return x, infer.torgb_image(b.torgb, x, w, img, b.resample_filter, b.tileable)
            y = b.torgb(x, w).to(dtype=torch.float32)
            if img is not None:
                img = ufd.upsample2d(img, b.resample_filter, tileable=b.tileable).add_(y)
            else:
                img = y.contiguous()
        return x, img

    def noise(self, noise_mode: str, seed: int | None) -> contextlib.AbstractContextManager[None]:
        """Context in which `G.synthesis(..., noise_mode)` draws the noise a render of this
        seed would (for callers that need gradients, which render_batch does not give)."""
        return self._noise((noise_mode, seed))

    @contextlib.contextmanager
    def _noise(self, noise: tuple[str, int | None]) -> Iterator[None]:
        """For "seeded" noise: every noisy layer's noise, drawn from the seed, in context."""
        mode, seed = noise
        if mode != seeded_noise.SEEDED or seed is None:
            yield
            return
        table = self._noise_tables.get(seed)
        if table is None:
            table = {}
            for name, layer in self.G.synthesis.named_modules():
                if getattr(layer, "use_noise", False) and hasattr(layer, "noise_const"):
                    n = seeded_noise.layer_noise(seed, name, int(layer.resolution))
                    table[id(layer)] = layer.shape_noise(torch.from_numpy(n)).to(self._device)
            self._noise_tables[seed] = table
            if len(self._noise_tables) > 16:
                self._noise_tables.popitem(last=False)
        self._noise_tables.move_to_end(seed)
        with seeded_noise.using(table):
            yield

    @staticmethod
    def _plan(syn: Any) -> tuple[list[_Step], list[int]]:
        """Steps of the skip architecture and the first w row of each block."""
        steps: list[_Step] = []
        starts: list[int] = []
        idx = 0
        for res in syn.block_resolutions:
            b = getattr(syn, f"b{res}")
            if b.architecture == "resnet":
                raise UserInputError(
                    "the live renderer supports skip/orig generators only", field="architecture"
                )
            starts.append(idx)
            if b.in_channels == 0:
                steps.append(_Step(b, "const", idx))
            else:
                steps.append(_Step(b, "conv0", idx))
                steps.append(_Step(b, "conv1", idx + 1))
            if b.num_torgb:
                steps.append(_Step(b, "torgb", idx + b.num_conv))
            idx += b.num_conv
        return steps, starts

    # ---------------------------------------------------------------- devices
    def _to_device(self, dev: str) -> None:
        try:
            self.G.to(dev)
            self._device = dev
        except (torch.cuda.OutOfMemoryError, RuntimeError) as exc:
            if dev == "cpu":
                raise
            self.notices.append(f"could not use {dev} ({exc!s:.120}); rendering on the CPU")
            self.G.to("cpu")
            self._device = "cpu"

    def _oom_fallback(self) -> None:
        self.notices.append("CUDA ran out of memory; rendering continues on the CPU")
        self._state_cache.clear()
        self._noise_tables.clear()
        self._step_ms = [None] * len(self._steps)  # CUDA timings say nothing about the CPU
        self._step_seen = [0] * len(self._steps)
        self.G.to("cpu")
        self._device = "cpu"
        torch.cuda.empty_cache()


def pick_device(device: str) -> str:
    """ "auto" | "cpu" | "cuda[:N]" -> the device a Renderer would use (checked)."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise UserInputError(
            "CUDA was asked for but is not available; use --device cpu", field="device"
        )
    if not (device == "cpu" or device.startswith("cuda")):
        raise UserInputError(
            f"unknown device {device!r}; expected auto, cpu or cuda", field="device"
        )
    return device


def to_uint8(img: torch.Tensor) -> np.ndarray:
    """[N, 3, H, W] in [-1, 1] -> [N, H, W, 3] uint8 (the official rounding)."""
    img = (img.permute(0, 2, 3, 1) * 127.5 + 128).clamp(0, 255).to(torch.uint8)
    return img.cpu().numpy()
