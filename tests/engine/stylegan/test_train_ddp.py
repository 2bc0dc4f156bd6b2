"""Data-parallel training: 2 CPU processes (gloo) stay in lock-step."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp

from tests.engine.stylegan.train_helpers import ddp_worker


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_two_cpu_processes_train_identical_weights(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    mp.spawn(
        ddp_worker, args=(2, _free_port(), str(tmp_path / "run"), str(out)), nprocs=2, join=True
    )
    g0 = torch.load(out / "G-0.pt")
    g1 = torch.load(out / "G-1.pt")
    assert g0.keys() == g1.keys()
    for k in g0:
        assert torch.equal(g0[k], g1[k]), k  # gradients were averaged, weights agree
    snaps = list((tmp_path / "run" / "checkpoints").iterdir())
    assert len(snaps) == 1
    meta = json.loads((snaps[0] / "state.json").read_text())
    assert meta["world"] == 2 and len(meta["rng"]) == 2 and meta["cur_nimg"] == 12
