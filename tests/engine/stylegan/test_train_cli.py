"""`wenyang train gan` / `gan-export` end to end on a tiny database."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from engine.cli import main
from tests.engine.stylegan.train_helpers import build_db

TINY = [
    "--resolution",
    "16",
    "--preset",
    "tiny",
    "--batch",
    "4",
    "--cond",
    "region",
    "--init",
    "none",
    "--no-progress",
    "--threads",
    "1",
    "--tick",
    "0.004",
    "--snap",
    "1",
]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_db(tmp_path_factory.mktemp("gan_db") / "db", size=16)


def _snaps(run: Path) -> list[str]:
    return sorted(p.name for p in (run / "checkpoints").iterdir())


def test_train_resume_and_export(db: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    assert (
        main(["train", "gan", "--data", str(db), "--out", str(run), "--kimg", "0.008", *TINY]) == 0
    )
    assert _snaps(run)[-1] == "snapshot-000000002"
    assert len((run / "metrics.jsonl").read_text().splitlines()) == 2
    assert list((run / "samples").glob("*.png"))
    # continue the run: options come from its config.json, only --kimg is new
    # export straight after training (G_ema has rendered the sample grids by then)
    assert (
        main(
            [
                "train",
                "gan",
                "--out",
                str(run),
                "--kimg",
                "0.016",
                "--no-progress",
                "--export",
                str(tmp_path / "gen0"),
            ]
        )
        == 0
    )
    assert (tmp_path / "gen0" / "model.safetensors").is_file()
    assert _snaps(run)[-1] == "snapshot-000000004"
    cfg = json.loads((run / "config.json").read_text())
    assert cfg["preset"] == "tiny" and cfg["kimg"] == 0.016
    # export G_ema for the renderer
    out = tmp_path / "generator"
    assert main(["train", "gan-export", str(run), "--out", str(out)]) == 0
    import torch

    from engine.stylegan.checkpoint import load_generator, read_config

    G = load_generator(out)
    assert G.img_resolution == 16 and G.c_dim == 8
    assert read_config(out)["meta"]["kimg"] == 0.016
    img = G(torch.randn(2, G.z_dim), torch.eye(8)[:2], noise_mode="const")
    assert img.shape == (2, 3, 16, 16) and torch.isfinite(img).all()


def test_pack_resumes_on_a_new_batch_with_fresh_adam(db: Path, tmp_path: Path) -> None:
    import torch

    from engine.stylegan.train import state as St

    run = tmp_path / "run"
    args = ["train", "gan", "--data", str(db), "--out", str(run), "--kimg", "0.008", *TINY]
    assert main(args) == 0
    pack = tmp_path / "pack"
    assert main(["train", "gan-pack", str(run), "--out", str(pack)]) == 0
    newest = St.resolve("latest", run)
    assert newest is not None
    _, full = St.load_snapshot(newest)
    meta, packed = St.load_snapshot(pack)
    assert meta["optimizers"] == {} and not any(k.startswith("opt.") for k in packed)
    assert (pack / St.TENSORS).stat().st_size < (newest / St.TENSORS).stat().st_size / 2
    w = "G_ema.synthesis.b16.conv1.weight"
    assert packed[w].dtype.is_floating_point and packed[w].element_size() == 2
    assert (packed[w].float() - full[w]).abs().max() <= full[w].abs().max() * 1e-3
    # another machine continues it with a bigger batch: Adam afresh, counters carried on
    run2 = tmp_path / "run2"
    resume = ["train", "gan", "--data", str(db), "--out", str(run2), "--resume", str(pack)]
    assert main([*resume, "--kimg", "0.016", "--batch", "8", "--no-progress"]) == 0
    last = St.resolve("latest", run2)
    assert last is not None and last.name == "snapshot-000000003"
    m2, t2 = St.load_snapshot(last)
    assert m2["cur_nimg"] == 16 and m2["config"]["batch"] == 8
    assert any(k.startswith("opt.G.") for k in t2)  # full snapshots again after the pack
    # an --ema-only pack has no raw G; resuming starts G from G_ema
    ema = tmp_path / "ema"
    assert main(["train", "gan-pack", str(last), "--out", str(ema), "--ema-only"]) == 0
    meta3, t3 = St.load_snapshot(ema)
    assert "G" not in meta3["modules"] and not any(k.startswith("G.") for k in t3)
    from engine.stylegan.train.options import TrainConfig
    from engine.stylegan.train.trainer import Trainer

    cfg = TrainConfig.from_json(meta3["config"])
    cfg.run_dir, cfg.data, cfg.num_threads = str(tmp_path / "run3"), str(db), 1
    tr = Trainer(cfg, verbose=False)
    tr.load(ema)
    for k, v in tr.G.state_dict().items():
        assert torch.equal(v, tr.G_ema.state_dict()[k]), k


def test_a_discriminator_pack_beside_a_generator_starts_d_from_it(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`gan-pack --discriminators-only` into the exported generator's folder: a run started
    from that generator (`--init DIR`) takes D from it; a run it does not fit starts D
    afresh with a notice."""
    import torch

    from engine.stylegan.train import state as St
    from engine.stylegan.train.options import TrainConfig
    from engine.stylegan.train.trainer import DISCRIMINATOR_PACK, Trainer

    run, gen = tmp_path / "run", tmp_path / "gen"
    assert (
        main(["train", "gan", "--data", str(db), "--out", str(run), "--kimg", "0.008", *TINY]) == 0
    )
    assert main(["train", "gan-export", str(run), "--out", str(gen)]) == 0
    pack = gen / DISCRIMINATOR_PACK
    assert main(["train", "gan-pack", str(run), "--out", str(pack), "--discriminators-only"]) == 0
    meta, packed = St.load_snapshot(pack)
    assert meta["modules"] == ["D"] and all(k.startswith("D.") for k in packed)
    assert meta["optimizers"] == {} and meta["packed"]["discriminators_only"]

    def fresh(**kw: object) -> Trainer:
        cfg = TrainConfig.from_json(meta["config"])
        cfg.run_dir, cfg.data, cfg.num_threads = str(tmp_path / "new"), str(db), 1
        for k, v in kw.items():
            setattr(cfg, k, v)
        return Trainer(cfg, verbose=False)

    t = fresh()
    assert t.init_from_generator(gen, strict=True)
    assert t.init_discriminators(pack) == ["D"]
    for k, v in t.D.state_dict().items():
        assert v.dtype == torch.float32 and torch.equal(v, packed[f"D.{k}"].to(v.dtype)), k
    # unconditional: D's conditioning does not fit, it stays as initialised
    u = fresh(cond="none")
    before = {k: v.clone() for k, v in u.D.state_dict().items()}
    assert u.init_discriminators(pack) == []
    assert all(torch.equal(v, before[k]) for k, v in u.D.state_dict().items())
    assert fresh().init_discriminators(tmp_path / "nowhere") == []
    # through the command line
    capsys.readouterr()
    init = TINY.index("--init") + 1
    args = [*TINY[:init], str(gen), *TINY[init + 1 :]]
    out2 = tmp_path / "run2"
    assert (
        main(["train", "gan", "--data", str(db), "--out", str(out2), "--kimg", "0.004", *args]) == 0
    )
    assert "starting D from the discriminator pack" in capsys.readouterr().err


def test_sigint_saves_a_snapshot_before_exiting(db: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"

    def interrupt() -> None:
        deadline = time.monotonic() + 120
        while not (run / "metrics.jsonl").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt, daemon=True).start()
    rc = main(
        [
            "train",
            "gan",
            "--data",
            str(db),
            "--out",
            str(run),
            "--kimg",
            "100",
            *TINY[:-2],
            "--snap",
            "1000",
        ]
    )
    assert rc == 130
    snaps = _snaps(run)
    assert len(snaps) == 1  # written on the interrupt, not by --snap
    meta = json.loads((run / "checkpoints" / snaps[0] / "state.json").read_text())
    assert meta["cur_nimg"] >= 4


def test_bad_input_is_exit_2(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert (
        main(
            ["train", "gan", "--data", str(tmp_path / "nope"), "--out", str(tmp_path / "r"), *TINY]
        )
        == 2
    )
    assert "nope" in capsys.readouterr().err
    assert main(["train", "gan", "--out", str(tmp_path / "r2"), "--no-progress"]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["train", "gan", "--data", str(db), "--cond", "bogus"])
    assert exc.value.code == 2
