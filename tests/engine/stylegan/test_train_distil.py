"""`wenyang train gan-distil`: the narrow student shares the teacher's mapping and upper
blocks, learns the rest, resumes, and renders close to the teacher."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from engine.cli import main
from engine.stylegan.checkpoint import read_config
from engine.stylegan.networks import Generator
from engine.stylegan.render import Renderer, RenderRequest
from engine.stylegan.train import distil as D
from tests.engine.stylegan.conftest import NARROWABLE

KW = NARROWABLE


@pytest.fixture(scope="module")
def teacher_dir(narrowable_dir: Path) -> Path:
    return narrowable_dir


def _teacher(d: Path) -> Generator:
    from engine.stylegan.checkpoint import load_generator

    return load_generator(d)


def test_student_rejoins_the_teacher_where_the_widths_agree(teacher_dir: Path) -> None:
    t = _teacher(teacher_dir)
    s = Generator(**D.narrow_kwargs(KW, 32))
    b = D.boundary_of(t, s)
    assert b.resolution == 16
    assert b.trained == ("synthesis.b4.", "synthesis.b8.", "synthesis.b16.conv0.")
    counts = D.init_student(t, s)
    assert counts["sliced"] > 0
    ts, ss = t.state_dict(), s.state_dict()
    for k in ss:  # the mapping and everything from b16.conv1 up are the teacher's own
        if k.startswith(
            ("mapping.", "synthesis.b16.conv1", "synthesis.b16.torgb", "synthesis.b32")
        ):
            assert torch.equal(ss[k], ts[k]), k
    assert ss["synthesis.b8.conv1.weight"].shape[0] == 32 < ts["synthesis.b8.conv1.weight"].shape[0]
    with pytest.raises(ValueError, match="not below"):
        D.narrow_kwargs(KW, 64)


def test_distillation_lowers_the_error_and_resumes(teacher_dir: Path, tmp_path: Path) -> None:
    torch.manual_seed(1)
    t = _teacher(teacher_dir)

    def run(minutes: float, steps: int) -> tuple[Generator, list[D.DistilStatus]]:
        s = Generator(**D.narrow_kwargs(KW, 32))
        D.init_student(t, s)
        gen = torch.Generator().manual_seed(3)
        sampler = D.LatentSampler(t, None, [t.mapping.w_avg.numpy()], gen)
        seen: list[D.DistilStatus] = []
        D.distil(
            t,
            s,
            sampler,
            tmp_path,
            minutes,
            batch=8,
            lr=2e-2,
            total_steps=steps,
            report=seen.append,
        )
        return s, seen

    _, first = run(5.0, 60)
    assert first[-1].step == 60
    early = np.mean([x.loss for x in first[:5]])
    late = np.mean([x.loss for x in first[-5:]])
    assert late < 0.6 * early, (early, late)
    # the state was saved: a second call continues at step 60 and stops at the new total
    s2, more = run(5.0, 70)
    assert [x.step for x in more] == list(range(61, 71))
    # a finished run trains no more and still reports its errors (measured, not NaN)
    s3 = Generator(**D.narrow_kwargs(KW, 32))
    sampler = D.LatentSampler(t, None, [t.mapping.w_avg.numpy()], torch.Generator())
    done = D.distil(t, s3, sampler, tmp_path, 5.0, batch=8, total_steps=70)
    assert done.step == 70 and 0 <= done.x_err < 1 and 0 <= done.img_err < 1
    for p in s2.mapping.parameters():
        assert not p.requires_grad  # only the narrow part is trained


def test_gan_distil_cli_writes_a_student_that_renders_like_the_teacher(
    teacher_dir: Path, tmp_path: Path
) -> None:
    from engine.directions.base import Direction
    from engine.directions.store import DirectionFile, load_directions, save_directions

    vec = np.ones(16, np.float32) / 4.0
    sliders = [Direction("warmth", "named", vec, 1.0, (0, 3), "coarse")]
    save_directions(teacher_dir, DirectionFile(read_config(teacher_dir)["sha256"], sliders))
    out = tmp_path / "student"
    argv = [
        "train",
        "gan-distil",
        str(teacher_dir),
        "--out",
        str(out),
        "--run",
        str(tmp_path / "r"),
    ]
    assert (
        main([*argv, "--channel-max", "32", "--steps", "80", "--batch", "8", "--lr", "2e-2"]) == 0
    )
    cfg = read_config(out)
    assert cfg["init_kwargs"]["synthesis_kwargs"]["channel_max"] == 32
    assert cfg["meta"]["distil"]["steps"] == 80
    assert cfg["meta"]["distilled_from"]["sha256"] == read_config(teacher_dir)["sha256"]
    # the sliders live in W, which the student shares: carried over, keyed to its weights
    carried = load_directions(out, cfg["sha256"])
    assert carried is not None and [d.name for d in carried.directions] == ["warmth"]
    assert np.array_equal(carried.directions[0].vector, vec)
    rt, rs = Renderer(teacher_dir), Renderer(out)
    diffs, spread = [], []
    for seed in range(6):
        req = RenderRequest(seed=seed, truncation=0.7, noise_mode="seeded")
        a = rt.render(req).image.astype(float)
        b = rs.render(req).image.astype(float)
        diffs.append(np.abs(a - b).mean())
        other = rt.render(RenderRequest(seed=seed + 100, truncation=0.7, noise_mode="seeded"))
        spread.append(np.abs(a - other.image.astype(float)).mean())
    # the student draws the teacher's design, much closer than another seed of the teacher
    assert np.mean(diffs) < 0.5 * np.mean(spread), (diffs, spread)
    # bad input: exit 2, nothing written
    bad = tmp_path / "bad"
    assert main([*argv[:3], "--out", str(bad), "--channel-max", "64"]) == 2
    assert main([*argv[:3], "--out", str(bad), "--minutes", "0"]) == 2
    assert not bad.exists()


def test_the_cpu256n_preset_builds_the_shipped_generators_shape() -> None:
    """So `train gan --preset cpu256n --init shipped` continues the shipped network as is."""
    from engine.paths import MODELS_DIR
    from engine.stylegan.config import generator_kwargs

    shipped = read_config(MODELS_DIR / "generator")["init_kwargs"]
    mine = generator_kwargs("cpu256n", c_dim=int(shipped["c_dim"]))
    for key in ("z_dim", "w_dim", "c_dim", "img_resolution", "tileable"):
        assert mine[key] == shipped[key], key
    for key in ("channel_base", "channel_max"):
        assert mine["synthesis_kwargs"][key] == shipped["synthesis_kwargs"][key], key
    assert mine["mapping_kwargs"] == shipped["mapping_kwargs"]


def test_gan_distil_device_is_checked_and_latents_are_drawn_on_the_cpu(
    teacher_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "student"
    argv = ["train", "gan-distil", str(teacher_dir), "--out", str(out), "--run", str(tmp_path)]
    if not torch.cuda.is_available():  # asked for CUDA without one: a clear error, no output
        assert main([*argv, "--channel-max", "32", "--device", "cuda"]) == 2
        assert not out.exists()
    assert main([*argv, "--channel-max", "32", "--device", "gpu0"]) == 2
    t = _teacher(teacher_dir)
    ws = D.LatentSampler(t, None, [np.zeros(16, np.float32)], torch.Generator().manual_seed(3))(4)
    assert ws.device.type == "cpu" and ws.shape == (4, t.num_ws, 16)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_gan_distil_on_cuda_draws_the_cpu_latents_and_writes_a_cpu_loadable_student(
    teacher_dir: Path, tmp_path: Path
) -> None:
    t_cpu, t_gpu = _teacher(teacher_dir), _teacher(teacher_dir).cuda()
    centres = [np.zeros(16, np.float32)]
    a = D.LatentSampler(t_cpu, None, centres, torch.Generator().manual_seed(3))(4)
    b = D.LatentSampler(t_gpu, None, centres, torch.Generator().manual_seed(3))(4)
    torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)  # same samples on either device
    out = tmp_path / "student"
    argv = ["train", "gan-distil", str(teacher_dir), "--out", str(out), "--run", str(tmp_path)]
    assert main([*argv, "--channel-max", "32", "--steps", "40", "--device", "cuda"]) == 0
    cfg = read_config(out)
    assert cfg["meta"]["distil"]["steps"] == 40 and cfg["meta"]["distil"]["x_rel_err"] < 1
    img = Renderer(out).render(RenderRequest(seed=1, truncation=0.7)).image
    assert img.shape == (32, 32, 3)
