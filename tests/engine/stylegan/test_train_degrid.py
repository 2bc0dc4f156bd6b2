"""`wenyang train gan-degrid`: a copy of the synthesis that draws what the original draws,
less the block grid, in the same W space."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from engine.cli import main
from engine.stylegan.checkpoint import load_generator, read_config
from engine.stylegan.networks import Generator
from engine.stylegan.train import degrid as DG
from engine.stylegan.train.distil import LatentSampler
from engine.stylegan.train.grid_penalty import jump_profile

PERIOD = 4  # the 8 px layer's pixels in a 32 px tile: this random network jumps most there


@pytest.fixture(scope="module")
def model_dir(narrowable_dir: Path) -> Path:
    return narrowable_dir


def _sampler(G: Generator, seed: int) -> LatentSampler:
    return LatentSampler(G, None, [G.mapping.w_avg.numpy()], torch.Generator().manual_seed(seed))


def _line(teacher: Generator, G: Generator) -> tuple[float, float]:
    """(line ratio at phase 0 of G's pictures, their error against the teacher's) on a fixed
    fresh batch of 32 latents and noises."""
    target, img = DG.render_pair(teacher, G, _sampler(teacher, 99), 32)
    err = float(((img - target).pow(2).mean() / target.var()).detach())
    return float(jump_profile(img.detach(), PERIOD)[0]), err


def test_both_networks_get_the_same_noise_so_an_unchanged_copy_is_left_alone(
    model_dir: Path, tmp_path: Path
) -> None:
    """Without the penalty the only loss is the picture error, which is zero (up to the
    float rounding of two kernel paths) for a copy rendered with the same ws and the same
    per-sample noise: nothing moves."""
    teacher, student = load_generator(model_dir), load_generator(model_dir)
    target, img = DG.render_pair(teacher, student, _sampler(teacher, 1), 4)
    assert torch.allclose(target, img.detach(), atol=1e-5)
    assert float((target[0] - target[1]).abs().mean()) > 0.01  # per-sample latents and noise
    seen: list[DG.DegridStatus] = []
    args = (tmp_path, 1.0, 0.0, PERIOD, 4, 1e-6, 5)
    st = DG.degrid(teacher, student, _sampler(teacher, 2), *args, report=seen.append)
    assert st.step == 5 and max(s.anchor for s in seen) < 1e-6
    sd = student.state_dict()
    for n, a in teacher.state_dict().items():
        assert torch.allclose(a, sd[n], atol=1e-5), n


def test_degrid_lowers_the_grid_keeps_the_picture_and_w_and_resumes(
    model_dir: Path, tmp_path: Path
) -> None:
    teacher, student = load_generator(model_dir), load_generator(model_dir)
    before, _ = _line(teacher, teacher)
    assert before > 1.03
    seen: list[DG.DegridStatus] = []
    args = (tmp_path, 5.0, 50.0, PERIOD, 8, 2e-3)
    st = DG.degrid(teacher, student, _sampler(teacher, 2), *args, 30, report=seen.append)
    assert st.step == 30 and [s.step for s in seen] == list(range(1, 31))
    # resumes from the saved state: the step count goes on, the weights are the saved ones
    again = load_generator(model_dir)
    st = DG.degrid(teacher, again, _sampler(teacher, 3), *args, 60)
    assert st.step == 60
    after, err = _line(teacher, again)
    assert after - 1 < 0.5 * (before - 1)  # 1.037 -> 1.013 when written
    assert err < 0.05  # the same pictures, but for the grid
    for n, p in teacher.mapping.state_dict().items():  # W is untouched
        assert torch.equal(p, again.mapping.state_dict()[n]), n


class _MeanColour:
    """A stand-in for the CLIP image features: the unit mean colour."""

    def embed(self, img: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.normalize(img.mean(dim=(2, 3)) + 2.0, dim=1)


def test_the_clip_term_is_reported_and_trains_the_student(model_dir: Path, tmp_path: Path) -> None:
    teacher = load_generator(model_dir)
    out = {}
    for w in (0.0, 1e3):
        student = load_generator(model_dir)
        seen: list[DG.DegridStatus] = []
        args = (tmp_path / f"w{w}", 1.0, 20.0, PERIOD, 4, 1e-3, 3)
        DG.degrid(
            teacher,
            student,
            _sampler(teacher, 2),
            *args,
            report=seen.append,
            clip_features=_MeanColour(),
            clip_weight=w,
        )
        clips = [s.clip for s in seen]
        if w:
            assert all(0 <= c < 0.1 for c in clips) and max(clips) > 0
        else:
            assert all(math.isnan(c) for c in clips)
        out[w] = torch.cat([p.flatten() for p in student.synthesis.parameters()])
    assert not torch.allclose(out[0.0], out[1e3])


def test_gan_degrid_cli_writes_a_generator_with_the_originals_w_space(
    model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    common = ["train", "gan-degrid", str(model_dir), "--run", str(tmp_path / "run")]
    rc = main([*common, "--out", str(out), "--steps", "3", "--batch", "2", "--period", "4"])
    assert rc == 0
    cfg = read_config(out)
    meta = cfg["meta"]
    assert meta["degridded_from"]["sha256"] == read_config(model_dir)["sha256"]
    assert meta["degrid"]["steps"] == 3 and meta["degrid"]["period"] == 4
    assert meta["degrid"]["clip"] == 5.0  # the shipped CLIP model guarded the pictures
    assert cfg["sha256"] != read_config(model_dir)["sha256"]
    rc = main([*common, "--out", str(tmp_path / "bad"), "--period", "5"])
    assert rc == 2
    assert "--period" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()
