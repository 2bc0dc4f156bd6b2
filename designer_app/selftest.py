"""`wenyang-studio --selftest`: drive the real window end to end and measure it.

Opens the main window (offscreen without a display), waits for the first frame, generates a
variation grid and picks a tile, edits the descriptors, drags every slider at a designer's
pace, undoes and redoes everything, saves, reopens and compares pixels. Prints one JSON object
(first_frame_ms, slider_to_frame_p50_ms/p95_ms, max_stall_ms, steps with outcomes) and exits 1
if any step did not have its effect. Settings and autosaves go to a temporary folder, so the
user's own studio state is never touched.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from designer_app import startup_trace

DRAG_STEPS = 12
STEP_MS = 30  # a designer's drag delivers a new value every ~30 ms
LOAD_TIMEOUT_S = 180.0


_MAKE_MODEL = """
import sys, torch
from engine.stylegan.checkpoint import save_generator
from engine.stylegan.config import generator_kwargs
from engine.stylegan.networks import Generator
preset, c_dim, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
torch.manual_seed(0)
g = Generator(**generator_kwargs(preset, c_dim=c_dim, tileable=True)).eval()
with torch.no_grad():  # trained generators use their noise (a fresh one starts at 0)
    for name, p in g.named_parameters():
        if name.endswith("noise_strength"):
            p.fill_(0.3)
save_generator(g, out, {"note": "random weights for the self-test"},
               model_id=f"random-{preset}-selftest")
"""


def shipped_clip_width() -> int:
    """Embedding width of the shipped CLIP model (0 without one): the shipped generator is
    conditioned on it, so the stand-in generator is too (same mapping cost, same path to the
    first frame: the text condition must exist before a frame can be drawn)."""
    from engine.paths import MODELS_DIR

    for cfg in sorted((MODELS_DIR / "clip").glob("*.json")):
        try:
            dim = json.loads(cfg.read_text(encoding="utf-8")).get("embed_dim")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(dim, int) and cfg.with_suffix(".safetensors").is_file():
            return dim
    return 0


def make_random_model(out_dir: Path, preset: str = "tiny", c_dim: int = 0) -> Path:
    """A random-weight tileable generator of a training preset (for builds that ship none).

    Built by a child process: the studio's own process loads torch only on its engine thread.
    """
    import subprocess

    cmd = [sys.executable, "-c", _MAKE_MODEL, preset, str(c_dim), str(out_dir)]
    if getattr(sys, "frozen", False):  # a PyInstaller build has no `python -c`
        raise RuntimeError("--random-model needs a Python installation; pass --model DIR")
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if res.returncode != 0:
        raise RuntimeError(f"could not build the random generator: {res.stderr[-2000:]}")
    return out_dir


class _Stalls:
    """Largest gap between ticks of a 5 ms timer beyond its interval (event-loop stalls)."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)
        self.last = time.perf_counter()
        self.max_ms = 0.0
        self.active = False

    def start(self) -> None:
        self.last = time.perf_counter()
        self.active = True
        self.timer.start()

    def pause(self) -> None:
        self.active = False
        self.timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        if self.active:
            self.max_ms = max(self.max_ms, (now - self.last) * 1000.0 - 5.0)
        self.last = now


