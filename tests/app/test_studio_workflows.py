"""Workflow tests of the studio on a fake (numpy) engine: fast, and about the GUI itself."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from studio_fakes import FakeRenderer, wait_idle

from engine.errors import UserInputError
from engine.project import load_project


def test_window_opens_on_a_frame_with_eight_region_cards(qtbot, make_window):
    w = make_window()
    wait_idle(qtbot, w)
    assert w.canvas.tile is not None and w.canvas.tile.shape == (16, 16, 3)
    assert len(w.regions.cards) == 8
    assert not w.banner.isVisible()
    assert w.generate_btn.isEnabled()
    assert "fake" in w.device_label.text()


def test_generate_fills_grid_and_picking_opens_tile_on_canvas(qtbot, make_window):
    w = make_window()
    wait_idle(qtbot, w)
    assert w.generate()
    qtbot.waitUntil(lambda: w.render.grid_job is None, timeout=10000)
    assert w.grid.filled() == 9
    assert len({im.tobytes() for im in w.render.grid_images}) == 9
    qtbot.mouseClick(w.grid.buttons[5], Qt.MouseButton.LeftButton)
    wait_idle(qtbot, w)
    assert w.model.design.seed == w.render.grid_seeds[5]
    assert np.array_equal(w.state.image, w.render.grid_images[5])
    assert w.stack.text(w.stack.index() - 1).startswith("Pick variation")


def test_a_slider_drag_is_one_undo_step_and_undo_restores_pixels(qtbot, make_window):
    w = make_window()
    wait_idle(qtbot, w)
    before = w.state.image.copy()
    s = w.sliders.truncation.slider
    s.setSliderDown(True)
    for v in range(70, 130, 5):
        s.setValue(v)
    s.setSliderDown(False)
    wait_idle(qtbot, w)
    assert w.stack.count() == 1
    assert w.stack.text(0) == "Truncation ψ → 1.25"
    assert w.model.design.truncation == pytest.approx(1.25)
    after = w.state.image.copy()
    assert not np.array_equal(before, after)
    w.actions_["edit.undo"].trigger()
    wait_idle(qtbot, w)
    assert w.model.design.truncation == pytest.approx(0.7)
    assert np.array_equal(w.state.image, before)
    assert w.sliders.truncation.value() == pytest.approx(0.7)
    w.actions_["edit.redo"].trigger()
    wait_idle(qtbot, w)
    assert np.array_equal(w.state.image, after)
    # a second drag of the same slider is a new history entry
    s.setSliderDown(True)
    s.setValue(40)
    s.setSliderDown(False)
    assert w.stack.count() == 2


def test_descriptors_show_unknown_words_and_complete_from_lexicon(qtbot, make_window):
    w = make_window()
    wait_idle(qtbot, w)
    box = w.descriptors
    terms = box.completer.model().stringList()
    assert len(terms) > 50 and "敦煌" in terms
    qtbot.keyClicks(box.edit, "golden ribbons flurbish")
    box.edit.editingFinished.emit()
    assert "flurbish" in box.unknown.text()
    assert w.model.design.text == "golden ribbons flurbish"
    assert w.stack.text(0).startswith("Descriptors")
    box.completer.setCompletionPrefix("apsa")
    assert box.completer.completionCount() >= 1


def test_region_pick_is_undoable_and_reencodes_condition(qtbot, make_window):
    w = make_window(renderer=FakeRenderer(c_dim=4))
    wait_idle(qtbot, w)
    c0 = w.model.design.condition.copy()
    qtbot.mouseClick(w.regions.cards["miao"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not np.array_equal(w.model.design.condition, c0), timeout=5000)
    assert w.model.design.region == "miao" and "Miao" in w.stack.text(0)
    w.stack.undo()
    qtbot.waitUntil(lambda: np.array_equal(w.model.design.condition, c0), timeout=5000)
    assert w.regions.current() == "dunhuang"


def test_save_and_reopen_gives_identical_pixels(qtbot, make_window, tmp_path):
    w = make_window(renderer=FakeRenderer(c_dim=4))
    wait_idle(qtbot, w)
    w.sliders.seed.slider.setValue(321)
    w.sliders.mix_on.setChecked(True)
    wait_idle(qtbot, w)
    image = w.state.image.copy()
    path = tmp_path / "d.wenyang"
    assert w.save_to(path) and not w.model.dirty
    assert str(path.resolve()) in w.settings.recent_files()
    assert w.recent_menu.actions()[0].text() == "d.wenyang"
    w.new_design()
    wait_idle(qtbot, w)
    assert not np.array_equal(w.state.image, image)
    assert w.open_path(path)
    wait_idle(qtbot, w)
    assert np.array_equal(w.state.image, image)
    d = load_project(path)
    assert d.seed == 321 and d.mix_seed is not None and d.model.model_id == "fake"


def test_a_broken_project_file_is_reported_and_the_design_kept(qtbot, make_window, tmp_path):
    w = make_window()
    wait_idle(qtbot, w)
    w.sliders.seed.slider.setValue(7)
    bad = tmp_path / "bad.wenyang"
    bad.write_text('{"format": "wenyang-project", "version": 1, "region": "miao", "seed": "x"}')
    with qtbot.waitSignal(w.messageShown) as sig:
        assert not w.open_path(bad, ask=False)
    level, text = sig.args
    assert level == "error" and "bad.wenyang" in text and "seed" in text
    assert w.model.design.seed == 7


def test_without_a_generator_the_banner_explains_and_the_rest_works(qtbot, make_window, tmp_path):
    def missing(d, dev):
        raise UserInputError("no generator found in assets/models/generator", path=str(d))

    w = make_window(renderer_factory=missing)
    qtbot.waitUntil(lambda: w.state.model_state == "missing", timeout=5000)
    assert w.banner.isVisible() and "wenyang train gan" in w.banner.text.text()
    assert not w.generate_btn.isEnabled()
    assert not w.generate()
    qtbot.mouseClick(w.regions.cards["xinjiang"], Qt.MouseButton.LeftButton)
    assert w.model.design.region == "xinjiang"
    assert w.save_to(tmp_path / "x.wenyang")
    assert "Loading models" not in [j.name for j in w.jobs.jobs.values()]


def test_a_failing_render_is_reported_and_the_window_survives(qtbot, make_window):
    r = FakeRenderer()
    w = make_window(renderer=r)
    wait_idle(qtbot, w)
    good = r.render

    def boom(req):
        raise RuntimeError("simulated failure")

    r.render = boom
    with qtbot.waitSignal(w.messageShown, timeout=5000) as sig:
        w.sliders.seed.slider.setValue(5)
    assert sig.args[0] == "error" and "simulated failure" in sig.args[1]
    r.render = good
    w.sliders.seed.slider.setValue(6)
    qtbot.waitUntil(lambda: w.render.idle(), timeout=5000)
    assert w.isVisible() and w.model.design.seed == 6


def test_render_worker_keeps_only_the_newest_request(qtbot, make_window):
    r = FakeRenderer(delay_s=0.05)
    w = make_window(renderer=r)
    wait_idle(qtbot, w)
    calls0 = r.calls
    for v in range(1, 40):
        w.model.set("seed", v)
        w.render._submit()  # bypass the throttle: flood the worker
    wait_idle(qtbot, w)
    assert r.calls - calls0 < 10  # superseded requests were never rendered
    newest = r.request_class(seed=39, truncation=0.7, noise_mode="seeded")  # as the design
    assert np.array_equal(w.state.image, r.render(newest).image)


def test_autosave_and_recovery_after_a_crash(qtbot, make_window, tmp_path):
    from designer_app import documents

    w = make_window()
    wait_idle(qtbot, w)
    w.sliders.seed.slider.setValue(4242)
    assert w.model.dirty
    saved = w.autosave()
    assert saved is not None and load_project(saved).seed == 4242
    # simulate a crash: the lock names a process that does not exist
    w.autosaver.lock.write_text("999999999")
    found = documents.find_recoverable()
    assert [f.autosave for f in found] == [saved]
    w2 = make_window(settings_path=tmp_path / "s2.ini")
    assert w2.offer_recovery()
    assert w2.model.design.seed == 4242 and w2.model.dirty
    assert documents.find_recoverable() == []


def test_text_direction_adds_an_undoable_slider(qtbot, make_window):
    w = make_window(renderer=FakeRenderer(c_dim=4))
    wait_idle(qtbot, w)
    before = w.state.image.copy()
    w.sliders.text_edit.setText("more golden ribbons")
    w.sliders.text_add.click()
    qtbot.waitUntil(lambda: "text:more golden ribbons" in w.sliders.sliders, timeout=5000)
    assert [o.id for o in w.model.design.offsets] == ["text:more golden ribbons#0"]
    wait_idle(qtbot, w)
    assert not np.array_equal(w.state.image, before)
    assert w.stack.text(w.stack.index() - 1) == "Add text direction “more golden ribbons”"
    w.stack.undo()
    qtbot.waitUntil(lambda: "text:more golden ribbons" not in w.sliders.sliders, timeout=5000)
    wait_idle(qtbot, w)
    assert np.array_equal(w.state.image, before)


def test_directions_from_the_engine_become_grouped_sliders(qtbot, make_window):
    w = make_window()
    wait_idle(qtbot, w)
    assert "engine.directions" in w.sliders.dir_box.findChildren(type(w.device_label))[0].text()
    vec = np.ones(8, np.float32)
    w.session.signals.directionsReady.emit(  # as engine_worker.load_directions sends them
        [
            ("gold", "attribute", (2, 6), vec),
            ("d0", "coarse", (0, 2), vec),
            ("d1", "fine", (4, 6), -vec),
        ]
    )
    qtbot.waitUntil(lambda: "attr:gold" in w.sliders.sliders, timeout=3000)
    assert {"attr:gold", "dir:coarse:d0", "dir:fine:d1"} <= set(w.sliders.sliders)
    before = w.state.image.copy()
    w.sliders.sliders["dir:fine:d1"].slider.setValue(40)
    wait_idle(qtbot, w)
    assert not np.array_equal(before, w.state.image)
    assert w.model.design.offset("dir:fine:d1").strength == pytest.approx(2.0)


def test_a_per_region_slider_follows_the_designs_region_and_its_undo(qtbot, make_window):
    """A named slider with its own vector per region adds the design's region's vector;
    picking another region turns it to that region's (strength kept), undo turns it back."""
    w = make_window()
    wait_idle(qtbot, w)
    eye = np.eye(8, dtype=np.float32)
    start = w.model.design.region
    other = "hakka" if start != "hakka" else "miao"
    w.session.signals.directionsReady.emit(
        [("gold", "attribute", (0, 6), eye[0], {start: 2 * eye[1], other: 3 * eye[2]})]
    )
    qtbot.waitUntil(lambda: "attr:gold" in w.sliders.sliders, timeout=3000)
    assert "in each region" in w.sliders.sliders["attr:gold"].toolTip()
    w.sliders.sliders["attr:gold"].slider.setValue(40)
    wait_idle(qtbot, w)
    o = w.model.design.offset("attr:gold")
    np.testing.assert_array_equal(o.vector, 2 * eye[1])
    before = w.state.image.copy()
    w._on_region_picked(other)
    wait_idle(qtbot, w)
    o = w.model.design.offset("attr:gold")
    np.testing.assert_array_equal(o.vector, 3 * eye[2])
    assert o.strength == pytest.approx(2.0)
    assert not np.array_equal(before, w.state.image)
    w.stack.undo()
    wait_idle(qtbot, w)
    assert w.model.design.region == start
    np.testing.assert_array_equal(w.model.design.offset("attr:gold").vector, 2 * eye[1])
    w.stack.undo()  # the drag: the slider goes back to 0 along the region's own vector
    wait_idle(qtbot, w)
    assert w.model.offset_strength("attr:gold") == 0.0


