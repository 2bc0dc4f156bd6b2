"""The opening frame, rendered by a helper process while the window is being built.

Importing torch costs ~2 s of CPU (Python holding the GIL), so a frame rendered by torch
cannot appear much sooner than that, however the window is built. At launch `start()`
spawns `python -m designer_app.first_frame`, which imports only numpy and renders with
`engine.stylegan.numpy_render` (the generator's forward in plain numpy, same pixels as the
Renderer within one 8-bit level): it waits for the opening design (`FirstFrameHelper.send`,
sent as soon as the window knows it), reads the weights, renders the tile on the second core
and sends it back. The studio shows it if the design has not changed meanwhile; its engine
thread renders the same request once torch has loaded and takes over. Not used when the
device is set to CUDA; off with WENYANG_FIRST_FRAME_PROCESS=0. Any failure of the helper
just means no early frame.

Qt- and torch-free. The job and the reply are length-prefixed npz blobs (no pickle) on the
helper's stdin and stdout.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

import numpy as np

from designer_app.frame_spec import FrameSpec

ENV = "WENYANG_FIRST_FRAME_PROCESS"
FrameCallback = Callable[[int, np.ndarray, float], None]  # job id, RGB tile, ms
HELPER_FLAG = "--first-frame-helper"  # a bundled app runs the helper as itself


def enabled() -> bool:
    """On unless switched off, and only where there is a second core to use."""
    return os.environ.get(ENV, "1") != "0" and (os.cpu_count() or 1) >= 2


def encode_job(model_dir: Path | None, device: str, spec: FrameSpec) -> bytes:
    arrays: dict[str, np.ndarray] = {}
    for name in ("condition", "ws", "policy_offset"):
        v = getattr(spec, name)
        if v is not None:
            arrays[name] = np.asarray(v, np.float32)
    for i, (vec, _, _) in enumerate(spec.offsets):
        arrays[f"offset{i}"] = np.asarray(vec, np.float32)
    meta = {
        "model_dir": None if model_dir is None else str(Path(model_dir).resolve()),
        "device": device,
        "request_id": spec.request_id,
        "seed": spec.seed,
        "truncation": spec.truncation,
        "mix_seed": spec.mix_seed,
        "mix_from_layer": spec.mix_from_layer,
        "noise_mode": spec.noise_mode,
        "noise_seed": spec.noise_seed,
        "offsets": [[float(s), list(layers)] for _, s, layers in spec.offsets],
        "region": spec.region,
        "truncate_to": spec.truncate_to,
        "use_prior": spec.use_prior,
        "prior_by_region": spec.prior_by_region,
        "prior_faithful": spec.prior_faithful,
    }
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), np.uint8)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def decode_job(blob: bytes) -> tuple[Path | None, str, FrameSpec]:
    with np.load(io.BytesIO(blob), allow_pickle=False) as z:
        meta = json.loads(bytes(z["meta"]).decode("utf-8"))
        arr = {k: z[k] for k in z.files if k != "meta"}
    spec = FrameSpec(
        request_id=int(meta["request_id"]),
        seed=int(meta["seed"]),
        truncation=float(meta["truncation"]),
        condition=arr.get("condition"),
        ws=arr.get("ws"),
        offsets=[
            (arr[f"offset{i}"], float(s), (int(layers[0]), int(layers[1])))
            for i, (s, layers) in enumerate(meta["offsets"])
        ],
        mix_seed=meta["mix_seed"],
        mix_from_layer=meta["mix_from_layer"],
        noise_mode=str(meta["noise_mode"]),
        noise_seed=None if meta.get("noise_seed") is None else int(meta["noise_seed"]),
        policy_offset=arr.get("policy_offset"),
        region=str(meta.get("region", "")),
        truncate_to=str(meta.get("truncate_to", "global")),
        use_prior=bool(meta.get("use_prior", True)),
        prior_by_region=bool(meta.get("prior_by_region", False)),
        prior_faithful=bool(meta.get("prior_faithful", False)),
    )
    model_dir = meta["model_dir"]
    return (None if model_dir is None else Path(model_dir)), str(meta["device"]), spec


def _write_blob(fh: IO[bytes], blob: bytes) -> None:
    fh.write(struct.pack("<Q", len(blob)))
    fh.write(blob)
    fh.flush()


def _read_blob(fh: IO[bytes]) -> bytes | None:
    head = fh.read(8)
    if len(head) < 8:
        return None  # the studio closed the pipe: nothing to render
    (n,) = struct.unpack("<Q", head)
    if n > 1 << 30:
        return None
    blob = fh.read(n)
    return blob if len(blob) == n else None


class FirstFrameHelper:
    """The studio's handle on the helper process (see the module docstring). Jobs can be
    sent until `close()` (e.g. the design a project file opened replaces the default one);
    the helper renders only the newest job waiting when it is free."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = subprocess.Popen(
            _helper_command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._reader: threading.Thread | None = None
        self._sent: dict[int, float] = {}  # job id -> perf_counter() when sent

    def send(
        self,
        job_id: int,
        model_dir: Path | None,
        device: str,
        spec: FrameSpec,
        on_frame: FrameCallback,
    ) -> bool:
        """Hand a design over; `on_frame(job_id, image, ms)` is called from a reader thread
        when the helper has rendered it (`ms`: from sending until the tile arrived)."""
        proc = self.proc
        if proc is None or proc.stdin is None or proc.stdin.closed:
            return False
        spec = FrameSpec(**{**spec.__dict__, "request_id": int(job_id)})
        try:
            self._sent[int(job_id)] = time.perf_counter()
            _write_blob(proc.stdin, encode_job(model_dir, device, spec))
        except (OSError, ValueError):
            self.discard()
            return False
        if self._reader is None:
            self._reader = threading.Thread(
                target=self._read, args=(proc, on_frame), name="wenyang-first-frame", daemon=True
            )
            self._reader.start()
        return True

    def _read(self, proc: subprocess.Popen[bytes], on_frame: FrameCallback) -> None:
        assert proc.stdout is not None
        try:
            while True:
                blob = _read_blob(proc.stdout)
                if blob is None:
                    return  # the helper ended
                with np.load(io.BytesIO(blob), allow_pickle=False) as z:
                    image = np.ascontiguousarray(z["image"])
                    job_id = int(z["job"])
                if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
                    continue
                sent = self._sent.get(job_id, time.perf_counter())
                on_frame(job_id, image, (time.perf_counter() - sent) * 1000.0)
        except Exception:
            return  # an early frame is an optimisation; the engine thread renders anyway

    def close(self) -> None:
        """No more jobs: the helper finishes the one it is on (if any) and exits."""
        proc = self.proc
        try:
            if proc is not None and proc.stdin is not None and not proc.stdin.closed:
                proc.stdin.close()
        except OSError:
            pass

    def discard(self) -> None:
        """The window is closing, or no job after all: end the helper now."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        try:
            if proc.stdin is not None and not proc.stdin.closed:
                proc.stdin.close()  # EOF: the helper exits without rendering
        except OSError:
            pass
        if proc.poll() is None:
            proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)


def _helper_command() -> list[str]:
    """`python -m designer_app.first_frame`, or the bundled app's own hidden helper mode."""
    if getattr(sys, "frozen", False):
        return [sys.executable, HELPER_FLAG]
    return [sys.executable, "-m", "designer_app.first_frame"]


