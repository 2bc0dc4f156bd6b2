"""`wenyang bench train`: times the real training step on random tiles, lists hot operators."""

from __future__ import annotations

import json

import pytest

from engine.cli import main


def test_bench_train_reports_throughput_and_the_costliest_operators(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["bench", "train", "--preset", "tiny", "--resolution", "16", "--batch", "4"]
    assert (
        main([*argv, "--steps", "3", "--warmup", "1", "--threads", "1", "--profile", "--json"]) == 0
    )
    rep = json.loads(capsys.readouterr().out)
    assert rep["device"] == "cpu" and rep["batch"] == 4 and rep["steps"] == 3
    assert rep["img_per_s"] > 0 and rep["ms_per_step_median"] <= rep["ms_per_step_max"]
    # throughput and step time describe the same run: batch * 1000 / ms ≈ img/s (± the spread)
    per_step = 4 * 1000 / rep["ms_per_step_max"]
    assert per_step <= rep["img_per_s"] * 1.001
    ops = rep["top_ops"]
    assert ops and all(o["ms_per_step"] > 0 and 0 < o["share"] <= 1 for o in ops)
    assert any("conv" in o["op"] for o in ops)  # a GAN step is mostly convolutions
    assert [o["share"] for o in ops] == sorted((o["share"] for o in ops), reverse=True)


def test_bench_train_clip_losses_time_the_clip_heads_too() -> None:
    """--clip-losses builds the trainer the background run uses: the shipped CLIP encoder,
    its head, the patch heads and the contrastive loss, with conditions as wide as CLIP's."""
    import argparse
    import tempfile

    from engine.stylegan.train.bench import build_trainer, time_steps

    args = argparse.Namespace(
        preset="tiny",
        resolution=16,
        batch=4,
        aug_p=0.0,
        device="cpu",
        fp16_res=None,
        tf32=False,
        threads=1,
        c_dim=8,
        clip_losses=True,
    )
    with tempfile.TemporaryDirectory() as run_dir:
        t = build_trainer(args, run_dir)
        assert t.head is not None and t.patch is not None and t.cfg.contrastive == 1.0
        assert t.c_dim == t.encoder.embed_dim != 8  # CLIP's width, not --c-dim
        time_steps(t, 1)
        logged = {k for k in t._acc}
    assert {"D/clip_head", "D/clip_patch", "G/clip_patch", "G/contrastive"} <= logged


@pytest.mark.parametrize(
    ("flag", "value", "field"),
    [("--steps", "0", "--steps"), ("--preset", "nope", "--preset"), ("--aug-p", "2", "--aug-p")],
)
def test_bench_train_bad_input_is_a_user_error(
    flag: str, value: str, field: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["bench", "train", "--preset", "tiny", "--resolution", "16", "--steps", "1"]
    assert main([*argv, flag, value]) == 2
    assert field in capsys.readouterr().err


def test_train_gan_tf32_flag_is_a_resumable_option() -> None:
    from engine.cli import build_parser
    from engine.stylegan.train.options import RESUMABLE_CHANGES, TrainConfig

    assert vars(build_parser().parse_args(["train", "gan", "--tf32"]))["tf32"] is True
    assert "tf32" not in vars(build_parser().parse_args(["train", "gan"]))
    assert TrainConfig().tf32 is False and "tf32" in RESUMABLE_CHANGES
    assert TrainConfig.from_json({"batch": 8}).tf32 is False  # configs written before it
