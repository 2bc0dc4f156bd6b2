"""Lower-resolution frames while a slider is dragged (issue 6 allows them if the full frame
follows on release).

The generator builds its image octave by octave (skip architecture): the image after a lower
block is nearly the same design at a lower resolution. A preview twin is that network stopped
one or more blocks early, with the very same weights. While a slider is held, each frame goes
to the sharpest of the full renderer and its twins whose estimated cost for this very edit
(what their caches already hold, their steps' recent wall times: `Renderer.estimate_ms`) fits
`DRAG_BUDGET_MS`. With one frame in flight an edit waits for at most the frame before it and
then its own, so a 35 ms frame keeps slider -> frame under 80 ms. A fast machine keeps full
frames throughout; on this 2-core CPU fine-row drags are drawn at half resolution (15 ms
instead of 40), and the full frame follows on release.

Drags that move every row (seed, truncation, coarse and middle sliders) re-render a whole
128 px twin: about 40 ms here. For them the ladder ends in the *preview network* shipped
beside the generator (`preview/`: the 128 px twin distilled into narrower high-resolution
blocks by `wenyang train gan-distil MODEL --resolution 128 --channel-base 2048`), about half
the cost. It is used only when it was made from the loaded weights and passes the same check
as the twins.

"Nearly": the top blocks' toRGB layers add colour of their own, so a twin stopped too early
draws a greyed, washed-out picture (the shipped network's 64 px twin strays 40 levels of 255
on average from its full frame shrunk to 64 px; the 128 px twin 10). Each twin is checked
against the full frame on a few designs when the ladder is built and left out when it strays
more than `MAX_STRAY`. Runs on the engine thread.
"""

from __future__ import annotations

import collections
from collections.abc import Generator
from pathlib import Path
from typing import Any

import numpy as np

from engine.export.upscale import bilinear

MIN_PREVIEW_SIDE = 64  # below this a preview no longer shows the pattern's detail
DRAG_BUDGET_MS = 35.0  # a drag frame's own render time (see the docstring)
RETRY_AFTER = 40  # a twin passed over this many times in a row is tried once again
MAX_STRAY = 16.0  # a twin's mean |difference| (of 255) to the full frame shrunk to its size
STRAY_DESIGNS = 3  # designs the check renders
PREVIEW_DIR = "preview"  # beside the generator: a narrower network distilled for drag frames