def test_canvas_repeats_zoom_and_seams(qtbot, make_window):
    w = make_window()
    wait_idle(qtbot, w)
    assert w.canvas.shown_image.shape == (64, 64, 3)  # 4×4 repeats of a 16 px tile
    w.layout_box.setCurrentIndex(w.layout_box.findData("tile"))
    assert w.canvas.shown_image.shape == (16, 16, 3)
    w.layout_box.setCurrentIndex(w.layout_box.findData("mirror"))
    img = w.canvas.shown_image
    assert np.array_equal(img[:, 16:32], img[:, 0:16][:, ::-1])
    assert w.model.design.repeat == "mirror"
    w.actions_["view.seams"].trigger()
    assert w.canvas.seam_item.isVisible() and not w.canvas.seam_item.path().isEmpty()
    z = w.canvas.zoom
    w.actions_["view.zoom_in"].trigger()
    assert w.canvas.zoom == pytest.approx(z * 1.25)


def test_fidelity_meter_follows_the_image(qtbot, make_window):
    w = make_window()
    qtbot.waitUntil(lambda: w.state.probabilities is not None, timeout=5000)
    assert w.meter.fidelity() is not None
    assert "Cultural fidelity" in w.meter.headline.text()
    rid = w.state.image_id
    w.sliders.seed.slider.setValue(99)
    qtbot.waitUntil(
        lambda: w.state.image_id > rid and w.state.probabilities is not None, timeout=5000
    )


