"""Training loop: finite losses, weights move, exact resume, snapshot round trip."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from tests.engine.stylegan.train_helpers import trainer


def _sd(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def test_steps_give_finite_losses_and_move_weights(tmp_path: Path) -> None:
    t = trainer(tmp_path)
    g0, d0, e0 = _sd(t.G), _sd(t.D), _sd(t.G_ema)
    for _ in range(4):
        t.step()
    entry = t._tick_entry(16, 1.0)
    for key in ("D/loss", "G/loss", "D/r1", "G/pl"):
        assert key in entry and math.isfinite(entry[key]), (key, entry)
    for before, module in ((g0, t.G), (d0, t.D), (e0, t.G_ema)):
        after = module.state_dict()
        moved = [k for k in before if not torch.equal(before[k], after[k])]
        assert len(moved) > len(before) // 2, f"only {len(moved)} tensors changed"
    assert t.cur_nimg == 16 and t.step_idx == 4


def test_n_steps_equal_half_resume_half(tmp_path: Path) -> None:
    straight = trainer(tmp_path / "a")
    for _ in range(6):
        straight.step()
    first = trainer(tmp_path / "b")
    for _ in range(3):
        first.step()
    snap = first.save()
    assert snap is not None
    second = trainer(tmp_path / "b", kimg=5.0)  # a longer target may change on resume
    second.load(snap)
    for _ in range(3):
        second.step()
    for name in ("G", "D", "G_ema"):
        a, b = getattr(straight, name).state_dict(), getattr(second, name).state_dict()
        diff = max(float((a[k].float() - b[k].float()).abs().max()) for k in a)
        assert diff <= 1e-6, (name, diff)
    assert straight.ada.p == second.ada.p
    assert straight.sampler.state() == second.sampler.state()
    assert float(straight.pl_mean) == float(second.pl_mean)


def test_snapshot_round_trip_and_pruning(tmp_path: Path) -> None:
    t = trainer(tmp_path, keep=2)
    paths = []
    for _ in range(3):
        t.step()
        paths.append(t.save())
    snaps = sorted(p.name for p in (tmp_path / "checkpoints").iterdir())
    assert snaps == [paths[1].name, paths[2].name]  # newest two kept
    meta = json.loads((paths[2] / "state.json").read_text())
    assert meta["step"] == 3 and meta["cur_nimg"] == 12
    u = trainer(tmp_path, keep=2)
    u.load(paths[2])
    for name in ("G", "D", "G_ema"):
        a, b = getattr(t, name).state_dict(), getattr(u, name).state_dict()
        assert all(torch.equal(a[k], b[k]) for k in a), name
    sa, sb = t.opt_G.state_dict()["state"], u.opt_G.state_dict()["state"]
    assert sa.keys() == sb.keys()
    for k in sa:
        assert torch.equal(sa[k]["exp_avg_sq"], sb[k]["exp_avg_sq"])
    assert u.step_idx == 3 and u.ada.p == t.ada.p


def test_resume_refuses_a_different_network(tmp_path: Path) -> None:
    from engine.errors import UserInputError

    t = trainer(tmp_path)
    t.step()
    snap = t.save()
    other = trainer(tmp_path, cond="none")
    with pytest.raises(UserInputError, match="cond"):
        other.load(snap)


def test_train_writes_metrics_grid_and_snapshot(tmp_path: Path) -> None:
    t = trainer(tmp_path, tick_kimg=0.008, snap=1)
    reason = t.train(until_kimg=0.016, progress=False)
    assert reason == "done"
    lines = (tmp_path / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 2
    entry = json.loads(lines[-1])
    assert entry["kimg"] == 0.016 and entry["img_per_s"] > 0 and "p" in entry
    grids = list((tmp_path / "samples").glob("*.png"))
    assert grids
    from PIL import Image

    with Image.open(grids[0]) as im:
        assert im.size == (6 * 16, 3 * 16)  # 3 regions x 6 seeds


def test_new_run_can_start_from_an_exported_generator(tmp_path: Path) -> None:
    from engine.errors import UserInputError

    t = trainer(tmp_path / "a")
    t.step()
    t.export(tmp_path / "gen")
    u = trainer(tmp_path / "b", seed=5)
    assert u.init_from_generator(tmp_path / "gen", strict=True)
    ref = t.G_ema.state_dict()
    for module in (u.G, u.G_ema):
        sd = module.state_dict()
        assert all(torch.equal(sd[k], ref[k]) for k in ref)
    other = trainer(tmp_path / "c", cond="none")  # c_dim 0: the mapping does not fit
    with pytest.raises(UserInputError, match="does not match"):
        other.init_from_generator(tmp_path / "gen", strict=True)
    assert not other.init_from_generator(tmp_path / "gen", strict=False)


def test_resume_may_switch_colour_augmentation_off(tmp_path: Path) -> None:
    """A conditional run can drop hue/saturation changes midway (keeps palettes tied to c)."""
    t = trainer(tmp_path)
    t.step()
    snap = t.save()
    geometric = trainer(tmp_path, aug_colour=False)
    geometric.load(snap)  # not refused: the option is among the resumable changes
    assert geometric.augment.colour is False and t.augment.colour is True
    x = torch.rand(8, 3, 16, 16)
    y = geometric.augment(x, 1.0)
    # flips, turns and wrap translations only permute pixels: each tile keeps its colours
    assert torch.allclose(y.flatten(2).sort(-1).values, x.flatten(2).sort(-1).values)
    z = t.augment(x, 1.0)
    assert not torch.allclose(z.flatten(2).sort(-1).values, x.flatten(2).sort(-1).values)
    from engine.cli import build_parser

    parse = build_parser().parse_args
    assert vars(parse(["train", "gan", "--no-aug-colour"]))["aug_colour"] is False
    assert vars(parse(["train", "gan", "--aug-colour"]))["aug_colour"] is True
    assert "aug_colour" not in vars(parse(["train", "gan"]))  # a resumed run keeps its own
