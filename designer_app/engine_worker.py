"""The engine threads: the only places the studio touches torch (through engine APIs).

`EngineSession` lives on the GUI thread and is the studio's single door to the models; it
forwards generator work to an `_EngineWorker` living in its own QThread, and text-encoder work
(loading CLIP, encoding text, the fidelity classifier) and mockup composites to a side thread,
so the generator loads in parallel with CLIP and side work never queues in front of a frame.
The worker keeps only the newest frame request, the side thread the newest classification
and composite (latest wins): a request that was superseded before it started never runs.
Grid jobs render tile by tile between frame requests, so dragging a slider stays responsive
while a grid fills. Every result carries its request id; the GUI drops results older than
what it already shows.
"""

from __future__ import annotations

import collections
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal, Slot

from designer_app import startup_trace
from designer_app.frame_spec import FrameSpec, build_request

RendererFactory = Callable[[Path | None, str], Any]
EncoderFactory = Callable[[Path | None, str], Any]


def default_renderer_factory(model_dir: Path | None, device: str) -> Any:
    from engine.stylegan.render import Renderer  # torch: engine thread only

    startup_trace.mark("renderer_imported")
    r = Renderer(model_dir, device=device)
    startup_trace.mark("generator_loaded")
    return r


def default_encoder_factory(model_dir: Path | None, device: str) -> Any:
    from engine.clip import load_encoder  # torch: engine thread only

    enc = load_encoder(model_dir, device="cpu" if device == "auto" else device)
    startup_trace.mark("encoder_loaded")
    return enc


