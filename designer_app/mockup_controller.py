"""Garments wearing the current design, kept live without slowing the sliders.

A composite is requested only after a frame has landed (never per slider tick) and at most
every 100 ms (~10 Hz); it runs on the engine thread behind the frame queue, latest wins, so
a composite never delays the next frame. Each template keeps one engine.mockup
MockupRenderer (cached per template and preview size, on the engine thread).

The garment photo: read and downscaled here (numpy/cv2), masked on the engine thread (the
segmentation model is torch; without it GrabCut seeded with a centred box), refined with
the designer's strokes on a worker (GrabCut is cv2 only). The refined mask is saved with
the project (`Design.mockup.photo_mask_png`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal, Slot

from designer_app.commands import SetFieldCommand
from designer_app.engine_jobs import EngineJobs
from designer_app.engine_worker import EngineSession, _describe
from designer_app.models.design_model import DesignModel
from designer_app.models.studio_state import StudioState
from designer_app.workers import JobManager
from engine.project import MockupSettings

MIN_INTERVAL_MS = 100  # at most ~10 composites a second
PREVIEW_SIDE = 360  # px of the side-by-side previews
PHOTO_MAX_SIDE = 1024  # photos are worked on at most this size
PHOTO = "photo"  # the name of the garment photo in the side-by-side view


def load_photo(path: Path) -> np.ndarray:
    """The photo as RGB uint8, downscaled to PHOTO_MAX_SIDE (the mask is made at this size)."""
    import cv2

    from engine.mockup.template import read_image

    img = read_image(path)
    k = PHOTO_MAX_SIDE / max(img.shape[:2])
    if k < 1:
        img = cv2.resize(
            img, (round(img.shape[1] * k), round(img.shape[0] * k)), interpolation=cv2.INTER_AREA
        )
    return np.ascontiguousarray(img)


def auto_mask(worker: Any, image: np.ndarray) -> tuple[np.ndarray, str]:
    """(mask uint8 HxW, how it was made): the segmentation model when shipped, else GrabCut
    from a centred box (a garment photo is usually framed on the garment)."""
    from engine.mockup.refine import refine_mask
    from engine.mockup.segment import SEG_DIR, Segmenter, garment_mask

    seg = getattr(worker, "_segmenter", None)
    if seg is None and (SEG_DIR / "model.safetensors").is_file():
        try:
            seg = Segmenter()  # loads torch: only when a model is shipped
        except Exception:
            seg = False
        worker._segmenter = seg
    if seg:
        m = garment_mask(seg.predict(image))
        if m.sum() > 16:
            return refine_mask(image, m.astype(np.float32)), "segmentation model + GrabCut"
    h, w = image.shape[:2]
    rect = (round(0.06 * w), round(0.04 * h), round(0.94 * w), round(0.98 * h))
    return refine_mask(image, None, rect), "GrabCut from a centred box"


class MockupController(QObject):
    previewsReady = Signal(list)  # [(name, image uint8)]
    photoChanged = Signal(object)  # the photo (RGB) or None
    maskRefined = Signal(object)  # new mask (uint8) after a refine job
    message = Signal(str, str)  # level, text

    def __init__(
        self,
        model: DesignModel,
        state: StudioState,
        session: EngineSession,
        jobs: JobManager,
        engine_jobs: EngineJobs,
        stack: Any,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.model, self.state, self.session = model, state, session
        self.jobs, self.engine_jobs, self.stack = jobs, engine_jobs, stack
        self.photo: np.ndarray | None = None
        self._photo_key: str | None = None
        self.previews: list[tuple[str, np.ndarray]] = []
        self.composites = 0  # how many composites landed (tests, self-test)
        self.active = True  # the panel is visible (no work for a hidden dock)
        self._last_post = 0.0
        self._seq = 0
        self._shown = 0
        self._renderers: dict[tuple[Any, ...], Any] = {}  # engine thread only
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._post)
        self._ready_sig.connect(self._on_ready)
        self._error_sig.connect(self._on_error)
        state.imageChanged.connect(lambda *_: self.schedule())
        model.changed.connect(self._on_design_changed)

    _ready_sig = Signal(int, list)
    _error_sig = Signal(str)

    @Slot(str)
    def _on_error(self, text: str) -> None:
        self.message.emit("error", text)

    # ------------------------------------------------------------------ settings
    @property
    def settings(self) -> MockupSettings:
        return self.model.design.mockup

    def update(self, text: str, merge_key: str | None = None, **changes: Any) -> None:
        """One undoable edit of the mockup settings (slider drags merge into one)."""
        import dataclasses

        new = dataclasses.replace(self.settings, **changes)
        if new != self.settings:
            self.stack.push(SetFieldCommand(self.model, "mockup", new, text, merge_key))

    def _on_design_changed(self, field: str) -> None:
        if field in ("*", "mockup"):
            self._sync_photo()
            self.schedule()

    # ------------------------------------------------------------------ compositing
    def schedule(self) -> None:
        """Composite soon: at once when the last one is >100 ms old, else when it is."""
        if not self.active or self.state.image is None or self._timer.isActive():
            return
        wait = MIN_INTERVAL_MS - (time.perf_counter() - self._last_post) * 1000.0
        if wait <= 0:
            self._post()
        else:
            self._timer.start(int(wait) + 1)

    def _post(self) -> None:
        tile = self.state.image
        if tile is None:
            return
        self._last_post = time.perf_counter()
        self._seq += 1
        seq, s = self._seq, self.settings
        names = [n for n in s.templates]
        photo = None
        if self.photo is not None and s.photo_mask_png is not None:
            photo = (self._photo_key, self.photo, s.photo_mask_png)
        emit, fail, layout = self._ready_sig.emit, self._error_sig.emit, self.model.design.repeat

        def task() -> None:  # engine thread
            try:
                out = self._composite(tile, s, names, photo, layout)
            except Exception as exc:
                fail(f"Mockup: {_describe(exc)}")
                return
            emit(seq, out)

        self.session.run_side("mockup", task)

    def _renderer(self, key: tuple[Any, ...], make: Any) -> Any:
        r = self._renderers.get(key)
        if r is None:
            if len(self._renderers) > 16:
                self._renderers.clear()
            r = self._renderers[key] = make()
        return r

    def _composite(
        self,
        tile: np.ndarray,
        s: MockupSettings,
        names: Sequence[str],
        photo: tuple[Any, np.ndarray, bytes] | None,
        layout: str,
    ) -> list[tuple[str, np.ndarray]]:
        from engine.mockup import MockupRenderer, photo_template
        from engine.mockup.refine import mask_from_png

        kw = dict(
            repeat_cm=s.repeat_cm,
            scale=s.scale,
            rotation_deg=s.rotation_deg,
            offset=s.offset,
            layout=layout,
        )
        out: list[tuple[str, np.ndarray]] = []
        if photo is not None:
            key, img, mask_png = photo

            def make() -> Any:
                return MockupRenderer(photo_template(img, mask_from_png(mask_png)), PREVIEW_SIDE)

            r = self._renderer((PHOTO, key, hash(mask_png)), make)
            out.append((PHOTO, r.render(tile, **kw)))
        for name in names:
            r = self._renderer((name,), lambda n=name: MockupRenderer(n, PREVIEW_SIDE))
            out.append((name, r.render(tile, **kw)))
        return out

    @Slot(int, list)
    def _on_ready(self, seq: int, previews: list) -> None:
        if seq <= self._shown:
            return
        self._shown = seq
        self.previews = previews
        self.composites += 1
        self.previewsReady.emit(previews)

    def stop(self) -> None:
        """The window is closing: no more composites."""
        self.active = False
        self._timer.stop()

    # ------------------------------------------------------------------ garment photo
    def _sync_photo(self) -> None:
        """Reload the photo when the design names another one (open, undo)."""
        path = self.settings.photo_path
        if path == self._photo_key:
            return
        self._photo_key = path
        self.photo = None
        if path is not None:
            try:
                self.photo = load_photo(Path(path))
            except Exception as exc:
                self.message.emit(
                    "warning",
                    self.tr("The garment photo %1 could not be read (%2).")
                    .replace("%1", path)
                    .replace("%2", str(exc)),
                )
        self.photoChanged.emit(self.photo)

    def import_photo(self, path: Path) -> None:
        """Read a garment photo and find the garment (engine thread); an undoable edit."""
        try:
            img = load_photo(path)
        except Exception as exc:
            self.message.emit(
                "error",
                self.tr("Could not read %1: %2").replace("%1", path.name).replace("%2", str(exc)),
            )
            return

        def run(worker: Any, progress: Any, cancelled: Any) -> tuple[np.ndarray, str]:
            progress(0.1, "finding the garment")
            return auto_mask(worker, img)

        def done(result: tuple[np.ndarray, str]) -> None:
            from engine.mockup.refine import mask_to_png

            mask, how = result
            self._photo_key = str(path)
            self.photo = img
            self.photoChanged.emit(img)
            self.update(
                self.tr("Garment photo %1").replace("%1", path.name),
                photo_path=str(path),
                photo_mask_png=mask_to_png(mask),
            )
            self.message.emit(
                "info",
                self.tr("Garment found in %1 (%2).").replace("%1", path.name).replace("%2", how),
            )

        self.engine_jobs.run(
            self.tr("Finding the garment in %1").replace("%1", path.name),
            run,
            on_result=done,
            on_error=lambda exc, msg: self.message.emit("error", msg),
        )

    def mask(self) -> np.ndarray | None:
        png = self.settings.photo_mask_png
        if png is None:
            return None
        from engine.mockup.refine import mask_from_png

        return mask_from_png(png)

    def refine(
        self,
        include: np.ndarray | None,
        exclude: np.ndarray | None,
        rect: tuple[int, int, int, int] | None,
    ) -> None:
        """GrabCut with the designer's strokes on a worker (cv2, no torch)."""
        img, current = self.photo, self.mask()
        if img is None:
            return

        def run() -> np.ndarray:
            from engine.mockup.refine import refine_mask

            prob = None if current is None else current.astype(np.float32)
            return refine_mask(img, prob, rect, include, exclude)

        def done(mask: np.ndarray) -> None:
            from engine.mockup.refine import mask_to_png

            self.update(self.tr("Refine garment mask"), photo_mask_png=mask_to_png(mask))
            self.maskRefined.emit(mask)

        self.jobs.run(self.tr("Refining the garment mask"), run, on_result=done)

    def remove_photo(self) -> None:
        self.update(self.tr("Remove garment photo"), photo_path=None, photo_mask_png=None)