def test_meter_says_when_no_encoder(qtbot, make_window):
    w = make_window(encoder=None)
    qtbot.waitUntil(lambda: bool(w.state.encoder_message), timeout=5000)
    assert "not available" in w.meter.headline.text()


def test_dropped_files_get_a_clear_message(qtbot, make_window, tmp_path):
    w = make_window()
    with qtbot.waitSignal(w.messageShown) as sig:
        w.handle_drop([str(tmp_path / "photo.jpg")])  # a missing reference image
    assert "photo.jpg" in sig.args[1] and "missing" in sig.args[1]
    with qtbot.waitSignal(w.messageShown) as sig:
        w.handle_drop([str(tmp_path / "notes.docx")])
    assert "expected a .wenyang project" in sig.args[1]


def test_geometry_and_dock_state_are_restored(qtbot, make_window, tmp_path):
    ini = tmp_path / "geo.ini"
    w = make_window(settings_path=ini)
    w.history_dock.hide()
    w.resize(1234, 801)
    w.close()
    w2 = make_window(settings_path=ini)
    assert not w2.history_dock.isVisible()
    geometry, state = w2.settings.window_state()
    assert geometry is not None and state is not None and not geometry.isEmpty()


def test_actions_have_stable_unique_ids_texts_and_shortcuts(qtbot, make_window):
    from designer_app.actions import SPECS

    w = make_window()
    ids = [s.id for s in SPECS]
    assert len(ids) == len(set(ids))
    for aid in ids:
        a = w.actions_[aid]
        assert a.objectName() == aid and a.text()
    assert w.actions_["file.save"].shortcut().toString() == "Ctrl+S"
    assert w.actions_["edit.undo"].shortcut().toString() == "Ctrl+Z"


