"""What the resumable fine-tuning commands (`gan-distil`, `gan-degrid`) share on the command
line: their session options, the checks on them, and stopping cleanly on SIGTERM."""

from __future__ import annotations

import argparse
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
