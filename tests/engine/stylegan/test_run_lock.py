"""One training process per run folder (`engine/stylegan/train/run_lock.py`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli import main
from engine.errors import UserInputError
from engine.stylegan.train.run_lock import LOCK_NAME, run_lock
from tests.engine.stylegan.test_train_cli import TINY
from tests.engine.stylegan.train_helpers import build_db

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX")

HOLD = """
import sys
from pathlib import Path
from engine.stylegan.train.run_lock import run_lock
with run_lock(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.readline()
"""


def test_a_second_holder_is_refused_and_the_first_release_frees_it(tmp_path: Path) -> None:
    run = tmp_path / "run"
    with run_lock(run):
        with (
            pytest.raises(UserInputError, match="is training in this run folder") as info,
            run_lock(run),
        ):
            pass
        assert str(run) in str(info.value)
    with run_lock(run):  # released on leaving the block
        pass


def test_another_process_holding_the_folder_stops_train_gan_before_it_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = build_db(tmp_path / "db", size=16)
    run = tmp_path / "run"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(run)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        argv = ["train", "gan", "--data", str(db), "--out", str(run), "--kimg", "0.004", *TINY]
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert f"process {holder.pid} is training in this run folder" in err
        assert sorted(p.name for p in run.iterdir()) == [LOCK_NAME]  # nothing else written
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait(timeout=60)
    # the holder has gone (a killed one would release the lock as well): training starts
    assert main(argv) == 0
    assert (run / "checkpoints").is_dir()