def test_themes_and_icons_load_with_or_without_compiled_resources(qtbot, make_window):
    from designer_app import theme

    w = make_window()
    for name in ("light", "dark"):
        assert "QMainWindow" in theme.stylesheet(name)
    w.actions_["view.dark"].trigger()
    assert "#1E2127" in w.styleSheet() or "#1E2127" in qtbot_app_stylesheet()
    assert not theme.icon("app").isNull()
    assert Path(theme.resource_path("icons/app.svg").lstrip(":")).name == "app.svg"


def test_without_compiled_resources_files_are_used(monkeypatch):
    from designer_app import theme

    monkeypatch.setattr(theme, "have_resources", lambda: False)
    theme.icon.cache_clear()
    try:
        path = theme.resource_path("style/dark.qss")
        assert Path(path).is_file()
        assert "QMainWindow" in theme.stylesheet("dark")
        assert not theme.icon("save").isNull()
    finally:
        theme.icon.cache_clear()


def qtbot_app_stylesheet() -> str:
    from PySide6.QtWidgets import QApplication

    return QApplication.instance().styleSheet()


def test_cancel_stops_a_grid(qtbot, make_window):
    r = FakeRenderer(delay_s=0.05)
    w = make_window(renderer=r)
    wait_idle(qtbot, w)
    w.generate()
    qtbot.waitUntil(lambda: w.grid.filled() >= 1, timeout=5000)
    w.actions_["design.cancel"].trigger()
    qtbot.waitUntil(lambda: w.render.grid_job is None, timeout=5000)
    assert w.grid.filled() < 9 and not w.jobs.jobs


def test_settings_persist_in_the_user_data_dir(qtbot, tmp_path):
    from designer_app.settings import StudioSettings

    s = StudioSettings()
    assert s.path.parent == Path(os.environ["WENYANG_DATA_DIR"])
    s.set("device", "cpu")
    s.set("generator_dir", str(tmp_path))
    s.sync()
    s2 = StudioSettings()
    assert s2.get("device") == "cpu" and s2.generator_dir() == tmp_path
    os.environ["WENYANG_GENERATOR_DIR"] = "/x"
    try:
        assert s2.generator_dir() == Path("/x") and s2.generator_dir("/y") == Path("/y")
    finally:
        del os.environ["WENYANG_GENERATOR_DIR"]


