"""Keeps the picture in step with the design: throttled render requests, condition encoding,
variation grids, the fidelity meter, and latency bookkeeping for the self-test.

Runs on the GUI thread and only posts requests to the EngineSession (never waits on it).
Frame results older than the one on screen are dropped by request id.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from designer_app import first_frame, lexicon, startup_trace
from designer_app.condition_cache import ConditionCache
from designer_app.engine_worker import EngineSession
from designer_app.frame_spec import FrameSpec, first_changed_row, spec_from_design
from designer_app.models.design_model import RENDER_FIELDS, DesignModel
from designer_app.models.studio_state import StudioState, directions_from_engine
from designer_app.workers import JobManager
from engine.project import ModelRef

# One frame request in flight at a time: while the engine renders, newer edits wait on the GUI
# side and only the newest goes out when the frame lands (no fixed throttle delay, no render of
# a design that is already outdated). A frame that never lands (a failed or dropped request)
# stops blocking after this long.
IN_FLIGHT_TIMEOUT_MS = 2000
# The fidelity classifier (~0.3 s of CPU) runs once the picture has settled this long.
CLASSIFY_DEBOUNCE_MS = 300


class RenderController(QObject):
    unknownWords = Signal(list)
    gridStarted = Signal(list)  # seeds
    gridTile = Signal(int, object)  # index, image
    gridFinished = Signal(bool)
    notice = Signal(str)
    failed = Signal(str)
    textDirectionReady = Signal(str, object, str)  # text, vector or None, message
    _helperFrame = Signal(int, object, float)  # job, image, ms (from the helper's thread)

    def __init__(
        self,
        model: DesignModel,
        state: StudioState,
        session: EngineSession,
        jobs: JobManager,
        parent: QObject | None = None,
        conditions: ConditionCache | None = None,
    ) -> None:
        super().__init__(parent)
        self.model, self.state, self.session, self.jobs = model, state, session, jobs
        self.conditions = conditions  # prompt -> CLIP embedding, kept between launches
        self._encoder_args: tuple[Path | None, str] | None = None  # a deferred encoder load
        self._encoding: dict[int, str] = {}  # request id -> prompt, to cache the result
        self._rid = 0
        self._in_flight: tuple[int, float] | None = None  # (request id, sent at)
        self._frame_wanted = False
        # drag previews: while a slider is held, edits of coarse/middle rows render at half
        # resolution (preview_render); the full frame follows on release
        self.is_dragging: Callable[[], bool] = lambda: False
        self.previews_available = False  # the engine said it can render previews
        self._last_spec: FrameSpec | None = None
        self._previews: set[int] = set()  # request ids sent as previews, not landed yet
        self.showing_preview = False
        self._refine_at: float | None = None
        self.preview_ms: list[float] = []  # engine time of preview frames
        self.refine_ms: list[float] = []  # release -> full frame on screen
        self._encode_rid = 0
        self._tdir_rid = 0
        self._submitted_at = 0.0
        self._pending_change: list[tuple[float, int | None]] = []
        self.latencies_ms: list[float] = []
        self.render_ms: list[float] = []
        self.classify_requests = 0  # fidelity classifications sent (tests, self-test)
        self.first_frame_at: float | None = None
        self.grid_job: int | None = None
        self._stopped = False
        self._policy_cache: tuple[object, np.ndarray | None] = (None, None)
        self._awaiting_condition = False
        self._grid_job_entry: int | None = None
        self._grid_filled = 0
        self.grid_seeds: list[int] = []
        self.grid_images: list[np.ndarray | None] = []
        self._in_flight_timer = QTimer(self)
        self._in_flight_timer.setSingleShot(True)
        self._in_flight_timer.timeout.connect(self._in_flight_expired)
        self._classify_timer = QTimer(self)
        self._classify_timer.setSingleShot(True)
        self._classify_timer.timeout.connect(self._classify)
        model.changed.connect(self._on_change)
        # Engine signals are emitted on the engine threads. Each goes to a method of this
        # (GUI-thread) object, so Qt queues it to the GUI thread; a lambda or a signal-to-
        # signal connection would run on the emitting engine thread (PySide gives a lambda
        # no receiver), touching widgets off the GUI thread.
        sig = session.signals
        sig.modelReady.connect(self._on_model_ready)
        sig.modelUnavailable.connect(self._on_model_missing)
        sig.encoderReady.connect(self._on_encoder_ready)
        sig.encoderUnavailable.connect(self._on_encoder_missing)
        sig.textEncoded.connect(self._on_encoded)
        sig.frameReady.connect(self._on_frame)
        sig.gridTile.connect(self._on_grid_tile)
        sig.gridFinished.connect(self._on_grid_finished)
        sig.classified.connect(self._on_classified)
        sig.directionsReady.connect(self._on_directions)
        sig.textDirection.connect(self._on_text_direction)
        sig.notice.connect(self._on_notice)
        self._helper: first_frame.FirstFrameHelper | None = None
        self._helper_args: tuple[Path | None, str] = (None, "auto")
        self._helper_job: tuple[int, FrameSpec] | None = None  # the newest job sent
        self._helperFrame.connect(self._on_helper_frame)
        state.policyChanged.connect(self.request_frame)
        sig.failed.connect(self._on_failed)
        sig.previewsAvailable.connect(self._on_previews_available)

    # ------------------------------------------------------------------ loading
    def load(self, model_dir: Path | None, clip_dir: Path | None, device: str) -> None:
        self.state.set_model("loading", message=str(model_dir or "shipped model"))
        self.state.set_directions([])
        job = self.jobs.add(self.tr("Loading models"))
        self.session.load_model(model_dir, device)
        self._end_helper()  # one started for a previous model renders nothing more
        self._start_helper(model_dir, device)
        d = self.model.design
        if self.conditions is not None and self.conditions.lookup(
            lexicon.prompt_for(d.region, d.text)
        ):
            # the first frame's condition is cached: CLIP (seconds of torch/open_clip work)
            # loads once that frame is on screen instead of competing with it for the CPU
            self._encoder_args = (clip_dir, device)
            self.session.expect_encoder()
        else:
            self._encoder_args = None
            self.session.load_encoder(clip_dir, device)
        self.session.load_directions(model_dir)
        self._load_job = job.id

    # ------------------------------------------------------------------ first frame helper
    def _start_helper(self, model_dir: Path | None, device: str) -> None:
        """Give the opening design to the helper process spawned at launch (if any), which
        renders it without torch on the other core (first_frame.py)."""
        helper = first_frame.take()
        if helper is None:
            return
        if device == "cuda" or self.conditions is None:
            helper.discard()
            return
        self._helper, self._helper_args = helper, (model_dir, device)
        if not self._send_helper_job():
            self._end_helper()

    def _helper_spec(self) -> FrameSpec | None:
        """The current design as the helper can render it (its condition from the design or
        the on-disk cache), or None when the condition is not known without CLIP."""
        d = self.model.design
        spec = spec_from_design(d, 0, self._policy_offset())
        if d.policy is not None and d.policy.strength != 0 and spec.policy_offset is None:
            return None  # its tuned policy is not loaded yet
        if spec.condition is None and self.conditions is not None:
            hit = self.conditions.lookup(lexicon.prompt_for(d.region, d.text))
            if hit is None:
                return None
            spec.condition = np.asarray(hit[0], np.float32)
        return spec

    def _send_helper_job(self) -> bool:
        helper = self._helper
        spec = self._helper_spec() if helper is not None else None
        if helper is None or spec is None:
            return False
        job = (self._helper_job[0] + 1) if self._helper_job is not None else 1
        self._helper_job = (job, spec)
        return helper.send(job, *self._helper_args, spec, self._helperFrame.emit)

    def _helper_design_changed(self) -> None:
        """A project or recovered design replaced the opening one before any frame of the
        engine thread: the helper renders that one instead."""
        if self._helper is not None and self.state.image_id == 0 and not self._send_helper_job():
            self._end_helper()

    def _end_helper(self) -> None:
        helper, self._helper = self._helper, None
        self._helper_job = None
        if helper is not None:
            helper.close()

    def _on_helper_frame(self, job: int, image: np.ndarray, ms: float) -> None:
        """Show the helper's tile while no frame of the engine thread is on screen, if it is
        of the newest job and the design still renders the same; the engine thread's frame
        of the same design follows."""
        sent = self._helper_job
        if sent is None or job != sent[0] or self._stopped or self.state.image_id != 0:
            return
        if self.state.model_state == "missing":
            return
        now = self._helper_spec()
        if now is None or first_changed_row(sent[1], now) is not None:
            return
        self.state.set_image(image, 0)
        if self.first_frame_at is None:
            self.first_frame_at = time.perf_counter()
            startup_trace.mark("first_frame")
            startup_trace.mark("first_frame_from_helper")

    def _on_previews_available(self, ok: bool) -> None:
        self.previews_available = bool(ok)

    def _on_encoder_missing(self, message: str) -> None:
        self.state.set_encoder(False, message)

    def _on_directions(self, dirs: object) -> None:
        self.state.set_directions(directions_from_engine(dirs))  # type: ignore[arg-type]

    def _on_notice(self, message: str) -> None:
        self.notice.emit(message)

    def _on_encoder_ready(self, dim: int) -> None:
        self.state.set_encoder(True, f"{dim}-d")
        if self.state.image is not None:  # the meter catches up with the frame on screen
            self._schedule_classify()

    def _load_deferred_encoder(self) -> None:
        if self._encoder_args is not None:
            args, self._encoder_args = self._encoder_args, None
            self.session.load_encoder(*args)

    def _on_failed(self, what: str, message: str) -> None:
        if what == "frame":
            self._frame_landed()
            self._load_deferred_encoder()  # no first frame to wait for
        self.failed.emit(f"{what}: {message}")

    def _finish_load_job(self) -> None:
        jid = getattr(self, "_load_job", None)
        if jid is not None:
            self.jobs.finish(jid)
            self._load_job = None

    def _on_model_ready(self, info: object, device: str) -> None:
        self._finish_load_job()
        self._in_flight = None  # a request sent to the previous model never lands
        self._previews.clear()
        self.previews_available = False  # until the engine built them for this model
        self._last_spec = None
        self.state.set_model("ready", info, device)
        d = self.model.design
        d.model = ModelRef(str(info.model_id), str(info.model_hash))  # type: ignore[attr-defined]
        n = int(info.num_ws)  # type: ignore[attr-defined]
        if not 1 <= d.mix_from_layer < n:
            d.mix_from_layer = max(1, n // 2)  # a crossover this model has (not an edit)
            self.model.changed.emit("mix_from_layer")
        c_dim = int(info.c_dim)  # type: ignore[attr-defined]
        if c_dim > 0 and (d.condition is None or d.condition.shape != (c_dim,)):
            self.encode()
        elif c_dim == 0 and d.condition is not None:
            self.model.set("condition", None)
        else:
            self.request_frame()

    def _on_model_missing(self, message: str) -> None:
        self._finish_load_job()
        self._load_deferred_encoder()
        self.state.set_model("missing", message=message)

    # ------------------------------------------------------------------ conditioning
    def encode(self) -> None:
        """The design's condition from its words: from the on-disk cache when this CLIP model
        encoded the same prompt before (no wait), else on the side thread."""
        d = self.model.design
        self._encode_rid += 1
        self._awaiting_condition = True
        prompt = lexicon.prompt_for(d.region, d.text)
        info = self.state.info
        c_dim = int(info.c_dim) if info is not None else 0  # type: ignore[attr-defined]
        hit = self.conditions.lookup(prompt) if self.conditions and c_dim > 0 else None
        if hit is not None and hit[0].shape == (c_dim,):
            self._on_encoded(self._encode_rid, hit[0], hit[1])
            return
        self._load_deferred_encoder()
        self._encoding = {self._encode_rid: prompt}
        self.session.encode_text(self._encode_rid, prompt)

    def _on_encoded(self, rid: int, c: np.ndarray | None, unknown: list[str]) -> None:
        if rid != self._encode_rid:
            return  # superseded by newer words
        self._awaiting_condition = False
        prompt = self._encoding.pop(rid, None)
        cache = self.conditions
        if (
            cache is not None
            and prompt is not None
            and c is not None
            and self.state.encoder_ready  # zeros stand in when there is no encoder
            and bool(np.any(c))
        ):
            cc, uw = np.array(c, np.float32), list(unknown)
            self.session.run_side(f"cache:{prompt}", lambda: cache.store(prompt, cc, uw))
        self.unknownWords.emit(list(unknown))
        if c is None and self.model.design.condition is None:
            self.request_frame()
        else:
            self.model.set("condition", c)
        if self.state.probabilities is None:
            self.request_frame()

    # ------------------------------------------------------------------ frames
    def _on_change(self, field: str) -> None:
        if field in ("text", "region"):
            if self.state.model_state == "ready":
                self.encode()
            return
        if field == "*":
            self._encode_rid += 1  # words of the replaced design must not land on this one
            self._helper_design_changed()
            if self.state.model_state == "ready":
                info = self.state.info
                c = self.model.design.condition
                if int(info.c_dim) > 0 and (c is None or c.shape != (int(info.c_dim),)):
                    self.encode()
                    return
            self.request_frame()
            return
        if field in RENDER_FIELDS:
            self.request_frame()

    def request_frame(self) -> None:
        """The design changed: render it now, or as soon as the frame in flight lands."""
        self._pending_change.append((time.perf_counter(), None))
        self._frame_wanted = True
        self._send_if_free()

    def _send_if_free(self) -> None:
        if self._frame_wanted and self._in_flight is None:
            self._frame_wanted = False
            self._submit()

    def _frame_landed(self) -> None:
        self._in_flight = None
        self._in_flight_timer.stop()
        self._send_if_free()

    def _in_flight_expired(self) -> None:
        if self._in_flight is not None:
            self._frame_landed()

    def _policy_offset(self) -> np.ndarray | None:
        """The tuned policy's w offset for this region, text and strength (numpy: cheap here);
        computed as `wenyang export` does (Policy.offset), so both give the same pixels."""
        d, pol = self.model.design, self.state.policy
        if d.policy is None or pol is None or d.policy.strength == 0:
            return None
        c = d.condition
        key = (d.region, None if c is None else c.tobytes(), d.policy.strength, id(pol))
        if self._policy_cache[0] != key:
            try:
                vec = pol.offset(d.region, c, d.policy.strength)
            except Exception as exc:  # e.g. a policy tuned with another text encoder
                self.notice.emit(f"The tuned policy cannot be applied: {exc}")
                vec = None
            self._policy_cache = (key, vec)
        return self._policy_cache[1]

    def _submit(self) -> None:
        if self._stopped or self.state.model_state != "ready":
            return
        self._rid += 1
        self._submitted_at = time.perf_counter()
        self._in_flight = (self._rid, self._submitted_at)
        self._in_flight_timer.start(IN_FLIGHT_TIMEOUT_MS)
        self._pending_change = [
            (t, r if r is not None else self._rid) for t, r in self._pending_change
        ]
        spec = spec_from_design(self.model.design, self._rid, self._policy_offset())
        if self._wants_preview(spec):
            spec.purpose = "preview"
            self._previews.add(self._rid)
        self._last_spec = spec
        self.session.render(spec)

    def _wants_preview(self, spec: FrameSpec) -> bool:
        """A preview will do while a slider is held and the edit changes the latent: the
        engine then draws the sharpest frame that fits its drag budget (preview_render)."""
        if self.state.info is None or not self.previews_available or not self.is_dragging():
            return False
        return first_changed_row(self._last_spec, spec) is not None

    def drag_ended(self) -> None:
        """A slider was released: the full frame follows a preview (idempotent)."""
        if not (self.showing_preview or self._previews):
            return
        if self._refine_at is None:
            self._refine_at = time.perf_counter()
        if self._in_flight is not None and self._in_flight[0] not in self._previews:
            return  # a full frame is already on its way
        self._frame_wanted = True
        self._send_if_free()

    def _on_frame(self, rid: int, image: np.ndarray, ws: object, ms: float) -> None:
        if self._stopped:
            return
        if self._in_flight is not None and rid >= self._in_flight[0]:
            self._frame_landed()  # the newest edit goes out before this frame is drawn
        preview = rid in self._previews
        self._previews = {r for r in self._previews if r > rid}
        if rid <= self.state.image_id:
            return  # stale: a newer frame is already on screen
        now = time.perf_counter()
        (self.preview_ms if preview else self.render_ms).append(ms)
        self.showing_preview = preview
        self.state.set_image(image, rid)
        if not preview and self._refine_at is not None:
            self.refine_ms.append((now - self._refine_at) * 1000.0)
            self._refine_at = None
        if preview and not self.is_dragging() and not self._previews:
            self.drag_ended()  # released while this preview was being rendered
        done = [t for t, r in self._pending_change if r is not None and r <= rid]
        self.latencies_ms.extend((now - t) * 1000.0 for t in done)
        self._pending_change = [(t, r) for t, r in self._pending_change if r is None or r > rid]
        if self._helper is not None:
            self._end_helper()  # the engine thread renders from now on
        if self.first_frame_at is None:  # the tile is on the canvas now (set_image above)
            self.first_frame_at = time.perf_counter()
            startup_trace.mark("first_frame")
        self._load_deferred_encoder()
        self._schedule_classify()

    @property
    def latest_request(self) -> int:
        return self._rid

    def idle(self) -> bool:
        """True when the frame on screen shows the current design."""
        return (
            not self._frame_wanted
            and self._in_flight is None
            and not self.showing_preview
            and not self._previews
            and not self._pending_change
            and not self._awaiting_condition
            and self.state.image_id == self._rid
        )

    # ------------------------------------------------------------------ fidelity
    def _schedule_classify(self) -> None:
        """(Re)start the classifier's debounce, never after the window stopped us: a result
        or an encoder arriving late must not leave a timer running past close."""
        if not self._stopped:
            self._classify_timer.start(CLASSIFY_DEBOUNCE_MS)

    def _classify(self) -> None:
        """Debounced side work: only once the picture settled, never while frames are due (the
        classifier then shares the CPU with the renderer); latest wins on the side thread."""
        if self._stopped:
            return
        if not self.idle():
            self._schedule_classify()
            return
        if self.state.image is not None and self.state.encoder_ready:
            self.classify_requests += 1
            self.session.classify(self.state.image_id, self.state.image)

    def _on_classified(self, rid: int, probs: np.ndarray) -> None:
        if rid == self.state.image_id:
            self.state.set_probabilities(np.asarray(probs, float))

    # ------------------------------------------------------------------ variation grid
    def generate(self, seeds: list[int]) -> bool:
        if self.state.model_state != "ready":
            return False
        self.cancel_grid()
        specs: list[FrameSpec] = []
        for s in seeds:
            d = self.model.design.copy()
            d.seed, d.ws, d.noise_seed = int(s), None, None  # each variation its own layout
            self._rid += 1
            spec = spec_from_design(d, self._rid, self._policy_offset())
            spec.purpose = "grid"
            specs.append(spec)
        self.grid_seeds = list(seeds)
        self.grid_images = [None] * len(seeds)
        self._grid_filled = 0
        self.grid_job = self.session.render_grid(specs)
        gid = self.grid_job
        self._grid_job_entry = self.jobs.add(
            self.tr("Generating variations"), cancel=lambda: self.session.cancel_grid(gid)
        ).id
        self.gridStarted.emit(list(seeds))
        return True

    def cancel_grid(self) -> None:
        if self.grid_job is not None:
            self.session.cancel_grid(self.grid_job)

    def _on_grid_tile(self, job: int, index: int, image: np.ndarray, ws: object) -> None:
        if job != self.grid_job:
            return
        self.grid_images[index] = image
        self._grid_filled += 1
        if self._grid_job_entry is not None:
            self.jobs.update(
                self._grid_job_entry,
                self._grid_filled / len(self.grid_images),
                f"{self._grid_filled}/{len(self.grid_images)}",
            )
        self.gridTile.emit(index, image)

    def _on_grid_finished(self, job: int, cancelled: bool) -> None:
        if job != self.grid_job:
            return
        if self._grid_job_entry is not None:
            self.jobs.finish(self._grid_job_entry)
            self._grid_job_entry = None
        self.grid_job = None
        self.gridFinished.emit(cancelled)

    # ------------------------------------------------------------------ text directions
    def request_text_direction(self, text: str) -> None:
        self._tdir_rid += 1
        d = self.model.design
        self.session.text_direction(self._tdir_rid, text, d.condition, d.seed)

    def _on_text_direction(self, rid: int, text: str, vec: object, message: str) -> None:
        if rid == self._tdir_rid:
            self.textDirectionReady.emit(text, vec, message)

    def stop(self) -> None:
        """The window is closing: results still in flight are ignored from now on."""
        self._stopped = True
        helper, self._helper = self._helper, None
        if helper is not None:
            helper.discard()
        self._in_flight_timer.stop()
        self._classify_timer.stop()
