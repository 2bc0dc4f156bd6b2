"""What the resumable fine-tuning commands (`gan-distil`, `gan-degrid`) share on the command
line: their session options, the checks on them, stopping cleanly on SIGTERM, the latents'
truncation centres, and carrying the original's W-space files (prior, sliders, region
means) to the result, which keeps the original's mapping network."""

from __future__ import annotations

import argparse
import shutil
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from engine.errors import UserInputError


def add_session_arguments(
    p: argparse.ArgumentParser,
    *,
    run_default: str,
    steps: int,
    batch: int,
    lr: float,
    minutes: float = 30.0,
) -> None:
    """--run, --minutes, --steps, --batch, --lr, --threads, --device, --seed, --float16."""
    p.add_argument("--run", metavar="DIR", help=f"training state folder (default: {run_default})")
    p.add_argument(
        "--minutes", type=float, default=minutes, help=f"train this long now ({minutes:g})"
    )
    p.add_argument(
        "--steps", type=int, default=steps, help=f"total steps of the schedule ({steps})"
    )
    p.add_argument("--batch", type=int, default=batch, help=f"samples per step ({batch})")
    p.add_argument("--lr", type=float, default=lr, help=f"Adam learning rate ({lr:g})")
    p.add_argument("--threads", type=int, help="CPU threads (default: all)")
    p.add_argument(
        "--device", default="cpu", help="cpu (default), cuda, cuda:N or auto (CUDA if present)"
    )
    p.add_argument("--seed", type=int, default=0, help="sampling seed of a new run (0)")
    p.add_argument("--float16", action="store_true", help="store the result as float16")


def check_session_arguments(args: argparse.Namespace) -> None:
    """A clear error naming the option for a session that could not run."""
    for name, value in (("--minutes", args.minutes), ("--steps", args.steps), ("--lr", args.lr)):
        if value <= 0:
            raise UserInputError("must be positive", field=name)
    if args.batch < 1:
        raise UserInputError("must be at least 1", field="--batch")


@contextmanager
def stop_on_sigterm() -> Iterator[Callable[[], bool]]:
    """Yield `should_stop()`, true once SIGTERM arrived: the loop then saves its state and
    ends, instead of being killed mid-write. The previous handler comes back afterwards."""
    stop = {"now": False}

    def on_signal(signum: int, frame: Any) -> None:
        stop["now"] = True

    old = signal.signal(signal.SIGTERM, on_signal)
    try:
        yield lambda: stop["now"]
    finally:
        signal.signal(signal.SIGTERM, old)


def truncation_centres(model_dir: Path, G: Any) -> list[Any]:
    """Truncation centres the studio uses: the model's region means and the global mean."""
    import numpy as np

    from engine.stylegan.region_truncation import load_region_means

    means = load_region_means(model_dir) or {}
    return [np.asarray(v, np.float32) for v in means.values()] + [
        G.mapping.w_avg.detach().cpu().numpy().astype(np.float32)
    ]


def carry_w_space(src_dir: Path, cfg: dict[str, Any], out: Path) -> bool:
    """Copy the condition prior and carry the sliders, text basis and region means from the
    generator in `src_dir` (config `cfg`) to the one just written to `out`, keyed to its
    weights: they live in W, which `out` shares (same mapping network, drawing what the
    original draws for every w). False if there were no directions to carry."""
    from engine.directions.store import load_directions, save_directions
    from engine.stylegan.checkpoint import read_config
    from engine.stylegan.condition_prior import FILE as PRIOR_FILE

    if (src_dir / PRIOR_FILE).is_file():  # same mapping, same condition space
        shutil.copy2(src_dir / PRIOR_FILE, out / PRIOR_FILE)
    data = load_directions(src_dir, str(cfg["sha256"]))
    if data is None:
        return False
    data.model_hash = str(read_config(out)["sha256"])
    data.meta = {
        **data.meta,
        "carried_from": {"model_id": cfg["model_id"], "sha256": cfg["sha256"]},
    }
    save_directions(out, data)
    return True