class PreviewRenderer:
    """The loaded renderer and its previews (truncated twins, then the preview network),
    sharpest first; picks one per drag frame."""

    def __init__(self, renderer: Any, twins: list[Any], budget_ms: float = DRAG_BUDGET_MS):
        self.renderer, self.twins, self.budget_ms = renderer, list(twins), float(budget_ms)
        self.small = self.twins[0]  # the sharpest preview (the half-resolution twin)
        self.num_ws = int(self.small.info.num_ws)
        self.factor = int(renderer.info.resolution) // int(self.small.info.resolution)
        self.last_factor = 1  # the downscale of the newest preview (1: a full frame)
        self.factors: collections.Counter[int] = collections.Counter()  # previews drawn, by it
        self._passed: collections.Counter[int] = collections.Counter()  # by id(), see pick()
        self._last: tuple[np.ndarray, tuple[str, int | None]] | None = None  # newest frame

    def _ladder(self, edit_row: int) -> list[tuple[Any, int]]:
        """The full renderer and the twins that show an edit from w row `edit_row` on: a
        twin must run at least one convolution the edit changes (a twin that only re-draws
        its last toRGB would show a fine-row drag as almost no change at all)."""
        full = int(self.renderer.info.resolution)
        return [(self.renderer, 1)] + [
            (t, full // int(t.info.resolution))
            for t in self.twins
            if edit_row < int(t.info.num_ws) - 1
        ]

    def pick(
        self, ws: np.ndarray, noise: tuple[str, int | None], edit_row: int = 0
    ) -> tuple[Any, int]:
        """(renderer, downscale) for a drag frame: the sharpest that shows the edit and whose
        estimate fits the budget, else the smallest that shows it. A renderer never timed
        does not count as fitting."""
        ladder = self._ladder(edit_row)
        for r, f in ladder:
            est = r.estimate_ms(ws[: int(r.info.num_ws)], noise)
            if est is not None and est <= self.budget_ms:
                self._passed[id(r)] = 0
                return r, f
            if f > 1 and r is not ladder[-1][0]:
                # a twin passed over is timed again now and then: one slow render (a load
                # spike) must not keep it out for the rest of the session
                self._passed[id(r)] += 1
                if self._passed[id(r)] >= RETRY_AFTER:
                    self._passed[id(r)] = 0
                    return r, f
        return ladder[-1]

    def _edit_row(self, ws: np.ndarray, noise: tuple[str, int | None]) -> int:
        """The first w row this frame changes against the previous drag frame (0: all)."""
        last = self._last
        if last is None or last[1] != noise or last[0].shape != ws.shape:
            return 0
        moved = np.flatnonzero(np.any(last[0] != ws, axis=1))
        return int(moved[0]) if moved.size else int(ws.shape[0])

    def render(self, request: Any, request_class: Any) -> tuple[np.ndarray, np.ndarray, float]:
        """(image at full size, enlarged smoothly when drawn smaller; the full request's ws;
        ms) for a full-size request."""
        ws = self.renderer.request_ws(request)
        noise = request.noise_key()
        r, f = self.pick(ws, noise, self._edit_row(ws, noise))
        self._last = (ws, noise)
        res = r.render(
            request_class(
                ws=ws[: int(r.info.num_ws)],
                seed=request.seed,  # seeded noise: the same draw as the full frame's layers
                noise_mode=request.noise_mode,
                noise_seed=getattr(request, "noise_seed", None),
                request_id=request.request_id,
            )
        )
        self.last_factor = f
        self.factors[f] += 1
        img = res.image
        if f > 1:  # smooth, wrapping at the edges: the preview tiles like the full frame
            img = bilinear(img, (img.shape[0] * f, img.shape[1] * f))
        return img, ws, float(res.ms)


def reference_frames(
    renderer: Any, designs: int = STRAY_DESIGNS, first: int = 0
) -> list[tuple[Any, Any]]:
    """(ws, full frame) of the fixed designs previews are checked on: rendered once per
    ladder, however many previews are checked against them."""
    from engine.stylegan.render import RenderRequest

    c_dim = int(renderer.info.c_dim)
    out = []
    for i in range(first, first + designs):
        rs = np.random.RandomState(7_000_001 + i)
        c = rs.randn(c_dim).astype(np.float32) if c_dim else None
        if c is not None:
            c /= max(float(np.linalg.norm(c)), 1e-8)
        ws = renderer.request_ws(RenderRequest(c=c, seed=7_000_001 + i, truncation=0.7))
        out.append((ws, renderer.render(RenderRequest(ws=ws)).image))
    return out


def stray(renderer: Any, twin: Any, frames: list[tuple[Any, Any]] | None = None) -> float:
    """Mean |difference| (0–255) between the twin's picture and the full frame shrunk to the
    twin's size (area average), over `frames` (default: `reference_frames`). Rendering them
    also times every step of the twin (the first call packs weights, the others count), so
    `estimate_ms` can be trusted before the first drag."""
    import cv2

    from engine.stylegan.render import RenderRequest

    side = int(twin.info.resolution)
    errs = []
    for ws, full in frames if frames is not None else reference_frames(renderer):
        small = twin.render(RenderRequest(ws=ws[: int(twin.info.num_ws)])).image
        ref = cv2.resize(full, (side, side), interpolation=cv2.INTER_AREA)
        errs.append(float(np.abs(small.astype(np.float32) - ref.astype(np.float32)).mean()))
    return float(np.mean(errs))


def build_preview(
    renderer: Any, budget_ms: float = DRAG_BUDGET_MS, max_stray: float = MAX_STRAY
) -> Generator[None, None, PreviewRenderer | None]:
    """`make_preview` in slices of about one render each (yield between them), so the engine
    thread can draw frames while the ladder is built (a second or more at start-up, when
    the encoder and the sliders load beside it); returns the ladder."""
    G = getattr(renderer, "G", None)
    kwargs = getattr(G, "init_kwargs", None)
    if G is None or not isinstance(kwargs, dict) or not hasattr(renderer, "request_ws"):
        return None
    from engine.stylegan.render import Renderer
    from engine.stylegan.twin import truncated_generator

    frames = []
    for i in range(STRAY_DESIGNS):
        frames += reference_frames(renderer, 1, first=i)
        yield
    twins = []
    side = int(G.img_resolution) // 2
    while side >= MIN_PREVIEW_SIDE:
        small = truncated_generator(G, side)
        if small is None:
            break
        twin = Renderer.from_generator(small, device=str(renderer.device))
        yield
        if stray(renderer, twin, frames) > max_stray:
            break  # a smaller twin strays further still
        twins.append(twin)
        side //= 2
        yield
    student = preview_network(renderer)
    yield
    if student is not None and stray(renderer, student, frames) <= max_stray:
        twins.append(student)  # as sharp as a twin of its size, cheaper, a little less exact
        twins.sort(key=lambda t: -int(t.info.resolution))  # stable: twins before the student
    return PreviewRenderer(renderer, twins, budget_ms) if twins else None


def make_preview(
    renderer: Any, budget_ms: float = DRAG_BUDGET_MS, max_stray: float = MAX_STRAY
) -> PreviewRenderer | None:
    """The preview ladder of a StyleGAN renderer (twins at 1/2, 1/4 … down to
    MIN_PREVIEW_SIDE, each as long as it draws what the full network draws within
    `max_stray`, then the shipped preview network if it does too), or None (other
    renderers, small models, weights that do not line up, or no faithful preview)."""
    steps = build_preview(renderer, budget_ms, max_stray)
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]


def preview_network(renderer: Any) -> Any | None:
    """The narrow drag-preview network shipped beside the generator (`PREVIEW_DIR`, made by
    `wenyang train gan-distil MODEL --resolution PX`), when it was distilled from these very
    weights; None otherwise (none shipped, or left over from earlier weights)."""
    mdir = getattr(renderer, "model_dir", None)
    if mdir is None:
        return None
    pdir = Path(mdir) / PREVIEW_DIR
    from engine.stylegan.checkpoint import CONFIG_FILE, read_config
    from engine.stylegan.render import Renderer

    if not (pdir / CONFIG_FILE).is_file():
        return None
    try:
        of = dict(read_config(pdir).get("meta") or {}).get("preview_of") or {}
        own = str(read_config(Path(mdir)).get("sha256", ""))
        if not own or str(of.get("sha256", "")) != own:
            return None
        net = Renderer(pdir, device=str(renderer.device))
    except Exception:  # an unreadable preview network only costs speed: go without it
        return None
    if net.info.w_dim != renderer.info.w_dim or net.info.num_ws > renderer.info.num_ws:
        return None
    return net
