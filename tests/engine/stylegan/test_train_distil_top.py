"""`wenyang train gan-distil --channel-base`: a student narrower in its high-resolution blocks
keeps the teacher's mapping and low blocks, learns the rest from the teacher's images, and
renders the teacher's designs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from engine.cli import main
from engine.stylegan import seeded_noise
from engine.stylegan.checkpoint import load_generator, read_config
from engine.stylegan.networks import Generator
from engine.stylegan.render import Renderer, RenderRequest
from engine.stylegan.train import distil as D
from tests.engine.stylegan.conftest import NARROWABLE

KW = NARROWABLE  # widths 64/64/32/16 at 4/8/16/32 px
TOP = D.narrow_kwargs(KW, channel_base=256)  # widths 64/32/16/8: narrower from 8 px up


def test_a_student_narrower_at_the_top_learns_the_top_blocks(narrowable_dir: Path) -> None:
    t = load_generator(narrowable_dir)
    s = Generator(**TOP)
    b = D.boundary_of(t, s)
    assert b.mode == D.ABOVE and b.resolution == 8
    assert b.trained == ("synthesis.b8.", "synthesis.b16.", "synthesis.b32.")
    D.init_student(t, s)
    ts, ss = t.state_dict(), s.state_dict()
    for k in ss:
        if k.startswith(("mapping.", "synthesis.b4.")):
            assert torch.equal(ss[k], ts[k]), k
    w_t, w_s = ts["synthesis.b16.conv1.weight"], ss["synthesis.b16.conv1.weight"]
    assert w_s.shape[:2] == (16, 16) and torch.equal(w_s, w_t[:16, :16])  # the leading slice
    # neither narrower above nor below one resolution: refused, as is a wider student
    with pytest.raises(ValueError, match="either above or below"):
        D.boundary_of(t, Generator(**D.narrow_kwargs(KW, channel_max=32, channel_base=256)))
    with pytest.raises(ValueError, match="wider"):
        D.boundary_of(s, t)
    with pytest.raises(ValueError, match="channel_base 512 is not below"):
        D.narrow_kwargs(KW, channel_base=512)


def test_the_top_images_are_the_networks_own_and_the_shared_trunk_is_left_intact(
    narrowable_dir: Path,
) -> None:
    t = load_generator(narrowable_dir)
    ws = D.LatentSampler(t, None, [t.mapping.w_avg.numpy()], torch.Generator().manual_seed(5))(3)
    table = D.noise_table([t], 3, 32, torch.Generator().manual_seed(6))
    with seeded_noise.using(table), torch.no_grad():
        whole = t.synthesis(ws, noise_mode="seeded", force_fp32=True, impl="ref")
        trunk, images = D.images_from(t, ws, 8, None)
        kept = [v.clone() for v in trunk]
        _, again = D.images_from(t, ws, 8, trunk)
    assert [im.shape[-1] for im in images] == [8, 16, 32]
    torch.testing.assert_close(images[-1], whole, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(again[-1], whole, atol=1e-5, rtol=1e-5)
    for a, b in zip(trunk, kept, strict=True):
        assert torch.equal(a, b)
    flat = torch.full((1, 3, 8, 8), 0.3)
    assert float(D.fine_detail(flat).abs().max()) < 1e-6  # a flat tile has no detail


def test_top_distillation_lowers_every_error_and_trains_only_the_top(
    narrowable_dir: Path, tmp_path: Path
) -> None:
    torch.manual_seed(1)
    t = load_generator(narrowable_dir)
    s = Generator(**TOP)
    D.init_student(t, s)
    before = {k: v.clone() for k, v in s.state_dict().items()}
    sampler = D.LatentSampler(t, None, [t.mapping.w_avg.numpy()], torch.Generator().manual_seed(3))
    seen: list[D.DistilStatus] = []
    D.distil(t, s, sampler, tmp_path, 5.0, batch=8, lr=1e-2, total_steps=80, report=seen.append)
    assert seen[-1].step == 80
    for field in ("x_err", "img_err", "detail_err"):
        early = np.mean([getattr(x, field) for x in seen[:5]])
        late = np.mean([getattr(x, field) for x in seen[-5:]])
        assert late < 0.7 * early, (field, early, late)
    after = s.state_dict()
    for k, v in after.items():
        moved = not torch.equal(v, before[k])
        if k.startswith(("mapping.", "synthesis.b4.")):
            assert not moved, k
    assert not torch.equal(
        after["synthesis.b32.torgb.weight"], before["synthesis.b32.torgb.weight"]
    )


def test_gan_distil_with_a_channel_base_writes_a_student_that_draws_the_teachers_designs(
    narrowable_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "student"
    argv = ["train", "gan-distil", str(narrowable_dir), "--out", str(out)]
    run = ["--run", str(tmp_path / "r")]
    assert main([*argv, *run, "--channel-base", "256", "--steps", "150", "--lr", "1e-2"]) == 0
    cfg = read_config(out)
    syn = cfg["init_kwargs"]["synthesis_kwargs"]
    assert (syn["channel_base"], syn["channel_max"]) == (256, 64)
    meta = cfg["meta"]["distil"]
    assert meta["mode"] == "above" and meta["boundary_px"] == 8 and meta["steps"] == 150
    rt, rs = Renderer(narrowable_dir), Renderer(out)
    diffs, spread = [], []
    for seed in range(6):
        req = RenderRequest(seed=seed, truncation=0.7, noise_mode="seeded")
        a = rt.render(req).image.astype(float)
        diffs.append(np.abs(a - rs.render(req).image.astype(float)).mean())
        other = rt.render(RenderRequest(seed=seed + 100, truncation=0.7, noise_mode="seeded"))
        spread.append(np.abs(a - other.image.astype(float)).mean())
    assert np.mean(diffs) < 0.5 * np.mean(spread), (diffs, spread)
    bad = tmp_path / "bad"  # not narrower: exit 2, nothing written
    assert (
        main(
            [
                "train",
                "gan-distil",
                str(narrowable_dir),
                "--out",
                str(bad),
                *run,
                "--channel-base",
                "512",
            ]
        )
        == 2
    )
    assert not bad.exists()


def test_gan_distil_at_a_lower_resolution_writes_a_preview_network_of_the_teacher(
    narrowable_dir: Path, tmp_path: Path
) -> None:
    """--resolution: the teacher stopped at 16 px is distilled into a narrower network that
    draws its designs from the same ws rows, marked as the teacher's preview network."""
    from engine.stylegan.twin import truncated_generator

    out = tmp_path / "preview"
    argv = ["train", "gan-distil", str(narrowable_dir), "--out", str(out)]
    run = ["--run", str(tmp_path / "r")]
    assert (
        main(
            [
                *argv,
                *run,
                "--resolution",
                "16",
                "--channel-base",
                "256",
                "--steps",
                "150",
                "--lr",
                "1e-2",
            ]
        )
        == 0
    )
    cfg = read_config(out)
    teacher_cfg = read_config(narrowable_dir)
    assert cfg["init_kwargs"]["img_resolution"] == 16
    assert cfg["meta"]["preview_of"]["sha256"] == teacher_cfg["sha256"]
    assert cfg["meta"]["preview_resolution"] == 16
    twin = Renderer.from_generator(truncated_generator(load_generator(narrowable_dir), 16))
    rs, full = Renderer(out), Renderer(narrowable_dir)
    diffs, spread = [], []
    for seed in range(6):
        ws = full.request_ws(RenderRequest(seed=seed, truncation=0.7))
        a = twin.render(RenderRequest(ws=ws[: twin.info.num_ws])).image.astype(float)
        b = rs.render(RenderRequest(ws=ws[: rs.info.num_ws])).image.astype(float)
        diffs.append(np.abs(a - b).mean())
        ws2 = full.request_ws(RenderRequest(seed=seed + 100, truncation=0.7))
        other = twin.render(RenderRequest(ws=ws2[: twin.info.num_ws])).image.astype(float)
        spread.append(np.abs(a - other).mean())
    assert np.mean(diffs) < 0.5 * np.mean(spread), (diffs, spread)
    for bad_res in ("32", "12"):  # the top itself, or no block of the teacher: exit 2
        bad = tmp_path / f"bad{bad_res}"
        assert main([*argv[:3], "--out", str(bad), *run, "--resolution", bad_res]) == 2
        assert not bad.exists()
