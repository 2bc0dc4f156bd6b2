"""What keeps the studio quick to open and responsive while dragging (issue 6, Verification):
the first frame does not wait for CLIP when its condition is cached, side work (classifier,
mockups, thumbnails) never delays or crowds out a frame, and only the newest edit is rendered.
Orderings and counts only: the timings themselves come from `wenyang-studio --selftest`."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
from studio_fakes import FakeEncoder, FakeRenderer, wait_idle

from designer_app import lexicon, startup_trace
from designer_app.condition_cache import ConditionCache
from engine.project import Design


def _clip_dir(tmp_path: Path, weights: bytes = b"weights-1") -> Path:
    d = tmp_path / "clip"
    d.mkdir(exist_ok=True)
    (d / "m.json").write_text('{"embed_dim": 4}', encoding="utf-8")
    (d / "m.safetensors").write_bytes(weights)
    return d


def _default_prompt() -> str:
    d = Design()
    return lexicon.prompt_for(d.region, d.text)


# ------------------------------------------------------------------ the condition cache
def test_condition_cache_round_trip_and_model_key(tmp_path):
    clip = _clip_dir(tmp_path)
    cache = ConditionCache(clip, root=tmp_path / "cache")
    assert cache.lookup("Miao pattern") is None
    c = np.arange(4, dtype=np.float32)
    cache.store("Miao pattern", c, ["zzqx"])
    got = ConditionCache(clip, root=tmp_path / "cache").lookup("Miao pattern")
    assert got is not None
    assert np.array_equal(got[0], c) and got[0].dtype == np.float32
    assert got[1] == ["zzqx"]
    assert ConditionCache(clip, root=tmp_path / "cache").lookup("Miao pattern, gold") is None


def test_condition_cache_misses_after_the_clip_weights_change(tmp_path):
    clip = _clip_dir(tmp_path)
    cache = ConditionCache(clip, root=tmp_path / "cache")
    cache.store("Miao pattern", np.ones(4, np.float32), [])
    key = cache.model_key()
    (clip / "m.safetensors").write_bytes(b"weights-2, retrained")
    other = ConditionCache(clip, root=tmp_path / "cache")
    assert other.model_key() != key
    assert other.lookup("Miao pattern") is None


def test_condition_cache_without_a_clip_model_stores_nothing(tmp_path):
    cache = ConditionCache(tmp_path / "no-clip-here", root=tmp_path / "cache")
    cache.store("Miao pattern", np.ones(4, np.float32), [])
    assert cache.model_key() == ""
    assert cache.lookup("Miao pattern") is None


# ------------------------------------------------------------------ first frame first
def _recording_encoder_factory(calls: list[float]):
    enc = FakeEncoder()

    def factory(d, dev):
        calls.append(time.perf_counter())
        return enc

    return factory


def test_first_frame_does_not_wait_for_clip_when_its_condition_is_cached(qtbot, make_window):
    c = np.array([0.5, -0.5, 0.5, 0.5], np.float32)
    ConditionCache(None).store(_default_prompt(), c, [])  # the shipped CLIP's key
    calls: list[float] = []
    w = make_window(
        renderer=FakeRenderer(c_dim=4), encoder_factory=_recording_encoder_factory(calls)
    )
    wait_idle(qtbot, w)
    assert np.array_equal(w.model.design.condition, c)  # the cached vector drew the frame
    qtbot.waitUntil(lambda: w.state.encoder_ready, timeout=5000)  # CLIP still loads, after
    assert len(calls) == 1 and w.render.first_frame_at is not None
    assert calls[0] > w.render.first_frame_at


def test_uncached_condition_is_encoded_then_cached_for_the_next_launch(qtbot, make_window):
    calls: list[float] = []
    w = make_window(
        renderer=FakeRenderer(c_dim=4), encoder_factory=_recording_encoder_factory(calls)
    )
    wait_idle(qtbot, w)
    assert len(calls) == 1  # loaded at once: the frame needs it
    cache = ConditionCache(None)
    qtbot.waitUntil(lambda: cache.lookup(_default_prompt()) is not None, timeout=5000)
    got = cache.lookup(_default_prompt())
    assert np.allclose(got[0], w.model.design.condition)


def test_region_thumbnails_wait_for_the_first_frame(qtbot, make_window):
    gate = threading.Event()
    r = FakeRenderer()

    def slow_factory(d, dev):
        gate.wait(10)
        return r

    w = make_window(renderer_factory=slow_factory)
    qtbot.wait(200)
    assert w.state.model_state == "loading"
    assert not w._thumbnails_started
    gate.set()
    wait_idle(qtbot, w)
    assert w._thumbnails_started


# ------------------------------------------------------------------ dragging
def _drag(w, qtbot, values) -> None:
    s = w.sliders.truncation.slider
    s.setSliderDown(True)
    for v in values:
        s.setValue(v)
        qtbot.wait(2)
    s.setSliderDown(False)


def test_one_frame_in_flight_and_only_the_newest_edit_is_rendered(qtbot, make_window):
    r = FakeRenderer(delay_s=0.03)
    w = make_window(renderer=r)
    wait_idle(qtbot, w)
    events: list[tuple[str, int]] = []
    send = w.session.render
    w.session.render = lambda spec: (events.append(("sent", spec.request_id)), send(spec))
    # "landed" is logged by the renderer itself as it finishes, i.e. before frameReady is
    # emitted: a listener on the signal races the GUI thread's reaction to the same signal
    render = r.render

    def logged_render(req):
        out = render(req)
        events.append(("landed", -1))
        return out

    r.render = logged_render
    calls0 = r.calls
    _drag(w, qtbot, range(40, 140, 4))  # 25 edits, faster than frames come back
    wait_idle(qtbot, w)
    sent = [rid for kind, rid in events if kind == "sent"]
    assert 1 <= len(sent) < 25 and r.calls - calls0 == len(sent)  # stale edits never rendered
    outstanding = 0
    for kind, _ in events:  # never a second request while one is being rendered
        outstanding += 1 if kind == "sent" else -1
        assert outstanding in (0, 1)
    # the frame on screen is the final design's
    final = r.render(w.session.worker._request(_spec(w)))
    assert np.array_equal(w.state.image, final.image)


def _spec(w):
    from designer_app.frame_spec import spec_from_design

    return spec_from_design(w.model.design, 0, None)


def test_classifier_runs_only_once_the_picture_settled(qtbot, make_window):
    w = make_window(renderer=FakeRenderer(delay_s=0.01))
    wait_idle(qtbot, w)
    qtbot.waitUntil(lambda: w.state.probabilities is not None, timeout=5000)
    idle_at_send: list[bool] = []
    classify = w.session.classify
    w.session.classify = lambda rid, img: (idle_at_send.append(w.render.idle()), classify(rid, img))
    sent0 = w.render.classify_requests
    _drag(w, qtbot, range(40, 140, 5))
    wait_idle(qtbot, w)
    qtbot.waitUntil(lambda: w.render.classify_requests > sent0, timeout=5000)
    assert idle_at_send and all(idle_at_send)  # never while frames were due
    assert w.render.classify_requests - sent0 <= len(w.render.render_ms)
    last = w.state.image_id
    qtbot.waitUntil(lambda: w.state.probabilities is not None, timeout=5000)
    assert w.state.image_id == last


def test_a_slow_mockup_composite_does_not_hold_back_frames(qtbot, make_window):
    w = make_window()
    w.mockup_dock.raise_()
    wait_idle(qtbot, w)
    qtbot.waitUntil(lambda: len(w.mockups.previews) > 0, timeout=10000)
    started, release = threading.Event(), threading.Event()
    composite = w.mockups._composite

    def slow(*a, **k):  # side thread
        started.set()
        release.wait(10)
        return composite(*a, **k)

    w.mockups._composite = slow
    w.random_seed()  # a new frame, and a composite that now hangs
    qtbot.waitUntil(started.is_set, timeout=5000)
    before = w.state.image_id
    w.random_seed()
    wait_idle(qtbot, w)  # frames land while the composite is still running
    assert w.state.image_id > before and not release.is_set()
    release.set()


def test_startup_trace_keeps_the_first_mark_and_orders_stages():
    startup_trace.mark("test-stage-a")
    t = startup_trace.at("test-stage-a")
    startup_trace.mark("test-stage-a")
    startup_trace.mark("test-stage-b")
    assert startup_trace.at("test-stage-a") == t
    rep = startup_trace.report()
    names = list(rep)
    assert names.index("test-stage-a") < names.index("test-stage-b")
    assert rep["test-stage-a"] >= 0.0  # measured from the process start, which came first
    assert set(startup_trace.cpu_report()) == set(rep)


def test_export_preview_redraws_once_after_a_burst_of_frames(qtbot, make_window):
    w = make_window()
    w.export_dock.raise_()
    wait_idle(qtbot, w)
    panel = w.export_panel
    qtbot.waitUntil(lambda: not panel._timer.isActive(), timeout=5000)
    drawn: list[int] = []
    update = panel.update_preview
    panel.update_preview = lambda: (drawn.append(w.state.image_id), update())
    panel._timer.timeout.disconnect()
    panel._timer.timeout.connect(panel.update_preview)
    img = w.state.image
    for k in range(1, 21):  # twenty frames before the event loop runs again
        w.state.set_image(img[::-1].copy() if k % 2 else img, w.state.image_id + 1)
    assert drawn == []  # nothing drawn on the GUI thread per frame
    qtbot.waitUntil(lambda: len(drawn) == 1, timeout=5000)
    qtbot.wait(400)
    assert drawn == [w.state.image_id]  # one redraw, of the newest frame


# ------------------------------------------------------------------ drag previews
def test_first_changed_row_tells_cheap_fine_edits_from_full_renders():
    from designer_app.frame_spec import FrameSpec, first_changed_row

    v = np.ones(8, np.float32)
    base = FrameSpec(1, seed=3, truncation=0.7, offsets=[(v, 0.5, (4, 6))])
    fine = FrameSpec(2, seed=3, truncation=0.7, offsets=[(v, 0.75, (4, 6))])
    both = FrameSpec(3, seed=3, truncation=0.7, offsets=[(v, 0.5, (4, 6)), (v, 1.0, (2, 4))])
    assert first_changed_row(None, base) == 0
    assert first_changed_row(base, base) is None
    assert first_changed_row(base, fine) == 4
    assert first_changed_row(base, both) == 2
    assert first_changed_row(base, FrameSpec(4, seed=4, truncation=0.7)) == 0
    assert first_changed_row(base, FrameSpec(5, seed=3, truncation=0.9, offsets=base.offsets)) == 0


class _FlatPreview:
    """Stands in for preview_render.PreviewRenderer: a grey frame, easy to tell apart."""

    def __init__(self, renderer):
        self.renderer, self.calls = renderer, 0

    def render(self, request, request_class):
        self.calls += 1
        ws = self.renderer.mapping(request.seed, request.c, request.truncation)
        return np.full((16, 16, 3), 128, np.uint8), ws, 0.0


def test_coarse_drag_previews_then_the_full_frame_follows_on_release(qtbot, make_window):
    r = FakeRenderer(delay_s=0.005)
    w = make_window(renderer=r)
    wait_idle(qtbot, w)
    worker = w.session.worker
    preview = _FlatPreview(r)
    worker._preview, worker._preview_posted = preview, True
    w.render.previews_available = True
    s = w.sliders.truncation.slider  # truncation moves every row: a full re-render
    s.setSliderDown(True)
    for v in range(40, 100, 6):
        s.setValue(v)
        qtbot.wait(5)
    qtbot.waitUntil(lambda: w.render.showing_preview, timeout=5000)
    assert not w.render.idle()  # a preview is not the design: no classifier, no "done"
    assert (w.state.image == 128).all()
    s.setSliderDown(False)
    wait_idle(qtbot, w)
    assert not w.render.showing_preview and preview.calls >= 1
    assert len(w.render.refine_ms) == 1
    final = r.render(w.session.worker._request(_spec(w)))
    assert np.array_equal(w.state.image, final.image)
    assert w.stack.count() == 1  # previews are no extra history


def test_fine_row_drags_ask_for_previews_and_end_on_a_full_frame(qtbot, make_window):
    """Any drag may preview (the engine picks the resolution that fits its budget); the
    release brings the full frame."""
    from engine.project import Offset

    r = FakeRenderer(delay_s=0.005)
    w = make_window(renderer=r)
    wait_idle(qtbot, w)
    worker = w.session.worker
    preview = _FlatPreview(r)
    worker._preview, worker._preview_posted = preview, True
    w.render.previews_available = True
    fine0 = r.info.layer_ranges["fine"][0]
    vec = np.ones(8, np.float32)
    w.model.design.offsets.append(Offset("dir:fine:test", 0.0, (fine0, 6), vec, "fine test"))
    w.render.request_frame()
    wait_idle(qtbot, w)
    dragging = [True]
    w.render.is_dragging = lambda: dragging[0]
    for k in range(1, 6):
        w.model.design.offsets[-1].strength = 0.2 * k
        w.render.request_frame()
        qtbot.wait(5)
    qtbot.waitUntil(lambda: w.render.showing_preview, timeout=5000)
    assert preview.calls >= 1
    dragging[0] = False
    w.render.drag_ended()
    wait_idle(qtbot, w)
    assert not w.render.showing_preview
    final = r.render(w.session.worker._request(_spec(w)))
    assert np.array_equal(w.state.image, final.image)


class _BrokenPreview:
    def render(self, request, request_class):
        raise RuntimeError("twin weights went missing")


def test_frames_are_drawn_between_the_slices_of_the_preview_build(qtbot, make_window, monkeypatch):
    """Building the ladder takes seconds at start-up; a frame asked for meanwhile must not
    wait for all of it."""
    import designer_app.preview_render as pr

    order: list[str] = []

    def slow_build(renderer, *args, **kwargs):
        for i in range(6):
            time.sleep(0.05)
            order.append(f"slice{i}")
            yield
        return None

    monkeypatch.setattr(pr, "build_preview", slow_build)
    r = FakeRenderer()
    w = make_window(renderer=r)
    w.session.worker.frameReady.connect(lambda *a: order.append("frame"))
    qtbot.waitUntil(lambda: "slice1" in order, timeout=10000)
    w.model.set("truncation", 0.55)
    qtbot.waitUntil(lambda: w.session.worker._preview is False, timeout=10000)
    wait_idle(qtbot, w)
    late = order[order.index("slice1") :]
    assert "frame" in late and late.index("frame") < late.index("slice5"), order
    assert not w.render.previews_available  # the (empty) ladder was announced at the end


def test_a_failing_preview_turns_previews_off_and_the_frame_still_comes(qtbot, make_window):
    r = FakeRenderer()
    w = make_window(renderer=r)
    wait_idle(qtbot, w)
    worker = w.session.worker
    worker._preview, worker._preview_posted = _BrokenPreview(), True
    w.render.previews_available = True
    notices: list[str] = []
    w.render.notice.connect(notices.append)
    s = w.sliders.truncation.slider
    s.setSliderDown(True)
    s.setValue(s.value() + 10)
    qtbot.waitUntil(lambda: not w.render.previews_available, timeout=5000)
    s.setSliderDown(False)
    wait_idle(qtbot, w)
    assert worker._preview is False
    assert any("Drag previews are off" in n and "twin weights" in n for n in notices)
    final = r.render(w.session.worker._request(_spec(w)))
    assert np.array_equal(w.state.image, final.image)


def _ladder_generator(resolution: int):
    import torch

    from engine.stylegan.config import generator_kwargs
    from engine.stylegan.networks import Generator

    torch.manual_seed(4)
    return Generator(**generator_kwargs("tiny", c_dim=0, resolution=resolution, tileable=True))


def test_renderer_estimates_what_an_edit_costs_from_its_cache():
    from engine.stylegan.render import Renderer, RenderRequest

    r = Renderer.from_generator(_ladder_generator(128))
    ws = r.request_ws(RenderRequest(seed=3, truncation=0.7))
    noise = ("const", None)
    assert r.estimate_ms(ws, noise) is None  # never timed
    r.render(RenderRequest(ws=ws))
    full = r.estimate_ms(ws + 0.5, noise)
    assert full is not None and full > 0
    assert r.estimate_ms(ws, noise) == 0.0  # the whole frame is cached
    fine0 = r.info.layer_ranges["fine"][0]
    moved = ws.copy()
    moved[fine0:] += 0.5
    fine = r.estimate_ms(moved, noise)
    assert fine is not None and 0 < fine < full  # only the top steps re-run
    assert r.estimate_ms(ws, ("random", None)) == full  # random noise: nothing reusable


def test_drag_frames_go_to_the_sharpest_renderer_that_fits_the_budget():
    from designer_app.preview_render import make_preview
    from engine.export.upscale import bilinear
    from engine.stylegan.render import Renderer, RenderRequest

    r = Renderer.from_generator(_ladder_generator(256))
    p = make_preview(r, budget_ms=1e9, max_stray=float("inf"))  # random weights
    assert p is not None
    assert [t.info.resolution for t in p.twins] == [128, 64]
    # building the ladder rendered every rung on three designs: all of them are timed
    for t in (r, *p.twins):
        blank = np.zeros((t.info.num_ws, t.info.w_dim), np.float32)
        assert t.estimate_ms(blank, ("const", None)) is not None
    img, ws, _ = p.render(RenderRequest(seed=7, truncation=0.7), RenderRequest)
    assert p.last_factor == 1  # everything fits: a full frame
    assert np.array_equal(img, r.render(RenderRequest(ws=ws)).image)
    p.budget_ms = 0.0  # nothing fits: the smallest twin
    img, ws, _ = p.render(RenderRequest(seed=8, truncation=0.7), RenderRequest)
    assert p.last_factor == 4 and img.shape == (256, 256, 3)
    small = p.twins[1].render(RenderRequest(ws=ws[: p.twins[1].info.num_ws])).image
    assert np.array_equal(img, bilinear(small, (256, 256)))
    # a drag of the fine rows (nothing else moved since the frame before) at budget 0: the
    # half-resolution twin, since the quarter one would only re-draw its last toRGB
    fine0 = r.info.layer_ranges["fine"][0]
    assert fine0 >= int(p.twins[1].info.num_ws) - 1
    moved = ws.copy()
    moved[fine0:] += 0.25
    p.render(RenderRequest(ws=moved), RenderRequest)
    assert p.last_factor == 2
    # with given costs: the sharpest within the budget; twins that do not show the edit
    # (it starts at or above their last toRGB row) are never picked
    costs = {1: 60.0, 2: 30.0, 4: 10.0}
    for t, f in [(r, 1), (p.twins[0], 2), (p.twins[1], 4)]:
        t.estimate_ms = lambda ws, noise, f=f: costs[f]
    new = r.request_ws(RenderRequest(seed=9, truncation=0.7))
    noise = ("const", None)
    p.budget_ms = 35.0
    assert p.pick(new, noise)[1] == 2
    p.budget_ms = 5.0
    assert p.pick(new, noise)[1] == 4
    top64 = int(p.twins[1].info.num_ws) - 1  # the 64 px twin's last (toRGB) row
    assert p.pick(new, noise, edit_row=top64)[1] == 2
    top128 = int(p.twins[0].info.num_ws) - 1
    assert p.pick(new, noise, edit_row=top128)[1] == 1  # only the full network shows it
    p.budget_ms = 100.0
    assert p.pick(new, noise)[1] == 1
    # a twin passed over (one slow render) is tried again after RETRY_AFTER frames
    from designer_app.preview_render import RETRY_AFTER

    costs[2], p.budget_ms = 40.0, 35.0
    picks = [p.pick(new, noise)[1] for _ in range(2 * RETRY_AFTER)]
    assert set(picks) == {2, 4} and picks.count(2) == 2
    first = picks.index(2)
    assert picks[first + 1 :].index(2) == RETRY_AFTER - 1
    assert p.factors[1] == 1 and p.factors[4] == 1 and p.factors[2] == 1


def test_preview_renderer_is_the_generator_one_octave_early(tmp_path):
    from designer_app.preview_render import make_preview
    from engine.export.upscale import bilinear
    from engine.stylegan.config import generator_kwargs
    from engine.stylegan.networks import Generator
    from engine.stylegan.render import Renderer, RenderRequest

    kwargs = generator_kwargs("tiny", c_dim=0, resolution=128, tileable=True)
    r = Renderer.from_generator(Generator(**kwargs))
    p = make_preview(r, max_stray=float("inf"))  # random weights: the twin's colours differ
    assert p is not None and p.factor == 2 and p.num_ws < r.info.num_ws
    p.budget_ms = 0.0  # the twin, however cheap the full frame is
    req = RenderRequest(seed=5, truncation=0.7)
    img, ws, _ = p.render(req, RenderRequest)
    assert img.shape == (128, 128, 3) and img.dtype == np.uint8
    assert np.array_equal(ws, r.request_ws(req))  # the full design's latent
    small = p.small.render(RenderRequest(ws=ws[: p.num_ws]))
    assert np.array_equal(img, bilinear(small.image, (128, 128)))  # enlarged smoothly
    assert make_preview(Renderer.from_generator(Generator(**generator_kwargs("tiny", 0)))) is None


def test_twins_that_draw_another_picture_than_the_full_network_are_left_out():
    """The top blocks' toRGB adds colour of its own: where it adds much, the twin's picture
    (a greyed design) is no preview of the full frame and the ladder goes without it."""
    import torch

    from designer_app.preview_render import MAX_STRAY, make_preview, stray
    from engine.stylegan.config import generator_kwargs
    from engine.stylegan.networks import Generator
    from engine.stylegan.render import Renderer

    torch.manual_seed(3)
    G = Generator(**generator_kwargs("tiny", c_dim=0, resolution=128, tileable=True))
    with torch.no_grad():
        G.synthesis.b128.torgb.weight.zero_()  # the top block adds no colour: faithful twin
        G.synthesis.b128.torgb.bias.zero_()
    r = Renderer.from_generator(G)
    p = make_preview(r)
    assert p is not None and stray(r, p.small) < MAX_STRAY / 4
    with torch.no_grad():
        G.synthesis.b128.torgb.weight.normal_(0.0, 3.0)  # now it paints over the twin's picture
        G.synthesis.b128.torgb.bias.fill_(0.5)
    r = Renderer.from_generator(G)
    assert make_preview(r) is None
    assert make_preview(r, max_stray=float("inf")) is not None


def test_a_shipped_preview_network_of_these_weights_joins_the_ladder_last(tmp_path):
    """`preview/` beside the generator (gan-distil --resolution): used for drag frames when it
    was made from these very weights, after the twin of its size (sharper, dearer); a preview
    network left over from earlier weights is not used."""
    import json

    import torch

    from designer_app.preview_render import PREVIEW_DIR, make_preview, preview_network
    from engine.stylegan.checkpoint import read_config, save_generator
    from engine.stylegan.config import generator_kwargs
    from engine.stylegan.networks import Generator
    from engine.stylegan.render import Renderer, RenderRequest
    from engine.stylegan.twin import truncated_generator

    torch.manual_seed(5)
    G = Generator(**generator_kwargs("tiny", c_dim=0, resolution=128, tileable=True))
    model = save_generator(G, tmp_path / "gen")
    sha = read_config(model)["sha256"]
    # a stand-in for the distilled network: the 64 px twin itself, marked as this one's
    save_generator(
        truncated_generator(G, 64),
        model / PREVIEW_DIR,
        {"preview_of": {"model_id": "gen", "sha256": sha}, "preview_resolution": 64},
    )
    r = Renderer(model)
    net = preview_network(r)
    assert net is not None and net.info.resolution == 64
    p = make_preview(r, max_stray=float("inf"))
    assert p is not None and len(p.twins) == 2 and p.twins[1].model_dir == model / PREVIEW_DIR
    costs = {id(r): 50.0, id(p.twins[0]): 30.0, id(p.twins[1]): 10.0}
    for t in (r, *p.twins):
        t.estimate_ms = lambda ws, noise, t=t: costs[id(t)]
    ws = r.request_ws(RenderRequest(seed=1, truncation=0.7))
    assert p.pick(ws, ("const", None))[0] is p.twins[0]  # within 35 ms: the exact twin
    costs[id(p.twins[0])] = 40.0
    assert p.pick(ws, ("const", None))[0] is p.twins[1]  # else the cheaper network
    cfg_file = model / PREVIEW_DIR / "config.json"
    cfg = json.loads(cfg_file.read_text())
    cfg["meta"]["preview_of"]["sha256"] = "0" * 64  # made from other weights
    cfg_file.write_text(json.dumps(cfg))
    assert preview_network(Renderer(model)) is None
    assert preview_network(Renderer.from_generator(G)) is None  # weights with no folder


def test_preview_draws_the_designs_seeded_noise(tmp_path):
    """A drag preview of a design with per-design noise adds that design's noise in the
    layers it shares with the full network, so the preview does not jump to another layout."""
    import torch

    from designer_app.preview_render import make_preview
    from engine.export.upscale import bilinear
    from engine.stylegan.config import generator_kwargs
    from engine.stylegan.networks import Generator
    from engine.stylegan.render import Renderer, RenderRequest

    torch.manual_seed(2)
    G = Generator(**generator_kwargs("tiny", c_dim=0, resolution=128, tileable=True))
    with torch.no_grad():
        for name, prm in G.named_parameters():
            if name.endswith("noise_strength"):
                prm.fill_(0.5)
    r = Renderer.from_generator(G)
    p = make_preview(r, max_stray=float("inf"))  # random weights: the twin's colours differ
    assert p is not None
    p.budget_ms = 0.0  # the twin, however cheap the full frame is
    img, ws, _ = p.render(RenderRequest(seed=5, truncation=0.7, noise_mode="seeded"), RenderRequest)
    small = p.small.render(RenderRequest(ws=ws[: p.num_ws], noise_mode="seeded", noise_seed=5))
    assert np.array_equal(img, bilinear(small.image, (128, 128)))
    other = p.small.render(RenderRequest(ws=ws[: p.num_ws], noise_mode="seeded", noise_seed=6))
    assert not np.array_equal(img, bilinear(other.image, (128, 128)))


def test_engine_signals_update_the_studio_on_the_gui_thread(qtbot, make_window, monkeypatch):
    """PySide runs a lambda (or a signal-to-signal hop) on the emitting engine thread; the
    studio state (and the widgets listening to it) must only ever change on the GUI thread."""
    from designer_app.models.studio_state import StudioState

    threads: list[tuple[str, bool]] = []

    def spy(name):
        orig = getattr(StudioState, name)

        def call(self, *a, **k):
            threads.append((name, threading.current_thread() is threading.main_thread()))
            return orig(self, *a, **k)

        monkeypatch.setattr(StudioState, name, call)

    for name in ("set_model", "set_directions", "set_encoder", "set_image"):
        spy(name)
    w = make_window(encoder=None)  # the encoder fails: encoderUnavailable
    notices: list[bool] = []
    w.render.notice.connect(
        lambda m: notices.append(threading.current_thread() is threading.main_thread())
    )
    wait_idle(qtbot, w)
    qtbot.waitUntil(lambda: bool(w.state.encoder_message), timeout=5000)
    qtbot.waitUntil(lambda: any(n == "set_directions" for n, _ in threads[1:]), timeout=5000)
    w.session.worker.notice.emit("from the engine")  # as the engine thread would
    w.session.worker.post(lambda: w.session.worker.notice.emit("from the engine thread"))
    qtbot.waitUntil(lambda: len(notices) == 2, timeout=5000)
    assert {n for n, _ in threads} >= {"set_model", "set_directions", "set_encoder", "set_image"}
    assert all(on_gui for _, on_gui in threads), threads
    assert all(notices)


def test_no_previews_are_asked_of_an_engine_without_them(qtbot, make_window):
    r = FakeRenderer()  # no generator inside: make_preview gives None
    w = make_window(renderer=r)
    wait_idle(qtbot, w)
    qtbot.waitUntil(lambda: w.session.worker._preview is False, timeout=5000)
    assert not w.render.previews_available
    _drag(w, qtbot, range(40, 100, 10))
    wait_idle(qtbot, w)
    assert w.render.preview_ms == [] and w.render.refine_ms == []


def test_a_generator_trained_on_another_clip_model_gets_a_notice(qtbot):
    """The engine compares the generator's recorded CLIP hash with the loaded encoder's."""
    from types import SimpleNamespace

    from designer_app.engine_worker import _EngineWorker

    enc = SimpleNamespace(model_hash="fedcba9876543210aaaa", embed_dim=8)
    for gen_hash, expect in (("0123456789abcdef", 1), ("fedcba9876543210", 0), ("", 0)):
        info = SimpleNamespace(clip_hash=gen_hash)
        w = _EngineWorker(lambda *_a, i=info: SimpleNamespace(info=i), lambda *_a: enc)
        notices: list[str] = []
        w.notice.connect(notices.append)
        w.load_model(None, "cpu")
        w.load_encoder(None, "cpu")
        w.load_encoder(None, "cpu")  # same pair again: no second notice
        assert len([n for n in notices if "CLIP model" in n]) == expect, (gen_hash, notices)


# ------------------------------------------------------------------ shipped conditions
def test_shipped_conditions_serve_a_first_launch_and_only_for_their_model(tmp_path):
    from designer_app.condition_cache import SHIPPED, write_shipped

    clip = _clip_dir(tmp_path)
    prompts = ["Miao pattern", "Hakka pattern, peony"]
    vecs = np.eye(2, 4, dtype=np.float32)
    path = write_shipped(clip, prompts, lambda ps: (vecs[: len(ps)], [[], ["xx"]]))
    assert path == clip / SHIPPED and not any(p.name.startswith(".") for p in clip.iterdir())
    fresh = ConditionCache(clip, root=tmp_path / "empty-user-cache")
    c, unknown = fresh.lookup("Hakka pattern, peony")
    assert np.array_equal(c, vecs[1]) and unknown == ["xx"]
    assert fresh.lookup("Tibetan pattern") is None
    # the user's own cache wins over the shipped file
    fresh.store("Miao pattern", np.full(4, 0.5, np.float32), [])
    assert np.array_equal(fresh.lookup("Miao pattern")[0], np.full(4, 0.5, np.float32))
    # another model (different weights): the shipped vectors are never used
    (tmp_path / "o").mkdir()
    other = _clip_dir(tmp_path / "o", weights=b"weights-2")
    (other / SHIPPED).write_bytes((clip / SHIPPED).read_bytes())
    assert ConditionCache(other, root=tmp_path / "c2").lookup("Hakka pattern, peony") is None


def test_the_shipped_clip_model_ships_current_default_conditions(tmp_path):
    from designer_app.condition_cache import default_prompts

    shipped = ConditionCache(None, root=tmp_path).shipped()
    missing = [p for p in default_prompts() if p not in shipped]
    assert not missing, (
        f"assets/models/clip/conditions.npz is missing or stale for {missing}: the CLIP model, "
        "the lexicon or engine/clip/text.py changed; run `python -m designer_app.condition_cache`"
    )
    assert all(abs(float(np.linalg.norm(c)) - 1.0) < 1e-3 for c, _ in shipped.values())


def test_the_shipped_preview_network_belongs_to_the_shipped_generator():
    """A generator shipped without re-making its preview network would lose it silently:
    the shipped `preview/` must be made from the shipped weights and draw their designs."""
    from designer_app.preview_render import MAX_STRAY, PREVIEW_DIR, preview_network, stray
    from engine.stylegan.render import DEFAULT_MODEL_DIR, Renderer

    assert (DEFAULT_MODEL_DIR / PREVIEW_DIR).is_dir()
    r = Renderer(DEFAULT_MODEL_DIR, device="cpu")
    net = preview_network(r)
    assert net is not None, "preview/ was made from other weights: re-make or remove it"
    assert stray(r, net) <= MAX_STRAY
