"""The main window: composes the views, wires actions to handlers, owns the document.

State lives in DesignModel / StudioState; the views listen to them. This file only decides
what each action does and where each panel sits.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
from PySide6.QtCore import QByteArray, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QUndoStack
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QUndoView,
    QVBoxLayout,
    QWidget,
)

from designer_app import documents
from designer_app.actions import Actions
from designer_app.commands import AddOffsetCommand, SetFieldCommand, SetFieldsCommand
from designer_app.condition_cache import ConditionCache
from designer_app.engine_jobs import EngineJobs
from designer_app.engine_worker import EngineSession
from designer_app.export_controller import ExportController
from designer_app.mockup_controller import MockupController
from designer_app.models.design_model import DesignModel
from designer_app.models.studio_state import StudioState
from designer_app.projection import ProjectionController
from designer_app.render_controller import RenderController
from designer_app.settings import StudioSettings
from designer_app.theme import icon, stylesheet
from designer_app.tiling import LAYOUTS
from designer_app.tuner_controller import TunerController
from designer_app.widgets.banner import NO_MODEL_HTML, Banner
from designer_app.widgets.canvas import CanvasView
from designer_app.widgets.descriptor_box import DescriptorBox
from designer_app.widgets.export_panel import ExportPanel
from designer_app.widgets.fidelity_meter import FidelityMeter
from designer_app.widgets.job_status import JobStatus
from designer_app.widgets.mockup_panel import MockupPanel
from designer_app.widgets.region_picker import RegionPicker
from designer_app.widgets.settings_dialog import SettingsDialog
from designer_app.widgets.sliders_panel import SlidersPanel
from designer_app.widgets.tuner_panel import TunerPanel
from designer_app.widgets.variation_grid import VariationGrid
from designer_app.window_documents import DocumentsMixin
from designer_app.window_tools import ToolsMixin
from designer_app.workers import JobManager
from engine.project import Offset


class MainWindow(DocumentsMixin, ToolsMixin, QMainWindow):
    messageShown = Signal(str, str)  # level, text (tests and the self-test watch this)

    def __init__(
        self,
        settings: StudioSettings | None = None,
        model_dir: str | None = None,
        session: EngineSession | None = None,
        interactive: bool = True,
        device: str | None = None,
    ) -> None:
        super().__init__()
        self.device_override = device  # --device: this run only, not saved
        self.interactive = interactive  # False: never block on a dialog (tests, self-test)
        self.settings = settings or StudioSettings()
        self.model_override = model_dir
        self.setWindowTitle("Wenyang Studio 纹样工作室")
        self.setWindowIcon(icon("app"))
        self.setObjectName("mainWindow")
        self.model = DesignModel(parent=self)
        self.state = StudioState(self)
        self.stack = QUndoStack(self)
        self.jobs = JobManager(self)
        self.session = session or EngineSession(parent=self)
        try:
            clip_dir = self.settings.clip_dir()
            self.render = RenderController(
                self.model,
                self.state,
                self.session,
                self.jobs,
                self,
                conditions=ConditionCache(clip_dir),
            )
            # start loading torch and the model now, while the widgets are being built
            self.render.load(
                self.settings.generator_dir(self.model_override),
                clip_dir,
                self.device(),
            )
            # styled before the widgets exist: one polish per widget, not a second pass
            self.apply_theme(str(self.settings.get("theme")))
            self.actions_ = Actions(self)
            self.autosaver = documents.Autosaver()
            self._grid_base = 0
            self._build_ui()
            self._build_menus()
            self._connect()
            geometry, dock_state = self.settings.window_state()
            if geometry is not None:
                self.restoreGeometry(geometry)
            else:
                self.resize(1400, 900)
            if dock_state is not None:
                self.restoreState(dock_state)
            self._autosave_timer = QTimer(self)
            self._autosave_timer.timeout.connect(self.autosave)
            self._autosave_timer.start(int(self.settings.get("autosave_seconds")) * 1000)
            self._sync_from_model("*")
            self._on_model_state()
            self._thumbnails_started = False
            # region thumbnails are drawn after the first frame (or once there is none to
            # wait for): they share the CPU with the torch import and the first render
            self.state.imageChanged.connect(self._start_thumbnails)
            self.state.modelChanged.connect(self._thumbnails_if_no_frame)

        except BaseException:
            # a half-built window must not leave the engine thread or jobs running
            self.jobs.shutdown()
            self.session.shutdown()
            raise

    def device(self) -> str:
        """--device for this run, else the Settings choice."""
        return self.device_override or str(self.settings.get("device"))

    # ------------------------------------------------------------------ building
    def _thumbnails_if_no_frame(self) -> None:
        if self.state.model_state not in ("loading", "ready"):
            self._start_thumbnails()

    def _start_thumbnails(self, *args: object) -> None:
        """After the first frame is drawn: this handler runs inside the frame's signal, before
        the canvas's own handler, so the job starts on the next turn of the event loop. Not
        after the helper process's early frame (request id 0): the engine thread is still
        importing torch and loading the generator then."""
        if self._thumbnails_started or (len(args) > 1 and args[1] == 0):
            return
        self._thumbnails_started = True
        QTimer.singleShot(0, self._run_thumbnails)

    def _run_thumbnails(self) -> None:
        from designer_app.thumbnails import thumbnails

        def show(v: object) -> None:
            if isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], str):
                self.regions.set_thumbnail(v[0], v[1])

        self.jobs.run(
            self.tr("Drawing region thumbnails"),
            thumbnails,
            list(self.regions.cards),
            on_yield=show,
        )
        from designer_app.thumbnails import garment_icons

        self.jobs.run(
            self.tr("Drawing garment icons"),
            garment_icons,
            self.mockup_panel.template_names(),
            on_yield=self.mockup_panel.set_icon,
        )

    def _dock(self, name: str, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        d = QDockWidget(self.tr(title), self)
        d.setObjectName(name)
        d.setWidget(widget)
        self.addDockWidget(area, d)
        return d

    def _build_ui(self) -> None:
        central = QWidget(self)
        v = QVBoxLayout(central)
        self.banner = Banner(central)
        v.addWidget(self.banner)
        bar = QHBoxLayout()
        self.layout_box = QComboBox(central)
        names = {
            "tile": self.tr("Tile alone"),
            "full": self.tr("Full drop"),
            "half-drop": self.tr("Half drop"),
            "half-brick": self.tr("Half brick"),
            "mirror": self.tr("Mirror"),
            "center": self.tr("Centre"),
        }
        for k in LAYOUTS:
            self.layout_box.addItem(names[k], k)
        self.layout_box.setCurrentIndex(1)
        self.seams_box = QCheckBox(self.tr("Seams"), central)
        self.fit_btn = QPushButton(self.tr("Fit"), central)
        bar.addWidget(QLabel(self.tr("Repeat:"), central))
        bar.addWidget(self.layout_box)
        bar.addWidget(self.seams_box)
        bar.addWidget(self.fit_btn)
        bar.addStretch(1)
        self.device_label = QLabel(central)
        self.device_label.setObjectName("hint")
        bar.addWidget(self.device_label)
        v.addLayout(bar)
        self.canvas = CanvasView(central)
        v.addWidget(self.canvas, 1)
        self.setCentralWidget(central)

        design = QWidget(self)
        dl = QVBoxLayout(design)
        self.regions = RegionPicker(design)
        self.descriptors = DescriptorBox(design)
        self.generate_btn = QPushButton(self.tr("Generate"), design)
        self.generate_btn.setObjectName("primary")
        self.generate_btn.setIcon(icon("generate"))
        self.grid = VariationGrid(design)
        dl.addWidget(self.regions)
        dl.addWidget(self.descriptors)
        dl.addWidget(self.generate_btn)
        dl.addWidget(self.grid)
        dl.addStretch(1)
        self.design_dock = self._dock(
            "dock.design", "Design", design, Qt.DockWidgetArea.LeftDockWidgetArea
        )
        self.sliders = SlidersPanel(self.model, self.state, self.stack, self)
        self.sliders_dock = self._dock(
            "dock.sliders", "Sliders", self.sliders, Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.meter = FidelityMeter(self.state, self)
        self.meter_dock = self._dock(
            "dock.fidelity", "Cultural Fidelity", self.meter, Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.history = QUndoView(self.stack, self)
        self.history.setEmptyLabel(self.tr("<new design>"))
        self.history_dock = self._dock(
            "dock.history", "History", self.history, Qt.DockWidgetArea.LeftDockWidgetArea
        )
        self.engine_jobs = EngineJobs(self.session, self.jobs, self)
        self.mockups = MockupController(
            self.model, self.state, self.session, self.jobs, self.engine_jobs, self.stack, self
        )
        self.exports = ExportController(
            self.model, self.state, self.jobs, self.engine_jobs, self.render, self
        )
        self.tuner = TunerController(self.jobs, self)
        self.projection = ProjectionController(self.model, self.engine_jobs, self.stack, self)
        self.export_panel = ExportPanel(self.settings, self.exports, self)
        self.mockup_panel = MockupPanel(self.mockups, self)
        self.tuner_panel = TunerPanel(self.tuner, self)
        self.export_dock = self._dock(
            "dock.export", "Export", self.export_panel, Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.mockup_dock = self._dock(
            "dock.mockup", "Mockup", self.mockup_panel, Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.tuner_dock = self._dock(
            "dock.tuner", "Tuner", self.tuner_panel, Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.tabifyDockWidget(self.export_dock, self.mockup_dock)
        self.tabifyDockWidget(self.mockup_dock, self.tuner_dock)
        self.export_dock.raise_()
        self.job_status = JobStatus(self.jobs, self)
        self.statusBar().addPermanentWidget(self.job_status)
        self.setAcceptDrops(True)

    def _build_menus(self) -> None:
        a = self.actions_
        mb = self.menuBar()
        m = mb.addMenu(self.tr("&File"))
        for aid in ("file.new", "file.open"):
            m.addAction(a[aid])
        self.recent_menu = m.addMenu(self.tr("Open &Recent"))
        for aid in ("file.save", "file.save_as", "file.export_png"):
            m.addAction(a[aid])
        m.addSeparator()
        m.addAction(a["file.quit"])
        m = mb.addMenu(self.tr("&Edit"))
        for aid in ("edit.undo", "edit.redo"):
            m.addAction(a[aid])
        m.addSeparator()
        m.addAction(a["edit.settings"])
        m = mb.addMenu(self.tr("&Design"))
        for aid in (
            "design.generate",
            "design.random_seed",
            "design.match_reference",
            "design.cancel",
            "design.load_policy",
        ):
            m.addAction(a[aid])
        m = mb.addMenu(self.tr("&View"))
        for aid in ("view.zoom_in", "view.zoom_out", "view.zoom_fit", "view.seams", "view.dark"):
            m.addAction(a[aid])
        m.addSeparator()
        for d in (
            self.design_dock,
            self.sliders_dock,
            self.meter_dock,
            self.history_dock,
            self.export_dock,
            self.mockup_dock,
            self.tuner_dock,
        ):
            m.addAction(d.toggleViewAction())
        m = mb.addMenu(self.tr("&Help"))
        m.addAction(a["help.about"])
        tb = self.addToolBar(self.tr("Main"))
        tb.setObjectName("toolbar.main")
        for aid in (
            "file.new",
            "file.open",
            "file.save",
            "edit.undo",
            "edit.redo",
            "design.generate",
            "view.zoom_fit",
        ):
            tb.addAction(a[aid])
        self._refresh_recent()

    def _connect(self) -> None:
        a = self.actions_
        a["file.new"].triggered.connect(self.new_design)
        a["file.open"].triggered.connect(lambda: self.open_dialog())
        a["file.save"].triggered.connect(lambda: self.save())
        a["file.save_as"].triggered.connect(lambda: self.save_as())
        a["file.export_png"].triggered.connect(self._export_tile_dialog)
        a["file.quit"].triggered.connect(self.close)
        a["edit.undo"].triggered.connect(self.stack.undo)
        a["edit.redo"].triggered.connect(self.stack.redo)
        self.stack.canUndoChanged.connect(a["edit.undo"].setEnabled)
        self.stack.canRedoChanged.connect(a["edit.redo"].setEnabled)
        self.stack.undoTextChanged.connect(
            lambda t: a["edit.undo"].setText(self.tr("&Undo %1").replace("%1", t))
        )
        self.stack.redoTextChanged.connect(
            lambda t: a["edit.redo"].setText(self.tr("&Redo %1").replace("%1", t))
        )
        a["edit.undo"].setEnabled(False)
        a["edit.redo"].setEnabled(False)
        self.stack.cleanChanged.connect(lambda clean: self.model.set_dirty(not clean))
        a["edit.settings"].triggered.connect(self.open_settings)
        a["design.generate"].triggered.connect(self.generate)
        a["design.random_seed"].triggered.connect(self.random_seed)
        a["design.cancel"].triggered.connect(self.jobs.cancel_all)
        a["design.load_policy"].triggered.connect(self.load_policy_dialog)
        a["design.load_policy"].setEnabled(not self.tuner_panel.missing)
        a["view.zoom_in"].triggered.connect(self.canvas.zoom_in)
        a["view.zoom_out"].triggered.connect(self.canvas.zoom_out)
        a["view.zoom_fit"].triggered.connect(self.canvas.fit)
        a["view.seams"].toggled.connect(self.seams_box.setChecked)
        self.seams_box.toggled.connect(a["view.seams"].setChecked)
        self.seams_box.toggled.connect(self.canvas.set_show_seams)
        a["view.dark"].setChecked(self.settings.get("theme") == "dark")
        a["view.dark"].toggled.connect(
            lambda on: self.apply_theme("dark" if on else "light", save=True)
        )
        a["help.about"].triggered.connect(self._about)
        self.fit_btn.clicked.connect(self.canvas.fit)
        self.layout_box.currentIndexChanged.connect(self._on_layout_box)
        self.generate_btn.clicked.connect(self.generate)
        self.regions.regionPicked.connect(self._on_region_picked)
        self.descriptors.textCommitted.connect(self._on_text_committed)
        self.grid.picked.connect(self.pick_variation)
        self.sliders.textDirectionRequested.connect(self.render.request_text_direction)
        self.render.is_dragging = self.sliders.any_slider_down
        self.sliders.dragReleased.connect(self.render.drag_ended)
        self.render.textDirectionReady.connect(self._on_text_direction)
        self.render.unknownWords.connect(self.descriptors.set_encoder_unknown)
        self.render.gridStarted.connect(self.grid.start)
        self.render.gridTile.connect(self.grid.set_tile)
        self.render.gridFinished.connect(self.grid.finish)
        self.render.notice.connect(lambda m: self.show_message("info", m))
        self.render.failed.connect(lambda m: self.show_message("error", m))
        self.jobs.failed.connect(lambda n, m: self.show_message("error", f"{n} failed: {m}"))
        self.jobs.notice.connect(lambda m: self.show_message("info", m))
        self.state.imageChanged.connect(lambda img, rid: self.canvas.set_tile(img, rid))
        self.state.modelChanged.connect(self._on_model_state)
        self.model.changed.connect(self._sync_from_model)
        self.model.dirtyChanged.connect(lambda _: self._update_title())
        self.model.pathChanged.connect(lambda _: self._update_title())
        self.canvas.filesDropped.connect(self.handle_drop)
        self.banner.chooseModel.connect(self.choose_model_dir)
        self.export_panel.exportRequested.connect(self.export_print)
        self.export_panel.tileRequested.connect(self.export_tile)
        self.tuner_panel.loadPolicyRequested.connect(self.load_policy_dialog)
        self.tuner_panel.applyPolicy.connect(lambda p: self.load_policy(p))
        a["design.match_reference"].triggered.connect(self.match_reference_dialog)
        for ctl in (self.mockups, self.exports, self.tuner, self.projection):
            ctl.message.connect(self.show_message)
        self.mockups.active = False  # until the Mockup dock is on screen
        self.mockup_dock.visibilityChanged.connect(self._on_mockup_visible)

    def _on_mockup_visible(self, visible: bool) -> None:
        """A hidden Mockup dock costs nothing: composites only while it is on screen."""
        self.mockups.active = visible
        if visible:
            self.mockup_panel.ensure_gallery()
            self.mockups.schedule()

    # ------------------------------------------------------------------ model → views
    def _sync_from_model(self, field: str) -> None:
        d = self.model.design
        if field in ("*", "region"):
            self.regions.set_region(d.region)
            self.meter.set_region(d.region)
        if field in ("*", "text"):
            self.descriptors.set_text(d.text)
        if field in ("*", "repeat"):
            i = self.layout_box.findData(d.repeat)
            if i >= 0 and self.layout_box.currentData() != "tile":
                self.layout_box.blockSignals(True)
                self.layout_box.setCurrentIndex(i)
                self.layout_box.blockSignals(False)
                self.canvas.set_layout(d.repeat)
        self._update_title()

    def _on_model_state(self) -> None:
        s = self.state
        self.generate_btn.setEnabled(s.model_state == "ready")
        self.actions_["design.generate"].setEnabled(s.model_state == "ready")
        if s.model_state == "missing":
            detail = s.model_message.replace("&", "&amp;").replace("<", "&lt;")
            self.banner.show_message(
                "no-model", NO_MODEL_HTML.format(detail=detail), can_choose=True
            )
            self.canvas.set_empty_text(self.tr("No generator: see the banner above."))
            self.device_label.setText(self.tr("no model"))
        elif s.model_state == "ready":
            if self.banner.kind == "no-model":
                self.banner.hide()
                self.banner.kind = ""
            info = s.info
            self.device_label.setText(f"{info.model_id} · {info.resolution}px · {s.device}")
        else:
            self.device_label.setText(self.tr("loading model…"))

    def _update_title(self) -> None:
        name = self.model.path.name if self.model.path else self.tr("Untitled")
        self.setWindowTitle(f"{name}[*] — Wenyang Studio 纹样工作室")
        self.setWindowModified(self.model.dirty)

    # ------------------------------------------------------------------ user edits
    def _on_region_picked(self, region_id: str) -> None:
        if region_id != self.model.design.region:
            from designer_app import lexicon

            r = lexicon.region(region_id)
            self.stack.push(
                SetFieldCommand(
                    self.model,
                    "region",
                    region_id,
                    self.tr("Region → %1").replace("%1", f"{r.name_en} {r.name_zh}"),
                )
            )

    def _on_text_committed(self, text: str) -> None:
        if text != self.model.design.text:
            self.stack.push(
                SetFieldCommand(
                    self.model, "text", text, self.tr("Descriptors → “%1”").replace("%1", text)
                )
            )

    def _on_layout_box(self, _: int) -> None:
        layout = str(self.layout_box.currentData())
        self.canvas.set_layout(layout)
        if layout != "tile" and layout != self.model.design.repeat:
            self.stack.push(
                SetFieldCommand(
                    self.model, "repeat", layout, self.tr("Repeat → %1").replace("%1", layout)
                )
            )

    def generate(self) -> bool:
        self.descriptors._commit()
        seeds = [self._grid_base + i for i in range(9)]
        self._grid_base += 9
        ok = self.render.generate(seeds)
        if not ok:
            self.show_message("error", self.tr("No generator is loaded: see the banner."))
        return ok

    def pick_variation(self, index: int) -> None:
        if index >= len(self.render.grid_seeds):
            return
        seed = self.render.grid_seeds[index]
        self.stack.push(
            SetFieldsCommand(
                self.model,
                {"seed": seed, "ws": None, "noise_seed": None},
                self.tr("Pick variation (seed %1)").replace("%1", str(seed)),
            )
        )

    def random_seed(self) -> None:
        s = random.randrange(10000)
        self.stack.push(
            SetFieldCommand(self.model, "seed", s, self.tr("Seed → %1").replace("%1", str(s)))
        )

    def _on_text_direction(self, text: str, parts: object, message: str) -> None:
        """Add "more X" as one slider driving its direction on each layer range it acts on."""
        if not parts:
            self.sliders.text_direction_done(message)
            self.show_message("info", message)
            return
        gid = f"text:{text}"
        if not self.model.group(gid):
            offsets = [
                Offset(f"{gid}#{i}", 1.0, (int(a), int(b)), np.asarray(vec, np.float32), text)
                for i, (vec, (a, b)) in enumerate(parts)  # type: ignore[arg-type]
            ]
            self.stack.push(
                AddOffsetCommand(
                    self.model, offsets, self.tr("Add text direction “%1”").replace("%1", text)
                )
            )
        self.sliders.text_direction_done("")

    def choose_model_dir(self) -> None:
        d = QFileDialog.getExistingDirectory(self, self.tr("Generator folder"))
        if d:
            self.settings.set("generator_dir", d)
            self.model_override = None
            self.render.load(Path(d), self.settings.clip_dir(), self.device())

    def open_settings(self) -> None:
        dlg = SettingsDialog(self.settings, self)
        if dlg.exec():
            changed = dlg.apply()
            if "theme" in changed:
                self.apply_theme(str(self.settings.get("theme")))
            if "autosave_seconds" in changed:
                self._autosave_timer.start(int(self.settings.get("autosave_seconds")) * 1000)
            if changed & {"device", "generator_dir", "clip_dir"}:
                self.render.load(
                    self.settings.generator_dir(self.model_override),
                    self.settings.clip_dir(),
                    self.device(),
                )

    def apply_theme(self, theme: str, save: bool = False) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.setStyleSheet(stylesheet(theme))
        if save:
            self.settings.set("theme", theme)

    def show_message(self, level: str, text: str) -> None:
        """Errors as dialogs (interactive) and always in the status bar; never raises."""
        self.messageShown.emit(level, text)
        self.statusBar().showMessage(text, 8000)
        if self.interactive and level == "error":
            QMessageBox.warning(self, self.tr("Wenyang Studio"), text)

    def _about(self) -> None:
        from designer_app import __version__

        QMessageBox.about(
            self,
            self.tr("About Wenyang Studio"),
            self.tr(
                "<b>Wenyang Studio 纹样工作室</b> %1<br>Culturally grounded apparel pattern design "
                "with a local StyleGAN2 and CLIP."
            ).replace("%1", __version__),
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.maybe_save():
            event.ignore()
            return
        self.settings.save_window_state(
            QByteArray(self.saveGeometry()), QByteArray(self.saveState())
        )
        self.settings.sync()
        self._autosave_timer.stop()
        self.render.stop()
        self.mockups.stop()
        self.export_panel.stop()
        self.jobs.cancel_all()
        self.jobs.shutdown()
        self.session.shutdown()
        self.autosaver.close()
        event.accept()
