"""Export work for the Export dock: ink reduction, layered SVG, colourways, A/B batches.

Everything runs as a job off the GUI thread through engine.export / engine.abtest (numpy and
cv2 on the worker pool; the A/B batch renders with the loaded generator, so it runs on the
engine thread). Progress goes to the status bar, and cancel stops a job at its next progress
report (the job's `progress` raises there).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from designer_app.engine_jobs import EngineJobs
from designer_app.models.design_model import DesignModel
from designer_app.models.studio_state import StudioState
from designer_app.workers import JobManager


class ExportController(QObject):
    inksReady = Signal(object)  # engine.export.inks.InkImage
    sheetReady = Signal(object)  # colourway sheet (uint8 image)
    written = Signal(str, object)  # what, path(s)
    message = Signal(str, str)  # level, text

    def __init__(
        self,
        model: DesignModel,
        state: StudioState,
        jobs: JobManager,
        engine_jobs: EngineJobs,
        render: Any,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.model, self.state, self.jobs, self.engine_jobs = model, state, jobs, engine_jobs
        self.render = render  # RenderController: grid seeds, policy offset
        self.inks: Any = None  # the last reduction (palette shown as swatches)
        self.locked: list[tuple[int, int, int]] = []
        self.colourways: list[Any] = []

    def provenance(self) -> Any:
        from engine.export.provenance import Provenance

        d = self.model.design
        return Provenance(
            region=d.region,
            descriptors=d.text,
            seed=str(d.seed),
            model_id=d.model.model_id if d.model else "",
            model_hash=d.model.model_hash if d.model else "",
            policy_id=d.policy.policy_id if d.policy else "",
        ).with_created()

    def _tile(self) -> np.ndarray | None:
        img = self.state.image
        if img is None:
            self.message.emit("error", self.tr("Nothing to export yet: generate a design first."))
        return img

    def _snap(self, snap: bool) -> Any:
        if not snap:
            return None
        from engine.export.palettes import region_colours

        return region_colours(self.model.design.region)

    # ------------------------------------------------------------------ inks
    def reduce(self, n_inks: int, snap: bool) -> None:
        """Ink reduction preview (the palette the SVG will have)."""
        tile = self._tile()
        if tile is None:
            return
        snap_to, locked = self._snap(snap), list(self.locked)

        def run() -> Any:
            from engine.export.inks import reduce_inks

            return reduce_inks(tile, n_inks, snap=snap_to, locked=locked)

        def done(inks: Any) -> None:
            self.inks = inks
            self.inksReady.emit(inks)

        self.jobs.run(
            self.tr("Reducing to %1 inks").replace("%1", str(n_inks)), run, on_result=done
        )

    def toggle_lock(self, rgb: tuple[int, int, int]) -> bool:
        """Lock (or unlock) an ink colour: locked colours stay exactly in later reductions."""
        if rgb in self.locked:
            self.locked.remove(rgb)
            return False
        self.locked.append(rgb)
        return True

    def export_svg(self, path: Path, spec: Any, n_inks: int, snap: bool) -> None:
        tile = self._tile()
        if tile is None:
            return
        snap_to, locked, prov = self._snap(snap), list(self.locked), self.provenance()

        def run(progress: Any) -> Any:
            from engine.export.svg_export import export_svg

            return export_svg(
                tile,
                path,
                spec,
                n_inks=n_inks,
                snap=snap_to,
                locked=locked,
                provenance=prov,
                progress=progress,
            )

        def done(inks: Any) -> None:
            self.inks = inks
            self.inksReady.emit(inks)
            self.written.emit("svg", path)
            self.message.emit(
                "info",
                self.tr("Exported %1 (%2 ink layers)")
                .replace("%1", str(path))
                .replace("%2", str(inks.n_inks)),
            )

        self.jobs.run(
            self.tr("Exporting %1").replace("%1", path.name),
            run,
            with_progress=True,
            on_result=done,
        )

    # ------------------------------------------------------------------ colourways
    def preview_colourways(self, k: int, n_inks: int, snap: bool) -> None:
        tile = self._tile()
        if tile is None:
            return
        region, snap_to, locked = self.model.design.region, self._snap(snap), list(self.locked)

        def run() -> tuple[Any, list[Any], np.ndarray]:
            from engine.export.colourways import colourway_sheet, region_colourways
            from engine.export.inks import reduce_inks

            inks = reduce_inks(tile, n_inks, snap=snap_to, locked=locked)
            cws = region_colourways(region, inks.n_inks, k)
            return inks, cws, colourway_sheet(inks, cws, cell=160)

        def done(r: tuple[Any, list[Any], np.ndarray]) -> None:
            self.inks, self.colourways, sheet = r
            self.inksReady.emit(self.inks)
            self.sheetReady.emit(sheet)

        self.jobs.run(self.tr("Colourways"), run, on_result=done)

    def export_colourways(self, folder: Path, spec: Any) -> None:
        """One layered SVG per colourway (+ the sheet) into `folder`."""
        inks, cws, prov = self.inks, list(self.colourways), self.provenance()
        if inks is None or not cws:
            self.message.emit("error", self.tr("Preview the colourways first."))
            return

        def run(progress: Any) -> list[Path]:
            from PIL import Image

            from engine.atomic import atomic_path
            from engine.export.colourways import colourway_sheet, recolour
            from engine.export.svg_export import export_svg

            folder.mkdir(parents=True, exist_ok=True)
            out: list[Path] = []
            for j, cw in enumerate(cws, 1):
                ink = recolour(inks, cw)
                target = folder / f"colourway{j}.svg"

                def part(f: float, j: int = j) -> None:
                    progress((j - 1 + f) / len(cws))

                export_svg(ink.image(), target, spec, provenance=prov, inks=ink, progress=part)
                out.append(target)
            sheet = folder / "colourways.png"
            with atomic_path(sheet) as tmp:
                Image.fromarray(colourway_sheet(inks, cws)).save(tmp, format="PNG")
            out.append(sheet)
            return out

        def done(paths: list[Path]) -> None:
            self.written.emit("colourways", paths)
            self.message.emit(
                "info",
                self.tr("Wrote %1 colourway files to %2")
                .replace("%1", str(len(paths)))
                .replace("%2", str(folder)),
            )

        self.jobs.run(self.tr("Exporting colourways"), run, with_progress=True, on_result=done)

    # ------------------------------------------------------------------ A/B batch
    def export_batch(self, folder: Path) -> None:
        """The current variation grid (its seeds) as an A/B batch folder for the tuner."""
        seeds = list(self.render.grid_seeds)
        if not seeds:
            self.message.emit("error", self.tr("Generate a variation grid first."))
            return
        d = self.model.design
        policy_offset = self.render._policy_offset()
        c = None if d.condition is None else d.condition.copy()
        pid = d.policy.policy_id if d.policy else ""

        def run(worker: Any, progress: Any, cancelled: Any) -> Path:
            from engine.abtest.batch import BatchSpec, render_variants, write_batch

            r = worker.renderer
            if r is None:
                from engine.errors import UserInputError

                raise UserInputError("no generator is loaded")
            spec = BatchSpec(
                region=d.region,
                text=d.text,
                n=len(seeds),
                seed=seeds[0],
                truncation=float(d.truncation),
                policy_id=pid,
                truncate_to=d.truncate_to,
                use_prior=d.condition_prior,
                noise_mode=d.noise_mode,
                prior_by_region=d.prior_by_region,
                prior_faithful=d.prior_faithful,
            )
            variants = render_variants(r, spec, c, policy_offset, progress=progress)
            progress(0.95, "writing")
            return write_batch(
                folder,
                spec,
                variants,
                model_id=str(r.info.model_id),
                model_hash=str(r.info.model_hash),
                c=c,
            )

        def done(path: Path) -> None:
            self.written.emit("batch", path)
            self.message.emit("info", self.tr("Wrote the A/B batch %1").replace("%1", str(path)))

        self.engine_jobs.run(
            self.tr("Exporting the A/B batch"),
            run,
            on_result=done,
            on_error=lambda exc, msg: self.message.emit("error", msg),
        )
