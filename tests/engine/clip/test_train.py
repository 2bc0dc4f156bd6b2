"""`wenyang train clip`: fine-tuning a tiny open_clip checkpoint, resume, user errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.errors import UserInputError


def test_finetune_writes_open_clip_model_folder(tiny_model_dir: Path, tiny_name: str) -> None:
    import open_clip

    files = {p.name for p in tiny_model_dir.iterdir()}
    assert {
        f"{tiny_name}.json",
        f"{tiny_name}.safetensors",
        "probe.safetensors",
        "train_summary.json",
        "train_state.pt",
    } <= files
    summary = json.loads((tiny_model_dir / "train_summary.json").read_text())
    assert summary["epochs_run"] == 1
    row = summary["history"][0]
    for key in ("train_loss", "val_loss", "t2i_R@1", "zero_shot_acc", "p@10_en", "p@10_zh"):
        assert key in row
    assert summary["options"]["pretrained"]  # the fine-tuning recipe was used
    assert summary["options"]["lr"] == pytest.approx(1e-5)
    card = (tiny_model_dir / "README.md").read_text(encoding="utf-8")
    assert "wenyang train clip --data" in card and "--pretrained" in card
    assert "fine-tuning" in card and "16 tiles" in card
    # plain open_clip loads the result once the config is registered
    model, _, _preprocess = open_clip.create_model_and_transforms(
        tiny_name, pretrained=str(tiny_model_dir / f"{tiny_name}.safetensors")
    )
    assert model.visual.image_size == (32, 32)


def test_finetune_changes_weights(
    tiny_model_dir: Path, tiny_checkpoint: Path, tiny_name: str
) -> None:
    from safetensors.torch import load_file

    before = load_file(str(tiny_checkpoint))
    after = load_file(str(tiny_model_dir / f"{tiny_name}.safetensors"))
    assert before.keys() == after.keys()
    changed = [k for k in before if not before[k].float().allclose(after[k].float(), atol=1e-6)]
    assert len(changed) > len(before) // 2


def test_resume_continues_and_existing_run_needs_resume(
    tiny_name: str, tiny_db: Path, tmp_path: Path, train_cli: Callable[[list[str]], int]
) -> None:
    run_train_clip = train_cli
    out = tmp_path / "run"
    args = [
        "--data",
        str(tiny_db),
        "--out",
        str(out),
        "--init",
        tiny_name,
        "--batch",
        "8",
        "--no-progress",
        "--val-fraction",
        "0.25",
        "--lr",
        "1e-3",
    ]
    assert run_train_clip([*args, "--epochs", "1"]) == 0
    with pytest.raises(UserInputError, match="--resume"):
        run_train_clip([*args, "--epochs", "2"])
    assert run_train_clip([*args, "--epochs", "2", "--resume"]) == 0
    summary = json.loads((out / "train_summary.json").read_text())
    assert [r["epoch"] for r in summary["history"]] == [1, 2]
    assert summary["options"]["pretrained"] is None  # --init alone trains from scratch


def test_bad_inputs_are_user_errors(
    tiny_name: str, tmp_path: Path, train_cli: Callable[[list[str]], int]
) -> None:
    run_train_clip = train_cli
    with pytest.raises(UserInputError, match="--init"):
        run_train_clip(
            [
                "--data",
                str(tmp_path),
                "--out",
                str(tmp_path / "o"),
                "--pretrained",
                str(tmp_path / "w.pt"),
            ]
        )
    with pytest.raises(UserInputError, match="not found"):
        run_train_clip(
            [
                "--data",
                str(tmp_path / "nope"),
                "--out",
                str(tmp_path / "o"),
                "--init",
                tiny_name,
                "--no-progress",
            ]
        )
    with pytest.raises(UserInputError, match="weights file"):
        run_train_clip(
            [
                "--data",
                str(tmp_path),
                "--out",
                str(tmp_path / "o"),
                "--init",
                tiny_name,
                "--pretrained",
                str(tmp_path / "missing.safetensors"),
            ]
        )


def test_clip_loss_soft_targets_favour_same_key() -> None:
    import torch
    import torch.nn.functional as F

    from engine.clip.train import clip_loss

    g = torch.Generator().manual_seed(0)
    img = F.normalize(torch.randn(4, 8, generator=g), dim=-1)
    keys = torch.tensor([0, 0, 1, 2])
    txt = img.clone()
    txt_swapped = img[[1, 0, 2, 3]]  # items 0 and 1 share a key
    scale = torch.tensor(10.0)
    hard_gap = clip_loss(img, txt_swapped, scale, keys, 0.0) - clip_loss(img, txt, scale, keys, 0.0)
    soft_gap = clip_loss(img, txt_swapped, scale, keys, 0.5) - clip_loss(img, txt, scale, keys, 0.5)
    assert soft_gap < hard_gap  # swapping same-key partners costs less with soft targets
