"""The Mockup, Export and Tuner docks and reference matching, end to end on the fake engine
(numpy renderer), with the real engine.mockup / engine.export / engine.abtest / engine.tuner."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from studio_fakes import wait_idle

from engine.errors import UserInputError
from engine.project import MockupSettings, from_dict, load_project, save_project, to_dict


def _photo(path: Path) -> np.ndarray:
    """A red 'garment' (ellipse) on a grey, slightly noisy background; returns the truth."""
    rng = np.random.default_rng(0)
    img = np.full((180, 140, 3), 200, np.uint8)
    img = np.clip(img + rng.normal(0, 6, img.shape), 0, 255).astype(np.uint8)
    truth = np.zeros((180, 140), np.uint8)
    cv2.ellipse(truth, (70, 95), (45, 70), 0, 0, 360, 1, -1)
    img[truth == 1] = (170, 30, 40)
    cv2.imwrite(str(path), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    return truth


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.astype(bool), b.astype(bool)
    return float((a & b).sum() / max(1, (a | b).sum()))


def _drop(widget, paths: list[Path]) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    ev = QDropEvent(
        QPointF(5, 5),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    widget.dropEvent(ev)


# ---------------------------------------------------------------------------------- mockups
def test_mockup_previews_follow_the_design(qtbot, make_window):
    w = make_window()
    w.mockup_dock.raise_()
    wait_idle(qtbot, w)
    qtbot.waitUntil(lambda: len(w.mockups.previews) == 3, timeout=10000)
    names = [n for n, _ in w.mockups.previews]
    assert names == ["tshirt", "qipao", "tote"]
    before = {n: im.copy() for n, im in w.mockups.previews}
    assert w.mockup_panel.labels["qipao"].pixmap() is not None
    frames_before, comps_before = len(w.render.render_ms), w.mockups.composites
    for v in range(1, 25):  # a drag: many frames, composites at most ~10 Hz
        w.sliders.seed.slider.setValue(v)
        qtbot.wait(5)
    wait_idle(qtbot, w)
    qtbot.waitUntil(
        lambda: not np.array_equal(dict(w.mockups.previews)["tshirt"], before["tshirt"]),
        timeout=10000,
    )
    frames = len(w.render.render_ms) - frames_before
    comps = w.mockups.composites - comps_before
    assert 1 <= comps <= frames
    # the transform is a design edit: undoable, and it changes the picture
    shown = dict(w.mockups.previews)["tote"].copy()
    w.mockup_panel.rotation.slider.setValue(45)
    assert w.model.design.mockup.rotation_deg == 45
    qtbot.waitUntil(
        lambda: not np.array_equal(dict(w.mockups.previews)["tote"], shown), timeout=10000
    )
    w.stack.undo()
    assert w.model.design.mockup.rotation_deg == 0
    # unticking a garment in the gallery removes it from the side-by-side view
    w.mockup_panel.gallery.item(
        [
            w.mockup_panel.gallery.item(i).text() for i in range(w.mockup_panel.gallery.count())
        ].index("qipao")
    ).setCheckState(Qt.CheckState.Unchecked)
    assert "qipao" not in w.model.design.mockup.templates
    qtbot.waitUntil(lambda: "qipao" not in dict(w.mockups.previews), timeout=10000)


def test_garment_photo_drop_mask_refine_and_save(qtbot, make_window, tmp_path):
    w = make_window()
    w.mockup_dock.raise_()
    wait_idle(qtbot, w)
    photo = tmp_path / "shirt.png"
    truth = _photo(photo)
    _drop(w.mockup_panel, [photo])  # dropped on the Mockup dock: a garment photo
    qtbot.waitUntil(lambda: w.model.design.mockup.photo_mask_png is not None, timeout=20000)
    mask = w.mockups.mask()
    assert mask.shape == truth.shape and _iou(mask, truth) > 0.8
    qtbot.waitUntil(lambda: "photo" in dict(w.mockups.previews), timeout=10000)
    # brush refinement: exclude the lower half of the garment
    ed = w.mockup_panel.editor
    assert ed.photo is not None
    ed.radius = 20
    ed.add_stroke("exclude", [(30.0, y) for y in range(130, 175, 5)] + [(110.0, 170.0)])
    ed.add_stroke("exclude", [(x, 150.0) for x in range(20, 125, 5)])
    old = w.model.design.mockup.photo_mask_png
    ed.request_refine()
    qtbot.waitUntil(lambda: w.model.design.mockup.photo_mask_png != old, timeout=20000)
    refined = w.mockups.mask()
    assert refined[150, 70] == 0 and refined[80, 70] == 1
    # saved with the project, reopened identically
    p = tmp_path / "d.wenyang"
    assert w.save_to(p)
    d = load_project(p)
    assert d.mockup.photo_path == str(photo)
    assert d.mockup.photo_mask_png == w.model.design.mockup.photo_mask_png
    # undo goes back to the automatic mask, then to no photo
    w.stack.undo()
    assert w.model.design.mockup.photo_mask_png == old
    w.stack.undo()
    assert w.model.design.mockup.photo_path is None


def test_project_mockup_section_versions(tmp_path):
    from engine.mockup.refine import mask_to_png

    m = MockupSettings(
        templates=("scarf",),
        repeat_cm=12.5,
        scale=1.5,
        rotation_deg=-30,
        offset=(0.25, -0.1),
        photo_path="/x/p.jpg",
        photo_mask_png=mask_to_png(np.eye(8, dtype=np.uint8)),
    )
    from engine.project import FORMAT_VERSION, Design

    d = Design(region="miao", mockup=m)
    p = save_project(tmp_path / "a.wenyang", d)
    obj = json.loads(p.read_text())
    assert obj["version"] == FORMAT_VERSION
    assert load_project(p).mockup == m
    # version 1 files (no mockup section) open with the default mockup
    old = {"format": "wenyang-project", "version": 1, "region": "hakka", "seed": 3}
    assert from_dict(old).mockup == MockupSettings()
    bad = to_dict(d)
    bad["mockup"]["photo"]["mask_png"] = "aGVsbG8="  # base64 of "hello": not a PNG
    with pytest.raises(UserInputError, match=r"mockup\.photo\.mask_png"):
        from_dict(bad)
    bad = to_dict(d)
    bad["mockup"]["scale"] = -1
    with pytest.raises(UserInputError, match=r"mockup\.scale"):
        from_dict(bad)


# ---------------------------------------------------------------------------------- export
def test_svg_export_with_swatches_locks_and_colourways(qtbot, make_window, tmp_path):
    w = make_window()
    wait_idle(qtbot, w)
    panel, ctl = w.export_panel, w.exports
    panel.inks.setValue(4)
    with qtbot.waitSignal(ctl.inksReady, timeout=20000):
        panel.inks_btn.click()
    n = ctl.inks.n_inks
    assert 2 <= n <= 4
    buttons = [panel.swatches.itemAt(i).widget() for i in range(panel.swatches.count())]
    buttons = [b for b in buttons if b is not None]
    assert len(buttons) == n
    buttons[0].setChecked(True)  # lock the first ink's colour
    locked = tuple(int(v) for v in ctl.inks.palette[0])
    assert ctl.locked == [locked]
    out = tmp_path / "p.svg"
    with qtbot.waitSignal(ctl.written, timeout=30000):
        ctl.export_svg(out, panel.svg_spec(), 4, snap=True)
    root = ET.parse(out).getroot()
    layers = [
        g
        for g in root.iter("{http://www.w3.org/2000/svg}g")
        if g.get("{http://www.inkscape.org/namespaces/inkscape}groupmode") == "layer"
    ]
    assert 2 <= len(layers) <= 4
    assert locked in [tuple(int(v) for v in c) for c in ctl.inks.palette]
    # colourways: preview sheet, then one SVG per colourway
    panel.k.setValue(2)
    with qtbot.waitSignal(ctl.sheetReady, timeout=20000):
        panel.cw_btn.click()
    assert panel.sheet.pixmap() is not None and not panel.sheet.pixmap().isNull()
    with qtbot.waitSignal(ctl.written, timeout=30000) as sig:
        ctl.export_colourways(tmp_path / "cw", panel.svg_spec())
    names = sorted(p.name for p in sig.args[1])
    assert names == ["colourway1.svg", "colourway2.svg", "colourways.png"]
    # the physical-scale preview shows the repeat
    w.export_dock.raise_()
    panel.update_preview()
    assert panel.preview.pixmap() is not None and not panel.preview.pixmap().isNull()


def test_large_print_export_can_be_cancelled(qtbot, make_window, tmp_path):
    from engine.export.png_export import PrintSpec

    w = make_window()
    wait_idle(qtbot, w)
    out = tmp_path / "big.png"
    w.export_print(out, PrintSpec(200, 200, dpi=600, repeat_mm=20))
    qtbot.waitUntil(lambda: bool(w.jobs.jobs), timeout=5000)
    w.jobs.cancel_all()
    w.jobs.pool.waitForDone(30000)
    qtbot.wait(50)
    assert not out.exists()


def _batch_and_csv(qtbot, w, tmp_path) -> tuple[Path, list[str]]:
    assert w.generate()
    qtbot.waitUntil(lambda: w.render.grid_job is None, timeout=10000)
    folder = tmp_path / "batch"
    with qtbot.waitSignal(w.exports.written, timeout=20000):
        w.exports.export_batch(folder)
    meta = json.loads((folder / "batch.json").read_text())
    assert meta["format"] == "wenyang-abtest" and meta["n"] == 9
    with open(folder / "manifest.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["seed"]) for r in rows] == w.render.grid_seeds
    return folder, [r["variant_id"] for r in rows]


def test_ab_batch_then_tuner_import_problems_and_arms(qtbot, make_window, tmp_path):
    w = make_window()
    wait_idle(qtbot, w)
    folder, ids = _batch_and_csv(qtbot, w, tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "variant_id,impressions,clicks\n"
        + "".join(f"{v},{'lots' if i == 2 else 100},{5}\n" for i, v in enumerate(ids)),
        encoding="utf-8",
    )
    w.tuner_panel.set_batch(folder)
    with qtbot.waitSignal(w.tuner.problems, timeout=20000):
        w.handle_drop([str(bad)])  # a dropped CSV goes to the tuner
    t = w.tuner_panel.problems
    assert t.rowCount() >= 1
    assert t.item(0, 0).text().endswith("bad.csv") and t.item(0, 1).text() == "4"
    assert "lots" in t.item(0, 3).text() and t.item(0, 2).text() == "impressions"
    assert w.tuner_panel.arms.rowCount() == 0
    good = tmp_path / "good.csv"
    good.write_text(
        "variant_id,impressions,clicks\n"
        + "".join(f"{v},{1000 + 10 * i},{20 + i}\n" for i, v in enumerate(ids)),
        encoding="utf-8",
    )
    w.tuner.clear()
    with qtbot.waitSignal(w.tuner.imported, timeout=20000):
        _drop(w.tuner_panel, [good])
    arms = w.tuner_panel.arms
    assert arms.rowCount() == 9
    assert arms.item(0, 0).text() in ids and "[" in arms.item(0, 4).text()


def test_tuning_job_shows_report_and_applies_policy(qtbot, make_window, tmp_path):
    from studio_fakes import NUM_WS, W_DIM

    from engine.tuner.synthetic import make_market

    w = make_window()
    wait_idle(qtbot, w)
    m = make_market(
        tmp_path / "m", n=120, w_dim=W_DIM, num_ws=NUM_WS, regions=("dunhuang",), seed=2
    )
    w.tuner_panel.handle_paths(m.batch_dirs + m.csvs)
    qtbot.waitUntil(lambda: w.tuner_panel.arms.rowCount() > 0, timeout=20000)
    w.tuner_panel.iterations.setValue(3)
    pol = tmp_path / "policy.safetensors"
    with qtbot.waitSignal(w.tuner.tuned, timeout=60000):
        w.tuner_panel.tune(pol, tmp_path / "report", crossfit=False)
    assert pol.is_file()
    assert not w.tuner_panel.plot_labels[0].pixmap().isNull()
    assert w.tuner_panel.apply_btn.isEnabled()
    w.tuner_panel.apply_btn.click()
    qtbot.waitUntil(lambda: w.model.design.policy is not None, timeout=10000)
    assert w.model.design.policy.path == str(pol)


# ---------------------------------------------------------------------------------- projection
def test_projection_job_sets_ws_undoably_and_drop_routes(qtbot, make_window, tmp_path, monkeypatch):
    from studio_fakes import NUM_WS, W_DIM, FakeRenderer

    import engine.stylegan.projection as projection

    target = np.arange(NUM_WS * W_DIM, dtype=np.float32).reshape(NUM_WS, W_DIM) / 50.0
    calls = []

    def fake_project(G, image, encoder=None, c=None, steps=100, progress=None, cancel=None, **kw):
        calls.append(image.shape)
        for s in range(1, 4):
            progress(s, 3, 0.5)
        return projection.ProjectionResult(
            ws=target, image=np.zeros((16, 16, 3), np.uint8), steps=3
        )

    monkeypatch.setattr(projection, "project_image", fake_project)
    r = FakeRenderer()
    r.G = object()  # a StyleGAN renderer has G; the fake projection does not use it
    w = make_window(renderer=r)
    wait_idle(qtbot, w)
    ref = tmp_path / "ref.png"
    _photo(ref)
    before = w.state.image.copy()
    assert w.model.design.noise_mode == "seeded"  # a new design: its noise from its seed
    w.canvas.filesDropped.emit([str(ref)])  # an image dropped on the canvas: match it
    qtbot.waitUntil(lambda: w.model.design.ws is not None, timeout=10000)
    assert calls == [(180, 140, 3)]
    assert np.array_equal(w.model.design.ws, target)
    # the match was optimised against the constant noise: the design renders with it
    assert w.model.design.noise_mode == "const"
    assert "Match reference" in w.stack.undoText()
    wait_idle(qtbot, w)
    assert not np.array_equal(w.state.image, before)
    w.stack.undo()
    assert w.model.design.ws is None and w.model.design.noise_mode == "seeded"
    wait_idle(qtbot, w)
    assert np.array_equal(w.state.image, before)


def test_projection_without_a_stylegan_says_so(qtbot, make_window, tmp_path):
    w = make_window()
    wait_idle(qtbot, w)
    ref = tmp_path / "ref.png"
    _photo(ref)
    with qtbot.waitSignal(
        w.messageShown, timeout=10000, check_params_cb=lambda lvl, t: lvl == "error"
    ) as sig:
        w.projection.start(ref)
    assert "StyleGAN generator" in sig.args[1]
    assert w.model.design.ws is None


def test_truncation_toward_the_region_mean_is_an_undoable_switch(qtbot, make_window):
    from studio_fakes import W_DIM, FakeRenderer

    r = FakeRenderer()
    r.region_means = {"dunhuang": np.full(W_DIM, 2.0, np.float32)}
    r.info.region_means = ("dunhuang",)
    w = make_window(renderer=r)
    wait_idle(qtbot, w)
    assert w.model.design.truncate_to == "region" and w.sliders.truncate_region.isChecked()
    assert w.sliders.truncate_region.isEnabled()
    # this model has no text prior: that switch is greyed out
    assert not w.sliders.text_prior.isEnabled()
    shown = w.canvas.tile.copy()
    w.sliders.truncate_region.setChecked(False)
    assert w.model.design.truncate_to == "global"
    qtbot.waitUntil(lambda: not np.array_equal(w.canvas.tile, shown), timeout=10000)
    w.stack.undo()
    assert w.model.design.truncate_to == "region" and w.sliders.truncate_region.isChecked()
    qtbot.waitUntil(lambda: np.array_equal(w.canvas.tile, shown), timeout=10000)


def test_text_prior_switch_is_undoable_and_reaches_the_renderer(qtbot, make_window):
    from studio_fakes import FakeRenderer

    seen: list[bool] = []

    class Recording(FakeRenderer):
        def render(self, req):  # type: ignore[no-untyped-def]
            seen.append(bool(req.use_prior))
            return super().render(req)

    w = make_window(renderer=Recording())
    wait_idle(qtbot, w)
    assert w.model.design.condition_prior and w.sliders.text_prior.isChecked()
    assert seen and seen[-1] is True
    w.sliders.text_prior.setChecked(False)
    assert w.model.design.condition_prior is False
    qtbot.waitUntil(lambda: seen[-1] is False, timeout=10000)
    w.stack.undo()
    assert w.model.design.condition_prior is True and w.sliders.text_prior.isChecked()
    qtbot.waitUntil(lambda: seen[-1] is True, timeout=10000)


def test_region_prior_switch_is_undoable_and_reaches_the_renderer(qtbot, make_window):
    from studio_fakes import FakeRenderer

    seen: list[str | None] = []

    class Recording(FakeRenderer):
        def render(self, req):  # type: ignore[no-untyped-def]
            seen.append(req.region)
            return super().render(req)

    r = Recording(c_dim=8)
    r.info.has_prior = r.info.prior_regions = True
    w = make_window(renderer=r)
    wait_idle(qtbot, w)
    region = w.model.design.region
    assert w.model.design.prior_by_region and w.sliders.region_prior.isChecked()
    assert w.sliders.region_prior.isEnabled()
    assert seen and seen[-1] == region  # a new design's prior draws among its region's tiles
    w.sliders.region_prior.setChecked(False)
    assert w.model.design.prior_by_region is False
    qtbot.waitUntil(lambda: seen[-1] is None, timeout=10000)
    w.stack.undo()
    assert w.model.design.prior_by_region is True and w.sliders.region_prior.isChecked()
    qtbot.waitUntil(lambda: seen[-1] == region, timeout=10000)


def test_faithful_prior_switch_is_undoable_and_reaches_the_renderer(qtbot, make_window):
    from studio_fakes import FakeRenderer

    seen: list[bool] = []

    class Recording(FakeRenderer):
        def render(self, req):  # type: ignore[no-untyped-def]
            seen.append(req.prior_faithful)
            return super().render(req)

    r = Recording(c_dim=8)
    r.info.has_prior = r.info.prior_regions = r.info.prior_faithful = True
    w = make_window(renderer=r)
    wait_idle(qtbot, w)
    assert w.model.design.prior_faithful and w.sliders.faithful_prior.isChecked()
    assert w.sliders.faithful_prior.isEnabled()
    assert seen and seen[-1] is True  # a new design draws among the faithful tiles
    w.sliders.faithful_prior.setChecked(False)
    assert w.model.design.prior_faithful is False
    qtbot.waitUntil(lambda: seen[-1] is False, timeout=10000)
    w.stack.undo()
    assert w.model.design.prior_faithful is True and w.sliders.faithful_prior.isChecked()
    qtbot.waitUntil(lambda: seen[-1] is True, timeout=10000)
    # a prior without the mark: nothing to switch
    plain = FakeRenderer(c_dim=8)
    plain.info.has_prior = plain.info.prior_regions = True
    w2 = make_window(renderer=plain)
    wait_idle(qtbot, w2)
    assert w2.sliders.region_prior.isEnabled() and not w2.sliders.faithful_prior.isEnabled()


def test_region_prior_switch_is_disabled_for_a_prior_without_regions(qtbot, make_window):
    from studio_fakes import FakeRenderer

    r = FakeRenderer(c_dim=8)
    r.info.has_prior = True  # a session 6 prior: no region labels
    w = make_window(renderer=r)
    wait_idle(qtbot, w)
    assert w.sliders.text_prior.isEnabled() and not w.sliders.region_prior.isEnabled()
