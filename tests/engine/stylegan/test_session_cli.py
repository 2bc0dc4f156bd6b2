"""The session options and SIGTERM handling `gan-distil` and `gan-degrid` share."""

from __future__ import annotations

import argparse
import os
import signal

import pytest

from engine.errors import UserInputError
from engine.stylegan.train.session_cli import (
    add_session_arguments,
    check_session_arguments,
    stop_on_sigterm,
)


def _parse(*argv: str) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    add_session_arguments(p, run_default="somewhere", steps=600, batch=8, lr=2e-4)
    return p.parse_args(list(argv))


def test_defaults_and_checks_name_the_option() -> None:
    a = _parse()
    assert (a.run, a.minutes, a.steps, a.batch, a.lr, a.device, a.seed, a.float16) == (
        None,
        30.0,
        600,
        8,
        2e-4,
        "cpu",
        0,
        False,
    )
    check_session_arguments(a)
    for argv, field in (
        (("--minutes", "0"), "--minutes"),
        (("--steps", "-1"), "--steps"),
        (("--lr", "0"), "--lr"),
        (("--batch", "0"), "--batch"),
    ):
        with pytest.raises(UserInputError) as err:
            check_session_arguments(_parse(*argv))
        assert err.value.field == field


def test_sigterm_asks_the_loop_to_stop_and_the_old_handler_comes_back() -> None:
    seen: list[int] = []
    before = signal.signal(signal.SIGTERM, lambda signum, frame: seen.append(signum))
    try:
        with stop_on_sigterm() as should_stop:
            assert not should_stop()
            os.kill(os.getpid(), signal.SIGTERM)
            assert should_stop()
        assert seen == []  # taken by the session, not passed on
        os.kill(os.getpid(), signal.SIGTERM)
        assert seen == [signal.SIGTERM]  # the previous handler is back
    finally:
        signal.signal(signal.SIGTERM, before)