def _write_policy(path: Path, w_dim: int = 8, num_ws: int = 6) -> Path:
    from engine.culture import REGION_IDS
    from engine.tuner.policy import Policy, save_policy

    rng = np.random.default_rng(5)
    r, h, k = len(REGION_IDS), 6, 3
    weights = {
        "l0.weight": rng.standard_normal((h, r)).astype(np.float32),
        "l0.bias": np.ones(h, np.float32),
        "l1.weight": rng.standard_normal((h, h)).astype(np.float32),
        "l1.bias": np.zeros(h, np.float32),
        "l2.weight": rng.standard_normal((k, h)).astype(np.float32),
        "l2.bias": np.ones(k, np.float32),
        "log_std": np.zeros(k, np.float32),
    }
    pol = Policy(
        weights,
        rng.standard_normal((k, w_dim)).astype(np.float32),
        REGION_IDS,
        np.ones(r, bool),
        np.zeros((r, 0), np.float32),
        num_ws,
        {"policy_id": "testpolicy"},
    )
    save_policy(path, pol)
    return path


def test_tuned_policy_applies_with_a_strength_slider(qtbot, make_window, tmp_path):
    w = make_window()
    wait_idle(qtbot, w)
    base = w.state.image.copy()
    assert not w.sliders.policy_box.isVisibleTo(w.sliders)
    w.load_policy(_write_policy(tmp_path / "p.safetensors"))
    qtbot.waitUntil(lambda: w.model.design.policy is not None, timeout=5000)
    wait_idle(qtbot, w)
    assert w.sliders.policy_box.isVisibleTo(w.sliders)
    assert w.stack.text(w.stack.index() - 1) == "Apply tuned policy testpolicy"
    tuned = w.state.image.copy()
    assert not np.array_equal(tuned, base)
    w.sliders.policy.slider.setValue(0)
    wait_idle(qtbot, w)
    assert np.array_equal(w.state.image, base)  # strength 0 = the untuned generator
    w.sliders.policy.slider.setValue(100)
    wait_idle(qtbot, w)
    assert np.array_equal(w.state.image, tuned)
    path = tmp_path / "with-policy.wenyang"
    assert w.save_to(path)
    w.new_design()
    wait_idle(qtbot, w)
    assert w.open_path(path)
    qtbot.waitUntil(lambda: w.state.policy is not None, timeout=5000)
    wait_idle(qtbot, w)
    assert np.array_equal(w.state.image, tuned)


def test_a_policy_for_another_model_is_refused(qtbot, make_window, tmp_path):
    w = make_window()
    wait_idle(qtbot, w)
    with qtbot.waitSignal(w.messageShown, timeout=5000) as sig:
        w.load_policy(_write_policy(tmp_path / "p.safetensors", w_dim=16))
    assert sig.args[0] == "error" and "Tune again" in sig.args[1]
    assert w.model.design.policy is None


def test_print_export_runs_as_a_job_and_writes_a_png(qtbot, make_window, tmp_path):
    from engine.export.png_export import PrintSpec

    w = make_window()
    wait_idle(qtbot, w)
    out = tmp_path / "print.png"
    spec = PrintSpec(width_mm=20, height_mm=10, dpi=72, layout="half-drop", repeat_mm=5)
    w.export_print(out, spec)
    qtbot.waitUntil(
        lambda: (
            out.is_file()
            and not [j for j in w.jobs.jobs.values() if j.name.startswith("Exporting")]
        ),
        timeout=20000,
    )
    from PIL import Image

    im = Image.open(out)
    assert im.size == spec.size_px and abs(im.info["dpi"][0] - 72) < 0.5


@pytest.mark.parametrize("layout", ["tile", "full", "half-drop", "half-brick", "mirror", "center"])
def test_canvas_paints_exactly_the_export_repeat(qtbot, layout):
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QImage, QPainter

    from designer_app.imaging import from_qimage
    from designer_app.tiling import repeat_image
    from designer_app.widgets.canvas import CanvasView

    view = CanvasView()
    qtbot.addWidget(view)
    tile = np.random.default_rng(1).integers(0, 255, (12, 10, 3), dtype=np.uint8)
    view.set_tile(tile)
    view.set_layout(layout)
    want = repeat_image(tile, layout)
    h, w = want.shape[:2]
    img = QImage(w, h, QImage.Format.Format_RGB888)
    img.fill(0)
    p = QPainter(img)
    view.scene().render(p, QRectF(0, 0, w, h), QRectF(0, 0, w, h))
    p.end()
    assert np.array_equal(from_qimage(img), want)


