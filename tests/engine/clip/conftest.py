"""Fixtures: a tiny registered open_clip config, a tiny real database, a fine-tuned model."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

TINY = "wenyang-clip-test-tiny"
TINY_CFG = {
    "embed_dim": 32,
    "vision_cfg": {
        "image_size": 32,
        "patch_size": 8,
        "width": 32,
        "layers": 1,
        "head_width": 16,
        "pool_type": "avg",
    },
    "text_cfg": {"context_length": 32, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}


def run_train_clip(argv: list[str]) -> int:
    """`wenyang train clip ARGV` through our own sub-parser (independent of the GAN CLI)."""
    import argparse

    from engine.clip.train_cli import register_train

    parser = argparse.ArgumentParser(prog="wenyang train")
    register_train(parser.add_subparsers())
    args = parser.parse_args(["clip", *argv])
    return int(args.func(args))


@pytest.fixture(scope="session")
def train_cli() -> Callable[[list[str]], int]:
    return run_train_clip


@pytest.fixture(scope="session")
def tiny_name(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Register a tiny open_clip architecture (seconds to train on a CPU)."""
    from engine.clip.registry import register_config_path

    d = tmp_path_factory.mktemp("tiny_cfg")
    (d / f"{TINY}.json").write_text(json.dumps(TINY_CFG), encoding="utf-8")
    register_config_path(d)
    return TINY


@pytest.fixture(scope="session")
def tiny_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real database: 2 tiles per region at 64 px."""
    from engine.database import build_database

    out = tmp_path_factory.mktemp("clipdb") / "db"
    return Path(build_database(out, per_region=2, size=64, seed=7))


@pytest.fixture(scope="session")
def tiny_checkpoint(tiny_name: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised tiny model saved in open_clip's checkpoint format."""
    import torch

    from engine.clip.checkpoint import create_model, save_model

    torch.manual_seed(0)
    model = create_model(tiny_name)
    d = tmp_path_factory.mktemp("tiny_ckpt")
    return save_model(model, tiny_name, TINY_CFG, d)


@pytest.fixture(scope="session")
def tiny_model_dir(
    tiny_name: str, tiny_db: Path, tiny_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The tiny checkpoint fine-tuned for one epoch on the tiny database via the CLI."""
    out = tmp_path_factory.mktemp("tiny_run") / "model"
    rc = run_train_clip(
        [
            "--data",
            str(tiny_db),
            "--out",
            str(out),
            "--init",
            tiny_name,
            "--pretrained",
            str(tiny_checkpoint),
            "--epochs",
            "1",
            "--batch",
            "8",
            "--no-progress",
            "--val-fraction",
            "0.25",
        ]
    )
    assert rc == 0
    return out