def _to_numpy(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def _scaled(d: Any) -> np.ndarray:
    """An engine Direction as one vector per slider step (unit vector × its step size)."""
    return (np.asarray(d.vector, np.float64) * float(d.scale)).astype(np.float32)


def _describe(exc: BaseException) -> str:
    from engine.errors import UserInputError

    if isinstance(exc, UserInputError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


class _EngineWorker(QObject):
    wake = Signal()
    modelReady = Signal(object, str)  # ModelInfo, device
    modelUnavailable = Signal(str)
    encoderReady = Signal(int)
    encoderUnavailable = Signal(str)
    textEncoded = Signal(int, object, object)  # request id, c (np or None), unknown words
    frameReady = Signal(int, object, object, float)  # request id, image, ws, ms
    gridTile = Signal(int, int, object, object)  # job id, index, image, ws
    gridFinished = Signal(int, bool)  # job id, cancelled
    classified = Signal(int, object)  # request id, probabilities [8]
    directionsReady = Signal(object)  # list of engine directions (may be empty)
    # request id, text, [(vector, layers)] or None, message
    textDirection = Signal(int, str, object, str)
    notice = Signal(str)
    failed = Signal(str, str)  # what, message
    previewsAvailable = Signal(bool)  # drag previews can be rendered for this model

    def __init__(self, renderer_factory: RendererFactory, encoder_factory: EncoderFactory) -> None:
        super().__init__()
        self._renderer_factory = renderer_factory
        self._encoder_factory = encoder_factory
        self._lock = threading.Lock()
        self._tasks: collections.deque[Callable[[], None]] = collections.deque()
        # work that may wait until no frame is pending (e.g. computing slider directions)
        self._idle_tasks: collections.deque[Callable[[], None]] = collections.deque()
        self._frame: FrameSpec | None = None
        # cheap follow-up work keyed by purpose (e.g. "mockup"): a newer one replaces it
        self._latest: dict[str, Callable[[], None]] = {}
        self._grid: collections.deque[tuple[int, int, FrameSpec]] = collections.deque()
        self._cancelled_grids: set[int] = set()
        self._stopping = False
        self.renderer: Any = None
        self.sliders: Any = None
        self.encoder: Any = None
        self._encoder_tried = False
        self._paired: tuple[str, str] | None = None  # last generator/encoder pair checked
        # slider directions need the generator and (for text directions) the encoder, which
        # loads on the side thread: they are computed once both loads are done
        self._encoder_loading = False
        self._directions_wanted: tuple[Path | None] | None = None
        self._mix_cache: dict[tuple[Any, ...], np.ndarray] = {}
        # half-resolution twin for drag previews: None = not tried yet, False = unavailable
        self._preview: Any = None
        self._preview_posted = False
        self.wake.connect(self._drain)

    # ---------------------------------------------------------------- queueing (any thread)
    def post(self, task: Callable[[], None]) -> None:
        with self._lock:
            self._tasks.append(task)
        self.wake.emit()

    def post_idle(self, task: Callable[[], None]) -> None:
        with self._lock:
            self._idle_tasks.append(task)
        self.wake.emit()

    def post_frame(self, spec: FrameSpec) -> None:
        with self._lock:
            self._frame = spec  # latest wins: an unstarted older request is dropped here
        self.wake.emit()

    def post_latest(self, key: str, task: Callable[[], None]) -> None:
        """Latest wins per key; runs after a pending frame, before grid tiles."""
        with self._lock:
            self._latest[key] = task
        self.wake.emit()

    def post_grid(self, job_id: int, specs: list[FrameSpec]) -> None:
        with self._lock:
            self._grid.extend((job_id, i, s) for i, s in enumerate(specs))
            self._grid.append((job_id, -1, specs[0]))  # end marker
        self.wake.emit()

    def cancel_grid(self, job_id: int) -> None:
        with self._lock:
            self._cancelled_grids.add(job_id)

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._tasks.clear()
            self._idle_tasks.clear()
            self._grid.clear()
            self._frame = None
            self._latest.clear()

    # ---------------------------------------------------------------- engine thread
    @Slot()
    def _drain(self) -> None:
        while True:
            with self._lock:
                if self._stopping:
                    return
                kind: str
                item: Any
                if self._tasks:
                    kind, item = "task", self._tasks.popleft()
                elif self._frame is not None:
                    kind, item, self._frame = "frame", self._frame, None
                elif self._latest:
                    kind, item = "task", self._latest.pop(next(iter(self._latest)))
                elif self._grid:
                    kind, item = "grid", self._grid.popleft()
                elif self._idle_tasks:
                    kind, item = "task", self._idle_tasks.popleft()
                else:
                    return
            try:
                if kind == "task":
                    item()
                elif kind == "frame":
                    self._render_frame(item)
                else:
                    self._render_grid_tile(*item)
            except Exception as exc:  # a failed request never kills the thread
                traceback.print_exc()
                self.failed.emit(kind, _describe(exc))

    def load_model(self, model_dir: Path | None, device: str) -> None:
        self.renderer = None
        self._preview, self._preview_posted = None, False
        self._mix_cache.clear()
        try:
            r = self._renderer_factory(model_dir, device)
        except ImportError as exc:
            self.modelUnavailable.emit(
                f"The generator engine is not available in this build ({exc})."
            )
            return
        except Exception as exc:
            self.modelUnavailable.emit(_describe(exc))
            return
        self.renderer = r
        for n in getattr(r, "notices", []) or []:
            self.notice.emit(str(n))
        self.modelReady.emit(r.info, str(getattr(r, "device", device)))
        self._check_pairing()

    def load_directions(self, model_dir: Path | None) -> None:
        """Slider directions from engine.directions (SeFa per layer range, named attribute
        directions when shipped); runs after the encoder so text directions can use it."""
        self.sliders = None
        if self.renderer is None:
            return
        out: list[tuple[str, str, tuple[int, int], np.ndarray]] = []
        if not hasattr(self.renderer, "G"):  # not a StyleGAN renderer: no latent directions
            self.directionsReady.emit(out)
            return
        try:
            from engine.directions.sliders import Sliders
        except ImportError:
            self.directionsReady.emit(out)
            return
        try:
            self.sliders = Sliders(self.renderer, self.encoder, model_dir)
            for name, d in self.sliders.named.items():
                own = {r: _scaled(d.for_region(r)) for r in getattr(d, "by_region", {})}
                out.append((name, "attribute", d.layers, _scaled(d), own))
            for group, dirs in self.sliders.sefa.items():
                for d in dirs:
                    out.append((d.name, group, d.layers, _scaled(d)))
        except Exception as exc:
            self.notice.emit(f"Latent directions could not be computed: {_describe(exc)}")
        self.directionsReady.emit(out)

    def encoder_loading(self) -> None:
        """The encoder is about to be (re)loaded: directions wait for it (any thread)."""
        with self._lock:
            self._encoder_loading = True

    def request_directions(self, model_dir: Path | None) -> None:
        """Compute the slider directions once no frame is pending and the encoder is loaded."""
        with self._lock:
            if self._encoder_loading:
                self._directions_wanted = (model_dir,)
                return
            self._directions_wanted = None
        self.post_idle(lambda: self.load_directions(model_dir))

    def load_encoder(self, model_dir: Path | None, device: str) -> None:
        """Runs on the side thread (see EngineSession)."""
        self._encoder_tried = True
        self.encoder = None
        try:
            self.encoder = self._encoder_factory(model_dir, device)
        except Exception as exc:
            self.encoderUnavailable.emit(_describe(exc))
        else:
            self.encoderReady.emit(int(getattr(self.encoder, "embed_dim", 0)))
            self._check_pairing()
        with self._lock:
            self._encoder_loading = False
            wanted, self._directions_wanted = self._directions_wanted, None
        if wanted is not None:
            self.post_idle(lambda: self.load_directions(wanted[0]))

    def _check_pairing(self) -> None:
        """A notice, once per pair, when the generator was trained on another CLIP model's
        conditions than the encoder now loaded (either thread; reads two references)."""
        r, enc = self.renderer, self.encoder
        gen_hash = str(getattr(getattr(r, "info", None), "clip_hash", "") or "")
        enc_hash = str(getattr(enc, "model_hash", "") or "")
        if not gen_hash or not enc_hash or (gen_hash, enc_hash) == self._paired:
            return
        self._paired = (gen_hash, enc_hash)
        from engine.stylegan.pairing import condition_mismatch

        msg = condition_mismatch(gen_hash, enc_hash)
        if msg:
            self.notice.emit(msg[0].upper() + msg[1:])

    def encode_text(self, request_id: int, prompt: str) -> None:
        c: np.ndarray | None = None
        unknown: list[str] = []
        info = getattr(self.renderer, "info", None)
        c_dim = int(getattr(info, "c_dim", 0)) if info is not None else 0
        if self.encoder is not None and c_dim > 0:
            enc = self.encoder.encode_text([prompt])
            c = _to_numpy(enc.embeddings)[0].astype(np.float32)
            uw = getattr(enc, "unknown_words", None) or [[]]
            unknown = list(uw[0]) if uw and isinstance(uw[0], list | tuple) else list(uw)
            if c.shape[0] != c_dim:
                self.notice.emit(
                    f"The text encoder gives {c.shape[0]}-d embeddings but the "
                    f"generator expects {c_dim}: text conditioning is off."
                )
                c = np.zeros(c_dim, np.float32)
        elif c_dim > 0:
            c = np.zeros(c_dim, np.float32)
        startup_trace.mark("text_encoded")
        self.textEncoded.emit(request_id, c, unknown)

    def text_direction(
        self, request_id: int, text: str, base_c: np.ndarray | None, seed: int
    ) -> None:
        """Directions for "more X": engine.directions' StyleCLIP global directions (one per
        layer range) when available, else w(base + text) − w(base) averaged over seeds."""
        r = self.renderer
        if self.sliders is not None and self.encoder is not None:
            try:
                dirs = self.sliders.text(text)
            except Exception as exc:
                self.textDirection.emit(request_id, text, None, _describe(exc))
                return
            if not dirs:
                self.textDirection.emit(
                    request_id, text, None, "The words did not move the design."
                )
                return
            parts = [(_scaled(d), (int(d.layers[0]), int(d.layers[1]))) for d in dirs]
            self.textDirection.emit(request_id, text, parts, "")
            return
        if r is None or self.encoder is None or int(r.info.c_dim) == 0:
            self.textDirection.emit(
                request_id,
                text,
                None,
                "Text directions need a text-conditioned generator and the CLIP encoder.",
            )
            return
        enc = self.encoder.encode_text([text])
        t = _to_numpy(enc.embeddings)[0].astype(np.float32)
        base = base_c if base_c is not None else np.zeros_like(t)
        mixed = base + t
        mixed = (mixed / max(float(np.linalg.norm(mixed)), 1e-8)).astype(np.float32)
        deltas = [
            r.mapping(s, mixed, 1.0)[0] - r.mapping(s, base, 1.0)[0] for s in range(seed, seed + 8)
        ]
        v = np.mean(deltas, axis=0).astype(np.float32)
        n = float(np.linalg.norm(v))
        if n < 1e-8:
            self.textDirection.emit(request_id, text, None, "The words did not move the design.")
            return
        layers = (0, int(r.info.num_ws))
        self.textDirection.emit(request_id, text, [((v / n).astype(np.float32), layers)], "")

    def _request(self, spec: FrameSpec) -> Any:
        return build_request(self.renderer, spec, self._mix_cache)

    def _build_preview(self) -> None:
        """Start building the drag-preview ladder, one idle slice at a time: frames asked
        for meanwhile go first (the drain takes frames before idle work)."""
        if self._preview is None and self.renderer is not None:
            from designer_app.preview_render import build_preview

            # checking each preview against the full frame also packs its weights and times
            # its steps: first-call costs now, not mid-drag
            steps = build_preview(self.renderer)
            renderer = self.renderer
            self.post_idle(lambda: self._preview_slice(steps, renderer))

    def _preview_slice(self, steps: Any, renderer: Any) -> None:
        if renderer is not self.renderer or self._preview is not None:
            return  # another model was loaded meanwhile: its own ladder is on its way
        try:
            next(steps)
        except StopIteration as done:
            self._preview = done.value or False
        except Exception as exc:  # previews are an optimisation: full frames still work
            self._preview = False
            self.notice.emit(f"Drag previews are off: {_describe(exc)}")
        else:
            self.post_idle(lambda: self._preview_slice(steps, renderer))
            return
        self.previewsAvailable.emit(bool(self._preview))

    def _render_frame(self, spec: FrameSpec) -> None:
        if self.renderer is None:
            return
        t0 = time.perf_counter()
        req = self._request(spec)
        if spec.purpose == "preview" and self._preview:
            try:
                image, ws, _ = self._preview.render(req, type(req))
            except Exception as exc:  # previews are an optimisation: full frames go on
                traceback.print_exc()
                self._preview = False
                self.notice.emit(f"Drag previews are off: {_describe(exc)}")
                self.previewsAvailable.emit(False)
            else:
                ms = (time.perf_counter() - t0) * 1000.0
                self.frameReady.emit(spec.request_id, image, ws, ms)
                return
        res = self.renderer.render(req)
        ms = (time.perf_counter() - t0) * 1000.0
        startup_trace.mark("first_render_done")
        self.frameReady.emit(spec.request_id, np.ascontiguousarray(res.image), res.ws, ms)
        if not self._preview_posted:  # built after the first frame, never before it
            self._preview_posted = True
            self.post_idle(self._build_preview)

    def _render_grid_tile(self, job_id: int, index: int, spec: FrameSpec) -> None:
        with self._lock:
            cancelled = job_id in self._cancelled_grids
        if index < 0:
            with self._lock:
                self._cancelled_grids.discard(job_id)
            self.gridFinished.emit(job_id, cancelled)
            return
        if cancelled or self.renderer is None:
            return
        res = self.renderer.render(self._request(spec))
        self.gridTile.emit(job_id, index, np.ascontiguousarray(res.image), res.ws)

    def _run_classify(self, request_id: int, image: np.ndarray) -> None:
        if self.encoder is None or not hasattr(self.encoder, "classify"):
            return
        probs = _to_numpy(self.encoder.classify(image[None]))[0].astype(float)
        self.classified.emit(request_id, probs)


class _SideLane(QObject):
    """A second engine thread for work that must not wait behind (or delay) frames: loading
    the text encoder, encoding text, the fidelity classifier and mockup composites. Ordered
    tasks run first, then keyed latest-wins tasks (a newer classify or composite replaces an
    unstarted older one)."""

    wake = Signal()

    def __init__(self, on_error: Callable[[str, str], None]) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._tasks: collections.deque[Callable[[], None]] = collections.deque()
        self._latest: dict[str, Callable[[], None]] = {}
        self._stopping = False
        self._on_error = on_error
        self.wake.connect(self._drain)

    def post(self, task: Callable[[], None]) -> None:
        with self._lock:
            self._tasks.append(task)
        self.wake.emit()

    def post_latest(self, key: str, task: Callable[[], None]) -> None:
        with self._lock:
            self._latest[key] = task
        self.wake.emit()

    def pending(self, key: str) -> bool:
        with self._lock:
            return key in self._latest

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._tasks.clear()
            self._latest.clear()

    @Slot()
    def _drain(self) -> None:
        while True:
            with self._lock:
                if self._stopping:
                    return
                if self._tasks:
                    key, task = "task", self._tasks.popleft()
                elif self._latest:
                    key = next(iter(self._latest))
                    task = self._latest.pop(key)
                else:
                    return
            try:
                task()
            except Exception as exc:  # a failed request never kills the thread
                traceback.print_exc()
                self._on_error(key, _describe(exc))


class EngineSession(QObject):
    """GUI-side facade: owns the engine thread; every method returns immediately."""

    def __init__(
        self,
        renderer_factory: RendererFactory | None = None,
        encoder_factory: EncoderFactory | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.thread = QThread()
        self.thread.setObjectName("wenyang-engine")
        self.worker = _EngineWorker(
            renderer_factory or default_renderer_factory, encoder_factory or default_encoder_factory
        )
        self.worker.moveToThread(self.thread)
        self.side_thread = QThread()
        self.side_thread.setObjectName("wenyang-engine-side")
        self.side = _SideLane(self.worker.failed.emit)
        self.side.moveToThread(self.side_thread)
        self.thread.start()
        self.side_thread.start()
        self._grid_ids = 0

    @property
    def signals(self) -> _EngineWorker:
        """The worker's signals (emitted on the engine thread, delivered queued)."""
        return self.worker

    def load_model(self, model_dir: Path | None, device: str = "auto") -> None:
        self.worker.post(lambda: self.worker.load_model(model_dir, device))

    def load_encoder(self, model_dir: Path | None = None, device: str = "auto") -> None:
        """Load the text encoder on the side thread, in parallel with the generator."""
        self.worker.encoder_loading()
        self.side.post(lambda: self.worker.load_encoder(model_dir, device))

    def expect_encoder(self) -> None:
        """An encoder load will follow later: directions wait for it."""
        self.worker.encoder_loading()

    def load_directions(self, model_dir: Path | None) -> None:
        self.worker.post(lambda: self.worker.request_directions(model_dir))

    def encode_text(self, request_id: int, prompt: str) -> None:
        self.side.post(lambda: self.worker.encode_text(request_id, prompt))

    def run_side(self, key: str, task: Callable[[], None]) -> None:
        """Latest-wins side work (mockup composites, cache writes): never delays a frame."""
        self.side.post_latest(key, task)

    def text_direction(
        self, request_id: int, text: str, base_c: np.ndarray | None, seed: int
    ) -> None:
        self.worker.post(lambda: self.worker.text_direction(request_id, text, base_c, seed))

    def render(self, spec: FrameSpec) -> None:
        self.worker.post_frame(spec)

    def classify(self, request_id: int, image: np.ndarray) -> None:
        """Fidelity classification on the side thread (latest wins)."""
        self.side.post_latest("classify", lambda: self.worker._run_classify(request_id, image))

    def render_grid(self, specs: list[FrameSpec]) -> int:
        self._grid_ids += 1
        self.worker.post_grid(self._grid_ids, specs)
        return self._grid_ids

    def cancel_grid(self, job_id: int) -> None:
        self.worker.cancel_grid(job_id)

    def shutdown(self, timeout_ms: int = 30000) -> None:
        """Stop after the current request; the window closes only once the thread ended."""
        self.worker.stop()
        self.side.stop()
        for t in (self.thread, self.side_thread):
            if not t.isRunning():
                continue
            t.quit()
            if not t.wait(timeout_ms):
                t.terminate()
                t.wait()
