"""The real window on a real X server (Xvfb): the self-test passes and screenshots of the main
views are written (docs/studio-*.png are made the same way)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_selftest_under_xvfb_saves_screenshots(tmp_path: Path) -> None:
    xvfb = shutil.which("Xvfb")
    assert xvfb, "this test needs Xvfb (Debian/Ubuntu: apt-get install xvfb)"
    r, w = os.pipe()
    server = subprocess.Popen(
        [xvfb, "-displayfd", str(w), "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
        pass_fds=(w,),
        stderr=subprocess.DEVNULL,
    )
    os.close(w)
    try:
        with os.fdopen(r) as fh:
            display = fh.readline().strip()
        assert display.isdigit(), "Xvfb did not report a display"
        env = {**os.environ, "DISPLAY": f":{display}", "QT_QPA_PLATFORM": "xcb"}
        out = tmp_path / "shots"
        res = subprocess.run(
            [
                sys.executable,
                "-m",
                "designer_app.main",
                "--selftest",
                "--random-model",
                "tiny",
                "--out",
                str(out),
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        report = json.loads(res.stdout.strip().splitlines()[-1])
        assert res.returncode == 0 and report["ok"], res.stdout[-3000:] + res.stderr[-3000:]
        assert report["first_frame_ms"] > 0 and report["slider_to_frame_p95_ms"] > 0
        for name in ("studio-grid", "studio-main", "studio-dark-halfdrop-seams", "studio-mockup"):
            img = np.asarray(Image.open(out / f"{name}.png").convert("RGB"))
            assert img.shape[1] >= 1000 and img.shape[0] >= 600, name
            assert img.reshape(-1, 3).std(axis=0).mean() > 10, f"{name} looks blank"
        assert json.loads((out / "selftest.json").read_text())["ok"]
    finally:
        server.terminate()
        server.wait(10)