_started: FirstFrameHelper | None = None


def start() -> None:
    """Spawn the helper (once, at launch, before Qt is imported) when enabled."""
    global _started
    if _started is None and enabled():
        try:
            _started = FirstFrameHelper()
        except OSError:
            _started = None


def take() -> FirstFrameHelper | None:
    """The helper spawned at launch, for the window that opens first (then it is gone)."""
    global _started
    helper, _started = _started, None
    return helper


def _render(blob: bytes) -> bytes | None:
    """In the helper: render the job, return the reply blob (None: leave it to the studio)."""
    from engine.paths import MODELS_DIR
    from engine.stylegan import numpy_render

    model_dir, _device, spec = decode_job(blob)
    try:
        g = numpy_render.load(model_dir if model_dir is not None else MODELS_DIR / "generator")
    except numpy_render.UnsupportedModel:
        return None
    c = spec.condition
    if (g.c_dim > 0) != (c is not None) or (c is not None and c.shape != (g.c_dim,)):
        return None
    if spec.noise_mode not in ("const", "seeded"):
        return None  # random noise differs from the engine thread's draw anyway
    image = g.render(
        spec.seed,
        c,
        spec.truncation,
        ws=spec.ws,
        offsets=spec.offsets,
        policy_offset=spec.policy_offset,
        mix_seed=spec.mix_seed,
        mix_from_layer=spec.mix_from_layer,
        w_avg=g.truncation_centre(spec.region, spec.truncate_to),
        use_prior=spec.use_prior,
        noise_mode=spec.noise_mode,
        noise_seed=spec.noise_seed,
        region=spec.prior_region,
        prior_faithful=spec.prior_faithful,
    )
    out = io.BytesIO()
    np.savez(out, image=np.ascontiguousarray(image, dtype=np.uint8), job=np.int64(spec.request_id))
    return out.getvalue()


def _newest_job(fh: IO[bytes]) -> bytes | None:
    """Block for one job, then take any newer ones already waiting (latest wins)."""
    import select

    blob = _read_blob(fh)
    while blob is not None:
        try:
            ready, _, _ = select.select([fh], [], [], 0)
        except (OSError, ValueError):  # no select on this pipe (Windows): one at a time
            return blob
        if not ready:
            return blob
        newer = _read_blob(fh)
        if newer is None:
            return blob
        blob = newer
    return None


def child_main() -> int:
    """The helper process: render the newest job until the studio closes the pipe."""
    try:
        import engine.stylegan.numpy_render  # noqa: F401  (imports first, while the job is built)
    except Exception:
        return 1
    stdin = sys.stdin.buffer
    while True:
        blob = _newest_job(stdin)
        if blob is None:
            return 0
        try:
            reply = _render(blob)
        except Exception:
            reply = None
        if reply is not None:
            try:
                _write_blob(sys.stdout.buffer, reply)
            except OSError:
                return 0


if __name__ == "__main__":
    sys.exit(child_main())