def test_settings_dialog_stores_device_models_and_export_defaults(qtbot, tmp_path):
    from designer_app.settings import StudioSettings
    from designer_app.widgets.settings_dialog import SettingsDialog

    s = StudioSettings(tmp_path / "x.ini")
    dlg = SettingsDialog(s)
    qtbot.addWidget(dlg)
    dlg.device.setCurrentText("cpu")
    dlg.generator.edit.setText(str(tmp_path / "gen"))
    dlg.dpi.setValue(600)
    dlg.theme.setCurrentText("dark")
    changed = dlg.apply()
    assert changed == {"device", "generator_dir", "export/dpi", "theme"}
    s2 = StudioSettings(tmp_path / "x.ini")
    assert s2.get("device") == "cpu" and s2.get("export/dpi") == 600
    assert s2.generator_dir() == tmp_path / "gen" and s2.get("theme") == "dark"


def test_an_exception_in_a_slot_becomes_a_message(qtbot, make_window):
    import sys

    from designer_app.main import install_excepthook

    w = make_window()
    old = sys.excepthook
    install_excepthook(w)
    try:
        with qtbot.waitSignal(w.messageShown) as sig:
            sys.excepthook(ValueError, ValueError("kaboom"), None)
        assert sig.args[0] == "error" and "kaboom" in sig.args[1] and w.isVisible()
    finally:
        sys.excepthook = old


def test_a_window_that_fails_to_build_stops_its_engine_thread(qtbot, monkeypatch, tmp_path):
    from designer_app.engine_worker import EngineSession
    from designer_app.main_window import MainWindow
    from designer_app.settings import StudioSettings

    session = EngineSession(lambda d, dev: FakeRenderer(), lambda d, dev: None)

    def broken(self):
        raise RuntimeError("menu construction failed")

    monkeypatch.setattr(MainWindow, "_build_menus", broken)
    with pytest.raises(RuntimeError, match="menu construction"):
        MainWindow(StudioSettings(tmp_path / "s.ini"), session=session, interactive=False)
    assert not session.thread.isRunning()  # the leak guard checks the same at teardown


def test_layout_slider_rearranges_the_motifs_and_keeps_the_style(qtbot, make_window, tmp_path):
    """Layout is the seed of the design's noise: moving it changes the picture but not the
    latent; it is undoable, saved, and each Generate variation gets its own again."""
    w = make_window(renderer=FakeRenderer(c_dim=4))
    wait_idle(qtbot, w)
    d = w.model.design
    assert d.noise_mode == "seeded" and d.noise_seed is None
    assert w.sliders.noise_seed.isEnabled() and w.sliders.noise_seed.value() == d.seed
    seed, before = d.seed, w.state.image.copy()
    w.sliders.noise_seed.slider.setValue(seed + 11)
    wait_idle(qtbot, w)
    assert w.model.design.noise_seed == seed + 11 and w.model.design.seed == seed
    assert not np.array_equal(w.state.image, before)
    assert "Layout" in w.stack.undoText()
    moved = w.state.image.copy()
    path = tmp_path / "l.wenyang"
    assert w.save_to(path) and load_project(path).noise_seed == seed + 11
    w.stack.undo()
    wait_idle(qtbot, w)
    assert w.model.design.noise_seed is None and np.array_equal(w.state.image, before)
    assert w.open_path(path)
    wait_idle(qtbot, w)
    assert np.array_equal(w.state.image, moved)
    assert w.generate()
    qtbot.waitUntil(lambda: w.render.grid_job is None, timeout=10000)
    w.pick_variation(3)
    wait_idle(qtbot, w)
    assert w.model.design.noise_seed is None  # the variation's own layout
    assert np.array_equal(w.state.image, w.render.grid_images[3])
    # a design on the shared constant noise has no layout to move
    w.model.set("noise_mode", "const")
    assert not w.sliders.noise_seed.isEnabled() and not w.sliders.own_layout.isChecked()
    assert w.sliders.noise_seed not in w.sliders.drag_sliders()
    # ... until the designer opts in (undoably), e.g. for a project saved before layouts
    wait_idle(qtbot, w)
    shared = w.state.image.copy()
    w.sliders.own_layout.setChecked(True)
    wait_idle(qtbot, w)
    assert w.model.design.noise_mode == "seeded" and w.sliders.noise_seed.isEnabled()
    assert not np.array_equal(w.state.image, shared)
    w.stack.undo()
    wait_idle(qtbot, w)
    assert w.model.design.noise_mode == "const" and not w.sliders.own_layout.isChecked()
    assert np.array_equal(w.state.image, shared)