def _pump(ms: float) -> None:
    """Run the event loop for `ms`, sleeping between events like app.exec() does (a polling
    loop here took a share of the CPU and the GIL from the very work being measured)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(max(0, round(ms)), loop.quit)
    loop.exec()


def _wait(pred: Callable[[], bool], timeout_s: float) -> bool:
    """Run the event loop until `pred()` holds (checked every 5 ms) or the timeout passes."""
    from PySide6.QtCore import QEventLoop, QTimer

    if pred():
        return True
    end = time.perf_counter() + timeout_s
    loop = QEventLoop()
    poll = QTimer()
    poll.setInterval(5)
    poll.timeout.connect(lambda: (pred() or time.perf_counter() > end) and loop.quit())
    poll.start()
    loop.exec()
    poll.stop()
    return pred()


def run_with_random_model(args: argparse.Namespace) -> int:
    """`--selftest --random-model PRESET`: build the stand-in generator, then run the self-test
    in a fresh studio process on it, so first_frame_ms counts from that process's start like a
    real launch (and not the minutes-old process that built the model)."""
    import shutil
    import subprocess

    tmp = Path(tempfile.mkdtemp(prefix="wenyang-random-model-"))
    try:
        c_dim = shipped_clip_width()
        try:
            model_dir = make_random_model(tmp / "random-generator", args.random_model, c_dim)
        except Exception as exc:
            report = {
                "ok": False,
                "steps": [{"name": "random_model", "outcome": "failed", "error": str(exc)}],
            }
            print(json.dumps(report, ensure_ascii=False))
            return 1
        note = (
            f"random-weight generator (preset {args.random_model}, c_dim {c_dim}) built for "
            "this self-test: no shipped generator was used"
        )
        cmd = [sys.executable, "-m", "designer_app.main", "--selftest", "--model", str(model_dir)]
        cmd += ["--model-note", note]
        if args.device:
            cmd += ["--device", args.device]
        if args.out:
            cmd += ["--out", args.out]
        return subprocess.run(cmd, check=False).returncode
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run_selftest(args: argparse.Namespace, t_start: float) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="wenyang-selftest-"))
    os.environ["WENYANG_DATA_DIR"] = str(tmp / "data")
    steps: list[dict[str, Any]] = []
    report: dict[str, Any] = {
        "first_frame_ms": None,
        "slider_to_frame_p50_ms": None,
        "slider_to_frame_p95_ms": None,
        "max_stall_ms": None,
        "steps": steps,
    }

    def step(name: str, ok: bool, **detail: Any) -> bool:
        steps.append({"name": name, "outcome": "ok" if ok else "failed", **detail})
        return ok

    model_dir = args.model
    if getattr(args, "model_note", None):
        report["model_note"] = args.model_note

    from PySide6.QtWidgets import QApplication

    startup_trace.mark("qt_imported")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    startup_trace.mark("qt_app")
    from designer_app.main_window import MainWindow
    from designer_app.settings import StudioSettings

    startup_trace.mark("window_imported")
    settings = StudioSettings(tmp / "data" / "settings.ini")
    try:
        win = MainWindow(settings, model_dir=model_dir, interactive=False, device=args.device)
    except Exception as exc:
        import traceback

        step(
            "window_open",
            False,
            error=f"{type(exc).__name__}: {exc}",
            traceback=traceback.format_exc(limit=8),
        )
        report["ok"] = False
        print(json.dumps(report, ensure_ascii=False))
        return 1
    messages: list[tuple[str, str]] = []
    win.messageShown.connect(lambda lvl, text: messages.append((lvl, text)))
    startup_trace.mark("window_built")
    win.show()
    startup_trace.mark("window_shown")
    stalls = _Stalls()
    try:
        _run_steps(win, app, step, report, stalls, t_start, tmp, args)
    except Exception as exc:  # a crash is a failed step, reported like the others
        import traceback

        step(
            "unexpected_error",
            False,
            error=f"{type(exc).__name__}: {exc}",
            traceback=traceback.format_exc(limit=6),
        )
    report["errors_shown"] = [t for lvl, t in messages if lvl == "error"]
    report["machine"] = _machine()
    lat = win.render.latencies_ms
    report["frames"] = len(win.render.render_ms)
    if win.render.render_ms:
        report["render_ms_p50"] = round(float(np.percentile(win.render.render_ms, 50)), 2)
    if win.state.info is not None:
        i = win.state.info
        report["model"] = {
            "id": i.model_id,
            "hash": i.model_hash[:16],
            "resolution": i.resolution,
            "device": win.state.device,
        }
    del lat
    shot(win, args, "studio-main")
    win.model.set_dirty(False)
    win.close()
    stalls.timer.stop()
    app.processEvents()
    ok = all(s["outcome"] == "ok" for s in steps) and bool(steps)
    report["ok"] = ok
    text = json.dumps(report, ensure_ascii=False)
    print(text)
    if args.out:
        (Path(args.out) / "selftest.json").write_text(text + "\n", encoding="utf-8")
    import shutil

    shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


def _machine() -> dict[str, Any]:
    """Where the figures were taken: timings mean little without the machine and its load."""
    import platform

    info: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "platform": platform.platform(terse=True),
        "render_threads": os.environ.get("OMP_NUM_THREADS"),
    }
    if hasattr(os, "getloadavg"):
        info["load_avg_1m"] = round(os.getloadavg()[0], 2)
    return info


def shot(win: Any, args: argparse.Namespace, name: str) -> None:
    """Save a screenshot of the window into --out (if given)."""
    if not args.out:
        return
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    _pump(50)
    win.grab().save(str(out / f"{name}.png"))


def _slider_group(slider_id: str) -> str:
    """ "dir:fine:fine_3" -> "fine", "text:more gold" -> "text", "truncation" -> "truncation"."""
    parts = slider_id.split(":")
    if parts[0] == "dir" and len(parts) > 1:
        return parts[1]
    return parts[0]


def _same(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    return a is not None and b is not None and a.shape == b.shape and bool(np.array_equal(a, b))


def _run_steps(
    win: Any,
    app: Any,
    step: Callable[..., bool],
    report: dict[str, Any],
    stalls: _Stalls,
    t_start: float,
    tmp: Path,
    args: argparse.Namespace,
) -> None:
    render, state = win.render, win.state
    step("window_open", win.isVisible())
    _wait(lambda: state.model_state != "loading", LOAD_TIMEOUT_S)
    if not step(
        "model_loaded",
        state.model_state == "ready",
        state=state.model_state,
        message=state.model_message[:300],
    ):
        step(
            "banner_explains_missing_model",
            win.banner.isVisible(),
            hint="run with --model DIR or --random-model PRESET",
        )
        return
    got = _wait(lambda: state.image is not None and render.idle(), LOAD_TIMEOUT_S)
    if got and render.first_frame_at is not None:
        report["first_frame_ms"] = round((render.first_frame_at - t_start) * 1000.0, 1)
    report["startup_ms"] = startup_trace.report(t_start)  # from process start
    report["startup_cpu_ms"] = startup_trace.cpu_report()
    if not step("first_frame", got and win.canvas.tile is not None):
        return
    _wait(lambda: state.encoder_ready or bool(state.encoder_message), 60)

    # generate a grid and pick a variation
    ok = win.generate()
    done = ok and _wait(lambda: render.grid_job is None, 300)
    imgs = render.grid_images
    distinct = len({i.tobytes() for i in imgs if i is not None})
    step(
        "generate_grid",
        bool(done) and all(i is not None for i in imgs) and distinct > 1,
        tiles=sum(i is not None for i in imgs),
        distinct=distinct,
    )
    shot(win, args, "studio-grid")
    win.pick_variation(4)
    _wait(render.idle, 60)
    step(
        "pick_variation",
        _same(state.image, imgs[4] if imgs else None)
        and win.model.design.seed == render.grid_seeds[4],
        seed=win.model.design.seed,
    )

    # descriptors
    before = state.image.copy()
    win.descriptors.edit.setText("飞天 飘带 金色 zzqx")
    win.descriptors._commit()
    _wait(lambda: render.idle() and state.image_id > 0, 60)
    _pump(100)
    _wait(render.idle, 60)
    unknown = win.descriptors.unknown_words()
    c_dim = int(state.info.c_dim)
    changed = not _same(before, state.image)
    step(
        "descriptors",
        win.model.design.text.startswith("飞天")
        and "zzqx" in unknown
        and (changed or c_dim == 0 or not state.encoder_ready),
        unknown=unknown,
        image_changed=changed,
        conditioned=c_dim > 0,
    )

    # a text direction ("more gold") becomes a slider when the model is text-conditioned
    if state.encoder_ready and c_dim > 0:
        before = state.image.copy()
        win.sliders.text_edit.setText("more gold")
        win.sliders.text_add.click()
        _wait(lambda: "text:more gold" in win.sliders.sliders, 120)
        _wait(render.idle, 60)
        step(
            "text_direction",
            "text:more gold" in win.sliders.sliders and not _same(before, state.image),
            parts=len(win.model.group("text:more gold")),
        )

    # drag every slider
    stack = win.stack
    start_index = stack.index()
    start_image = state.image.copy()
    sliders = win.sliders.drag_sliders()
    # the crossover layer only matters while mixing: drag the mix source first
    sliders.sort(key=lambda s: {"mix_seed": 0, "mix_from_layer": 1}.get(s.slider_id, -1))
    render.latencies_ms.clear()
    by_group: dict[str, list[float]] = {}
    stalls.start()
    dragged = 0
    for s in sliders:
        if s.slider_id == "policy":
            continue
        before = state.image.copy()
        n_before = stack.index()
        q = s.slider
        n_lat = len(render.latencies_ms)
        lo, hi = q.minimum(), q.maximum()
        v0 = q.value()
        target = hi if v0 - lo < (hi - lo) / 2 else lo
        if s.slider_id == "mix_seed":  # a source different from the design's own seed
            target = (win.model.design.seed + 1234) % hi
        if s.slider_id == "mix_from_layer":
            target = max(lo, min(hi, 2 if v0 > 2 else hi - 1))
        q.setSliderDown(True)
        for k in range(1, DRAG_STEPS + 1):
            q.setValue(round(v0 + (target - v0) * k / DRAG_STEPS))
            _pump(STEP_MS)
        q.setSliderDown(False)
        _wait(render.idle, 60)
        by_group.setdefault(_slider_group(s.slider_id), []).extend(render.latencies_ms[n_lat:])
        entries = stack.index() - n_before
        changed = not _same(before, state.image)
        dragged += 1
        step(
            f"drag:{s.slider_id}",
            changed and entries == 1,
            history_entries=entries,
            image_changed=changed,
            text=stack.text(stack.index() - 1),
        )
    stalls.pause()
    lat = render.latencies_ms
    if lat:
        report["slider_to_frame_p50_ms"] = round(float(np.percentile(lat, 50)), 1)
        report["slider_to_frame_p95_ms"] = round(float(np.percentile(lat, 95)), 1)
        report["slider_samples"] = len(lat)
        report["preview_frames"] = len(render.preview_ms)
        if render.refine_ms:  # a slider released after previews: the full frame follows
            report["release_to_full_frame_p95_ms"] = round(
                float(np.percentile(render.refine_ms, 95)), 1
            )
        report["slider_to_frame_p95_by_group_ms"] = {
            g: round(float(np.percentile(v, 95)), 1) for g, v in sorted(by_group.items()) if v
        }
    report["max_stall_ms"] = round(stalls.max_ms, 1)
    step("sliders_present", dragged >= 4, count=dragged)
    final_image = state.image.copy()

    # undo everything, then redo everything
    n = stack.index() - start_index
    for _ in range(n):
        stack.undo()
        _pump(2)
    _wait(render.idle, 60)
    step("undo_all", _same(state.image, start_image), undone=n)
    for _ in range(n):
        stack.redo()
        _pump(2)
    _wait(render.idle, 60)
    step("redo_all", _same(state.image, final_image), redone=n)

    # save, start over, reopen: the same pixels
    path = tmp / "selftest.wenyang"
    saved = win.save_to(path)
    win.new_design()
    _wait(render.idle, 60)
    reopened = win.open_path(path, ask=False)
    _wait(lambda: (render.idle() and win.model.design.condition is not None) or c_dim == 0, 60)
    _wait(render.idle, 60)
    step(
        "save_reopen_same_pixels",
        saved and reopened and _same(state.image, final_image),
        file=str(path),
    )
    win.export_tile(tmp / "tile.png")
    step("export_tile", (tmp / "tile.png").is_file())

    # garments wearing the design, following it live
    win.mockup_dock.raise_()
    mk = win.mockups
    got = _wait(lambda: len(mk.previews) > 0 and render.idle(), 60)
    first = {n: im.copy() for n, im in mk.previews}
    win.random_seed()
    _wait(render.idle, 60)
    followed = _wait(lambda: any(not _same(first.get(n), im) for n, im in mk.previews), 30)
    step(
        "mockup_follows_design",
        got and followed,
        garments=[n for n, _ in mk.previews],
        composites=mk.composites,
    )
    shot(win, args, "studio-mockup")
    win.export_dock.raise_()
    if args.out:  # extra views for the documentation
        win.layout_box.setCurrentIndex(win.layout_box.findData("half-drop"))
        win.seams_box.setChecked(True)
        win.actions_["view.dark"].setChecked(True)
        shot(win, args, "studio-dark-halfdrop-seams")
        win.actions_["view.dark"].setChecked(False)
        win.seams_box.setChecked(False)
        win.layout_box.setCurrentIndex(win.layout_box.findData("full"))
    # autosave writes when dirty and leaves a recoverable file
    win.random_seed()
    _wait(render.idle, 60)
    step("autosave", win.autosave() is not None and win.autosaver.path.is_file())
