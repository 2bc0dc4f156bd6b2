"""“Match a reference image…”: project an image onto the generator as a cancellable job.

engine.stylegan.projection optimises w on the engine thread (it needs the loaded generator
and, when present, the CLIP encoder); the found w becomes the design's `ws` through one
undoable command, so Undo returns to the seed the design had.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from designer_app.commands import SetFieldsCommand
from designer_app.engine_jobs import EngineJobs
from designer_app.models.design_model import DesignModel

DEFAULT_STEPS = 100


class ProjectionController(QObject):
    finished = Signal(object)  # engine ProjectionResult
    message = Signal(str, str)

    def __init__(
        self, model: DesignModel, engine_jobs: EngineJobs, stack: Any, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.model, self.engine_jobs, self.stack = model, engine_jobs, stack
        self.steps = DEFAULT_STEPS
        self.time_limit_s: float | None = 25.0
        self.job: int | None = None

    def start(self, path: Path) -> int | None:
        from engine.mockup.template import read_image

        try:
            image = read_image(path)
        except Exception as exc:
            self.message.emit("error", str(exc))
            return None
        if self.job is not None:
            self.engine_jobs.cancel(self.job)
        c = self.model.design.condition
        c = None if c is None else np.array(c, np.float32)
        steps, limit = self.steps, self.time_limit_s

        def run(worker: Any, progress: Any, cancelled: Any) -> Any:
            G = getattr(worker.renderer, "G", None)
            if G is None:
                from engine.errors import UserInputError

                raise UserInputError(
                    "matching a reference image needs the StyleGAN generator (none is loaded)"
                )
            from engine.stylegan.projection import project_image

            enc = worker.encoder if hasattr(worker.encoder, "encode_image_tensor") else None
            if enc is not None and getattr(enc, "embed_dim", -1) <= 0:
                enc = None
            return project_image(
                G,
                image,
                encoder=enc,
                c=c,
                steps=steps,
                time_limit_s=limit,
                progress=lambda s, n, loss: progress(s / n, f"step {s}/{n} · loss {loss:.3f}"),
                cancel=cancelled,
            )

        def done(res: Any) -> None:
            self.job = None
            if res.cancelled:
                self.message.emit("info", self.tr("Matching was cancelled."))
                return
            # the match was optimised against the generator's constant noise, so the design
            # renders with that noise from now on (undone together with the latent)
            self.stack.push(
                SetFieldsCommand(
                    self.model,
                    {"ws": np.asarray(res.ws, np.float32), "noise_mode": "const"},
                    self.tr("Match reference %1").replace("%1", path.name),
                )
            )
            self.finished.emit(res)
            self.message.emit(
                "info",
                self.tr("Matched %1 in %2 steps (%3 s).")
                .replace("%1", path.name)
                .replace("%2", str(res.steps))
                .replace("%3", f"{res.seconds:.1f}"),
            )

        def failed(exc: BaseException, msg: str) -> None:
            self.job = None
            self.message.emit("error", self.tr("Could not match the image: %1").replace("%1", msg))

        self.job = self.engine_jobs.run(
            self.tr("Matching %1").replace("%1", path.name), run, on_result=done, on_error=failed
        )
        return self.job
