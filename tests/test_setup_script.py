"""The set-up script behind the README's two commands (scripts/_venv.sh)."""

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_setup_refuses_plainly_when_the_disk_is_too_full(tmp_path: Path) -> None:
    """A fresh checkout on a nearly full disk gets one clear sentence, not pip's OSError
    half-way through a 5 GB install, and no half-made environment."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "_venv.sh", tmp_path / "scripts" / "_venv.sh")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    env = {**os.environ, "WENYANG_SETUP_NEED_MB": str(10**12)}
    run = subprocess.run(
        ["bash", str(tmp_path / "scripts" / "_venv.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1
    assert "needs about" in run.stderr and "MB free" in run.stderr
    assert not (tmp_path / ".venv").exists()
