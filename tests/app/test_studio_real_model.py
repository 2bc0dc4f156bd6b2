"""The studio on the real engine: a tiny random-weight generator saved with
engine.stylegan.checkpoint and rendered by engine.stylegan.render.Renderer on the engine
thread. Plus the rule that the GUI package never imports torch itself."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from studio_fakes import wait_idle

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from designer_app.selftest import make_random_model

    return make_random_model(tmp_path_factory.mktemp("gen") / "tiny", "tiny")


@pytest.mark.slow
def test_studio_renders_with_the_real_renderer(qtbot, tmp_path, tiny_model):
    from designer_app.engine_worker import EngineSession
    from designer_app.main_window import MainWindow
    from designer_app.settings import StudioSettings

    session = EngineSession()  # the real factories: Renderer(model_dir), load_encoder()
    w = MainWindow(
        StudioSettings(tmp_path / "s.ini"),
        model_dir=str(tiny_model),
        session=session,
        interactive=False,
    )
    w.show()
    try:
        wait_idle(qtbot, w, timeout=120000)
        assert w.state.info.model_id == "random-tiny-selftest"
        assert w.state.image.shape == (32, 32, 3) and w.state.image.dtype == np.uint8
        assert w.generate()
        qtbot.waitUntil(lambda: w.render.grid_job is None, timeout=120000)
        assert len({im.tobytes() for im in w.render.grid_images}) == 9
        w.pick_variation(2)
        wait_idle(qtbot, w, timeout=60000)
        assert np.array_equal(w.state.image, w.render.grid_images[2])
        before = w.state.image.copy()
        w.sliders.mix_on.setChecked(True)
        w.sliders.mix_seed.slider.setValue(77)
        w.sliders.truncation.slider.setValue(100)
        wait_idle(qtbot, w, timeout=60000)
        from test_studio_workflows import _write_policy

        info = w.state.info
        w.load_policy(_write_policy(tmp_path / "pol.safetensors", info.w_dim, info.num_ws), 0.5)
        qtbot.waitUntil(lambda: w.model.design.policy is not None, timeout=60000)
        wait_idle(qtbot, w, timeout=60000)
        edited = w.state.image.copy()
        assert not np.array_equal(before, edited)
        path = tmp_path / "real.wenyang"
        assert w.save_to(path)
        w.new_design()
        wait_idle(qtbot, w, timeout=60000)
        assert w.open_path(path)
        wait_idle(qtbot, w, timeout=60000)
        assert np.array_equal(w.state.image, edited)  # bit-identical re-render
        # `wenyang export` re-renders the saved project to the same pixels as the studio
        from engine.export.inputs import load_project_tile

        assert np.array_equal(load_project_tile(path, tiny_model).tile, edited)
    finally:
        w.model.set_dirty(False)
        w.close()


@pytest.mark.slow
def test_matching_a_reference_on_the_real_generator(qtbot, tmp_path, tiny_model):
    """engine.stylegan.projection on the engine thread: the found w becomes the design's ws
    (one undoable edit) and the canvas shows the projection's own rendering."""
    from PIL import Image

    from designer_app.engine_worker import EngineSession
    from designer_app.main_window import MainWindow
    from designer_app.settings import StudioSettings

    w = MainWindow(
        StudioSettings(tmp_path / "s.ini"),
        model_dir=str(tiny_model),
        session=EngineSession(),
        interactive=False,
    )
    w.show()
    try:
        wait_idle(qtbot, w, timeout=120000)
        ref = tmp_path / "ref.png"
        yy, xx = np.mgrid[0:48, 0:48]
        Image.fromarray(
            np.stack([xx * 5, yy * 5, (xx + yy) * 2], -1).clip(0, 255).astype(np.uint8)
        ).save(ref)
        w.projection.steps = 6
        results = []
        w.projection.finished.connect(results.append)
        w.canvas.filesDropped.emit([str(ref)])
        qtbot.waitUntil(lambda: bool(results), timeout=120000)
        res = results[0]
        info = w.state.info
        assert w.model.design.ws.shape == (info.num_ws, info.w_dim)
        assert np.array_equal(w.model.design.ws, res.ws)
        wait_idle(qtbot, w, timeout=60000)
        assert np.array_equal(w.state.image, res.image)  # same pixels as the projection
        w.stack.undo()
        assert w.model.design.ws is None
    finally:
        w.model.set_dirty(False)
        w.close()


def test_missing_shipped_generator_gives_the_banner(qtbot, tmp_path):
    from designer_app.engine_worker import EngineSession
    from designer_app.main_window import MainWindow
    from designer_app.settings import StudioSettings

    w = MainWindow(
        StudioSettings(tmp_path / "s.ini"),
        model_dir=str(tmp_path / "nothing"),
        session=EngineSession(),
        interactive=False,
    )
    w.show()
    try:
        qtbot.waitUntil(lambda: w.state.model_state == "missing", timeout=120000)
        assert w.banner.isVisible() and "nothing" in w.banner.text.text()
    finally:
        w.close()


def test_gui_package_never_imports_torch():
    offenders = []
    for f in (ROOT / "designer_app").rglob("*.py"):
        if f.name == "resources_rc.py":
            continue
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{f.name}: {n}" for n in names if n.split(".")[0] == "torch"]
    assert not offenders
    code = (
        "import sys; import designer_app.main_window, designer_app.main;"
        "print('torch' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert out.stdout.strip() == "False", out.stderr
