"""The opening frame from the helper process (designer_app/first_frame.py): the job survives
the pipe, the helper's pixels are the engine thread's pixels, and the window shows the tile
only while it still matches the design."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from designer_app import first_frame
from designer_app.frame_spec import FrameSpec, build_request, first_changed_row


def _spec(c_dim: int, w_dim: int = 8) -> FrameSpec:
    rng = np.random.default_rng(5)
    c = rng.standard_normal(c_dim).astype(np.float32) if c_dim else None
    return FrameSpec(
        request_id=0,
        seed=1234,
        truncation=0.6,
        condition=c,
        offsets=[(rng.standard_normal(w_dim).astype(np.float32), 1.5, (0, 2))],
        mix_seed=None,
        mix_from_layer=None,
        region="miao",
        truncate_to="region",
    )


def test_job_survives_the_pipe_format() -> None:
    spec = _spec(16)
    spec.ws = np.arange(24, dtype=np.float32).reshape(3, 8)
    spec.policy_offset = np.full(8, 0.25, np.float32)
    spec.mix_seed, spec.mix_from_layer, spec.noise_mode = 9, 2, "random"
    blob = first_frame.encode_job(Path("rel/model"), "cpu", spec)
    model_dir, device, back = first_frame.decode_job(blob)
    assert model_dir == Path("rel/model").resolve() and device == "cpu"
    assert first_changed_row(spec, back) is None  # renders the same rows
    assert (back.seed, back.truncation, back.mix_seed, back.mix_from_layer) == (1234, 0.6, 9, 2)
    assert back.noise_mode == "random"
    assert (back.region, back.truncate_to) == (spec.region, spec.truncate_to)
    assert back.use_prior is True
    assert back.prior_by_region is True and back.prior_region == "miao"
    whole = FrameSpec(**{**spec.__dict__, "prior_by_region": False})
    back_whole = first_frame.decode_job(first_frame.encode_job(None, "cpu", whole))[2]
    assert back_whole.prior_region is None
    assert first_changed_row(spec, whole) == 0  # another condition moves every row
    assert back.prior_faithful is True
    every_tile = FrameSpec(**{**spec.__dict__, "prior_faithful": False})
    assert (
        first_frame.decode_job(first_frame.encode_job(None, "cpu", every_tile))[2].prior_faithful
        is False
    )
    assert first_changed_row(spec, every_tile) == 0
    no_prior = FrameSpec(**{**spec.__dict__, "use_prior": False})
    _, _, back_np = first_frame.decode_job(first_frame.encode_job(None, "cpu", no_prior))
    assert back_np.use_prior is False
    assert first_changed_row(spec, no_prior) == 0
    moved = first_frame.decode_job(
        first_frame.encode_job(None, "cpu", FrameSpec(**{**spec.__dict__, "truncate_to": "global"}))
    )[2]
    assert first_changed_row(spec, moved) == 0  # another truncation centre moves every row
    assert back.offsets[0][1:] == (1.5, (0, 2))
    assert np.array_equal(back.ws, spec.ws) and np.array_equal(back.condition, spec.condition)
    laid = FrameSpec(**{**spec.__dict__, "noise_mode": "seeded", "noise_seed": 77})
    back_laid = first_frame.decode_job(first_frame.encode_job(None, "cpu", laid))[2]
    assert (back_laid.noise_mode, back_laid.noise_seed) == ("seeded", 77)
    assert back.noise_seed is None
    # another layout (noise seed) moves every row's output: the whole network re-renders
    assert first_changed_row(laid, FrameSpec(**{**laid.__dict__, "noise_seed": 78})) == 0
    plain = first_frame.decode_job(first_frame.encode_job(None, "auto", _spec(0)))
    assert plain[0] is None and plain[2].condition is None and plain[2].ws is None


@pytest.fixture(scope="module")
def cond_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from designer_app.selftest import make_random_model
    from engine.stylegan.condition_prior import ConditionPrior, save_prior

    d = make_random_model(tmp_path_factory.mktemp("gen") / "tinyc", "tiny", c_dim=16)
    # a prior that knows its tiles' regions: the helper must draw as the engine thread does
    bank = np.random.default_rng(6).standard_normal((40, 16)).astype(np.float32)
    regions = np.asarray(["miao", "hakka", "tibetan", "jiangnan"] * 10)
    save_prior(ConditionPrior(bank, k=6, mode="sample", regions=regions, region_k=4), d)
    return d


def test_helper_renders_what_the_engine_thread_renders(cond_model: Path) -> None:
    from engine.stylegan.render import Renderer

    helper = first_frame.FirstFrameHelper()
    got: dict[str, object] = {}
    done = threading.Event()

    def on_frame(job: int, image: np.ndarray, ms: float) -> None:
        got["job"], got["image"], got["ms"] = job, image, ms
        done.set()

    r = Renderer(cond_model, device="cpu")
    spec = _spec(16, int(r.info.w_dim))
    assert helper.send(7, cond_model, "cpu", spec, on_frame)
    assert done.wait(120), "the helper sent no frame"
    helper.close()
    assert got["job"] == 7
    here = r.render(build_request(r, spec, {})).image
    image = got["image"]
    assert isinstance(image, np.ndarray) and image.shape == here.shape and image.dtype == np.uint8
    # numpy's float32 forward against torch's (fused CPU kernels if built): ~1e-5 apart
    # before rounding to 8 bits
    diff = np.abs(image.astype(int) - here.astype(int))
    assert diff.max() <= 1 and diff.mean() < 0.01
    assert float(got["ms"]) > 0  # type: ignore[arg-type]


def test_helper_sends_nothing_for_a_condition_the_model_cannot_take(cond_model: Path) -> None:
    helper = first_frame.FirstFrameHelper()
    done = threading.Event()
    helper.send(1, cond_model, "cpu", _spec(7), lambda j, im, ms: done.set())  # c_dim is 16
    proc = helper.proc
    assert proc is not None
    helper.close()
    proc.wait(120)
    assert not done.wait(1.0)


def test_discard_ends_the_helper() -> None:
    helper = first_frame.FirstFrameHelper()
    proc = helper.proc
    assert proc is not None
    helper.discard()
    proc.wait(30)
    assert proc.returncode is not None and helper.proc is None


def test_start_and_take_follow_the_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(first_frame.ENV, "0")
    first_frame.start()
    assert first_frame.take() is None
    monkeypatch.setenv(first_frame.ENV, "1")
    monkeypatch.setattr(first_frame.os, "cpu_count", lambda: 1)  # no second core to use
    first_frame.start()
    assert first_frame.take() is None


def _loading_window(make_window):
    """A window whose engine thread is "still importing torch" until the gate is set."""
    from studio_fakes import FakeRenderer

    gate = threading.Event()

    def slow_factory(d: object, dev: str) -> FakeRenderer:
        gate.wait(30)
        return FakeRenderer(c_dim=4)

    return make_window(renderer_factory=slow_factory), gate


def test_window_shows_the_helper_tile_until_its_own_frame(qtbot, make_window) -> None:
    w, gate = _loading_window(make_window)
    try:
        spec = w.render._helper_spec()  # the design, its condition from the shipped cache
        assert spec is not None and spec.condition is not None
        tile = np.full((16, 16, 3), 200, np.uint8)
        w.render._helper_job = (3, spec)
        w.render._helperFrame.emit(2, np.zeros_like(tile), 12.0)  # an older job: dropped
        w.render._helperFrame.emit(3, tile, 12.0)
        qtbot.waitUntil(lambda: w.state.image is not None, timeout=5000)
        assert w.state.image_id == 0 and np.array_equal(w.state.image, tile)
        assert w.render.first_frame_at is not None
        assert w.canvas.tile is not None
        assert not w._thumbnails_started  # they wait for the engine thread's own frame
    finally:
        gate.set()
    qtbot.waitUntil(lambda: w.state.image_id >= 1, timeout=30000)
    assert not np.array_equal(w.state.image[:16, :16], tile)  # the fake's own pixels


def test_window_drops_a_helper_tile_of_an_older_design(qtbot, make_window) -> None:
    w, gate = _loading_window(make_window)
    try:
        d = w.model.design
        spec = w.render._helper_spec()
        assert spec is not None
        w.render._helper_job = (1, spec)
        w.model.set("seed", int(d.seed) + 1)  # the designer changed the seed meanwhile
        w.render._helperFrame.emit(1, np.zeros((16, 16, 3), np.uint8), 12.0)
        t_end = time.perf_counter() + 0.5
        while time.perf_counter() < t_end:
            qtbot.wait(20)
        assert w.state.image is None and w.render.first_frame_at is None
    finally:
        gate.set()
    qtbot.waitUntil(lambda: w.state.image is not None, timeout=30000)
    assert w.state.image_id >= 1


def test_helper_renders_the_newest_of_several_jobs(cond_model: Path) -> None:
    helper = first_frame.FirstFrameHelper()
    got: list[int] = []
    done = threading.Event()

    def on_frame(job: int, image: np.ndarray, ms: float) -> None:
        got.append(job)
        if job == 3:
            done.set()

    for job in (1, 2, 3):  # queued before the helper has even imported numpy
        spec = _spec(16)
        spec.seed, spec.offsets = job, []
        assert helper.send(job, cond_model, "cpu", spec, on_frame)
    assert done.wait(120)
    helper.close()
    assert got[-1] == 3 and len(got) <= 3 and got == sorted(got)


class _RecordingHelper:
    """Stands in for the helper process: records the jobs the window sends."""

    def __init__(self) -> None:
        self.jobs: list[tuple[int, FrameSpec]] = []
        self.closed = False

    def send(self, job, model_dir, device, spec, on_frame) -> bool:
        self.jobs.append((job, spec))
        return True

    def close(self) -> None:
        self.closed = True

    def discard(self) -> None:
        self.closed = True


def test_window_sends_a_replaced_design_to_the_helper(qtbot, make_window) -> None:
    from engine.project import Design

    w, gate = _loading_window(make_window)
    fake = _RecordingHelper()
    try:
        w.render._helper = fake
        opened = Design(region=w.model.design.region, seed=4242)
        opened.condition = np.full(4, 0.25, np.float32)
        w.model.replace(opened)  # what opening a project or a recovered design does
        assert fake.jobs and fake.jobs[-1][1].seed == 4242
        job, spec = fake.jobs[-1]
        assert np.array_equal(spec.condition, opened.condition)
        tile = np.full((16, 16, 3), 90, np.uint8)
        w.render._helperFrame.emit(job, tile, 5.0)
        qtbot.waitUntil(lambda: w.state.image is not None, timeout=5000)
        assert np.array_equal(w.state.image, tile)
    finally:
        gate.set()
    qtbot.waitUntil(lambda: w.state.image_id >= 1, timeout=30000)
    assert fake.closed  # the engine thread's first frame ends the helper
