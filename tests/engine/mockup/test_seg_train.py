"""A tiny segmentation training run: finite loss, resumable; composites are deterministic."""

from __future__ import annotations

import json
import math

import numpy as np

from engine.mockup.seg_data import EVAL_SEED_BASE, PatternPool, composite
from engine.mockup.seg_train import STATE, SegTrainConfig, train_seg


def test_composites_are_deterministic_and_masks_match():
    pool = PatternPool(2, 32)
    a_img, a_m = composite(5, 64, pool)
    b_img, b_m = composite(5, 64, pool)
    assert np.array_equal(a_img, b_img) and np.array_equal(a_m, b_m)
    c_img, _ = composite(EVAL_SEED_BASE + 5, 64, pool)
    assert not np.array_equal(a_img, c_img)
    assert a_img.shape == (64, 64, 3) and set(np.unique(a_m)) <= {0, 1}
    assert 0.02 < a_m.mean() < 0.95


def test_two_steps_then_resume(tmp_path):
    cfg = SegTrainConfig(epochs=1, samples=4, size=64, batch=2, pool=2, save_every=1)
    log = train_seg(tmp_path, cfg, progress=lambda s: None)
    assert log["steps"] == 2 and math.isfinite(log["final_loss"])
    assert (tmp_path / STATE).is_file()
    assert (tmp_path / "model.safetensors").is_file()
    assert json.loads((tmp_path / "config.json").read_text())["input_size"] == 64
    lines: list[str] = []
    cfg2 = SegTrainConfig(epochs=2, samples=4, size=64, batch=2, pool=2, save_every=1)
    log2 = train_seg(tmp_path, cfg2, progress=lines.append)
    assert any("resuming at step 2" in s for s in lines)
    assert log2["steps"] == 4 and math.isfinite(log2["final_loss"])


def test_eval_seg_reports_iou_json(tmp_path, capsys):
    from engine.cli import main

    cfg = SegTrainConfig(epochs=1, samples=2, size=64, batch=2, pool=2)
    train_seg(tmp_path, cfg, progress=lambda s: None)
    rc = main(
        [
            "eval",
            "seg",
            "--model",
            str(tmp_path),
            "--n",
            "2",
            "--size",
            "64",
            "--pool",
            "2",
            "--json",
        ]
    )
    assert rc == 0
    res = json.loads(capsys.readouterr().out)
    assert 0.0 <= res["iou"] <= 1.0 and 0.0 <= res["iou_grabcut"] <= 1.0
    assert res["n"] == 2 and res["seed_base"] == EVAL_SEED_BASE
