"""`wenyang train gan-align`: only the mapping network learns, toward each condition's tile,
the run resumes where it stopped, and the CLI writes a loadable generator."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine.cli import main
from engine.stylegan.checkpoint import load_generator, read_config, save_generator
from engine.stylegan.networks import Generator
from engine.stylegan.train import align as A
from tests.engine.stylegan.train_helpers import build_db, tiny_clip_dir

KW = {
    "z_dim": 16,
    "w_dim": 16,
    "c_dim": 32,
    "img_resolution": 32,
    "img_channels": 3,
    "tileable": True,
    "mapping_kwargs": {"num_layers": 2},
    "synthesis_kwargs": {"channel_base": 256, "channel_max": 32, "num_fp16_res": 0},
}


def _generator() -> Generator:
    torch.manual_seed(0)
    G = Generator(**KW).eval()
    for name, p in G.synthesis.named_parameters():
        if name.endswith("noise_strength"):
            p.data.fill_(0.1)
    return G


def test_sliced_wasserstein_compares_colour_distributions_not_layout() -> None:
    g = torch.Generator().manual_seed(0)
    a = torch.rand(2, 64, 3, generator=g)
    proj = F.normalize(torch.randn(3, 16, generator=g), dim=0)
    shuffled = a[:, torch.randperm(64, generator=g)]  # same colours, other places
    assert A.sliced_wasserstein(a, shuffled, proj).item() == pytest.approx(0.0, abs=1e-7)
    shifted = A.sliced_wasserstein(a, a + 0.2, proj).item()
    assert shifted > 0.05
    assert A.sliced_wasserstein(a, a + 0.4, proj).item() > 1.5 * shifted
    with pytest.raises(ValueError, match="shape"):
        A.sliced_wasserstein(a, a[:, :32], proj)


def test_lab_colours_match_the_numpy_conversion_and_carry_gradients() -> None:
    from engine.export.colour import srgb_to_lab

    rgb = np.array([[0, 0, 0], [255, 255, 255], [193, 39, 45], [47, 110, 186], [229, 184, 11]])
    lab = A.torch_lab(torch.tensor(rgb / 255.0, dtype=torch.float64))
    np.testing.assert_allclose(lab.numpy(), srgb_to_lab(rgb.astype(np.uint8)), atol=1e-6)
    img = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(1)) * 2 - 1
    img.requires_grad_(True)
    px = A.colour_pixels(img, "lab")
    assert px.shape == (2, A.COLOUR_PX**2, 3)
    px.sum().backward()
    assert img.grad is not None and torch.isfinite(img.grad).all() and img.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="colour space"):
        A.colour_pixels(img, "hsv")


def test_pick_records_takes_the_first_tiles_of_each_region_in_order() -> None:
    recs = [{"id": i, "region": r} for i, r in enumerate("aabbbaca")]
    assert [r["id"] for r in A.pick_records(recs, 2)] == [0, 1, 2, 3, 6]


def _data(n: int = 8) -> A.AlignData:
    g = torch.Generator().manual_seed(1)
    small = torch.rand(n, 3, 32, 32, generator=g) * 2 - 1
    return A.AlignData(
        image=F.normalize(torch.randn(n, 32, generator=g), dim=1),
        text_en=F.normalize(torch.randn(n, 32, generator=g), dim=1),
        text_zh=F.normalize(torch.randn(n, 32, generator=g), dim=1),
        small=small,
    )


def _embed() -> torch.nn.Module:
    """A fixed differentiable 'CLIP': pooled colours through a random projection."""
    torch.manual_seed(5)
    lin = torch.nn.Linear(3 * 8 * 8, 32).requires_grad_(False)

    class Embed(torch.nn.Module):
        def forward(self, img: torch.Tensor) -> torch.Tensor:
            return F.normalize(lin(F.adaptive_avg_pool2d(img, 8).flatten(1)), dim=1)

    return Embed()


def test_align_trains_the_mapping_alone_toward_the_tiles_and_resumes(tmp_path: Path) -> None:
    data, embed = _data(), _embed()
    G = _generator()
    before = {k: v.clone() for k, v in G.state_dict().items()}
    cfg = A.AlignConfig(steps=30, batch=8, lr=0.05, colour=1.0, anchor=0.0)
    seen: list[A.AlignStatus] = []
    A.align(G, embed, data, tmp_path, cfg, report=seen.append)
    assert [s.step for s in seen] == list(range(1, 31))
    first = np.mean([s.cosine for s in seen[:5]])
    last = np.mean([s.cosine for s in seen[-5:]])
    assert last > first + 0.1, (first, last)
    assert np.mean([s.colour for s in seen[-5:]]) < np.mean([s.colour for s in seen[:5]])
    after = G.state_dict()
    for k, v in before.items():
        if k.startswith("synthesis."):
            assert torch.equal(after[k], v), k  # the synthesis network is frozen
    changed = [
        k for k in before if k.startswith("mapping.") and not torch.equal(after[k], before[k])
    ]
    assert any(k.startswith("mapping.fc") for k in changed)
    assert all(not p.requires_grad for p in G.parameters())
    # a second call continues from the saved state at step 31
    G2 = _generator()
    more: list[A.AlignStatus] = []
    A.align(
        G2,
        embed,
        data,
        tmp_path,
        A.AlignConfig(steps=33, batch=8, lr=0.05, colour=1.0),
        report=more.append,
    )
    assert [s.step for s in more] == [31, 32, 33]
    # ... from the first run's weights, not the fresh generator's
    assert not torch.equal(G2.mapping.fc0.weight, before["mapping.fc0.weight"])


def test_align_torgb_recolours_through_the_torgb_layers_alone(tmp_path: Path) -> None:
    data, embed = _data(), _embed()
    G = _generator()
    before = {k: v.clone() for k, v in G.state_dict().items()}
    cfg = A.AlignConfig(steps=30, batch=8, lr=0.05, colour=1.0, train="torgb")
    seen: list[A.AlignStatus] = []
    A.align(G, embed, data, tmp_path, cfg, report=seen.append)
    assert np.mean([s.colour for s in seen[-5:]]) < np.mean([s.colour for s in seen[:5]])
    after = G.state_dict()
    changed = {k for k in before if not torch.equal(after[k], before[k])}
    assert changed and all(".torgb." in k for k in changed), sorted(changed)
    assert any(k.endswith("torgb.affine.weight") for k in changed)  # per-design colour too
    assert all(s.anchor == 0.0 for s in seen)  # w does not move
    assert all(not p.requires_grad for p in G.parameters())
    with pytest.raises(ValueError, match="mapping"):
        A.trainable_parameters(G, "everything")


def test_the_anchor_keeps_w_near_the_original(tmp_path: Path) -> None:
    data, embed = _data(), _embed()
    drift = {}
    for anchor in (0.0, 100.0):
        G = _generator()
        seen: list[A.AlignStatus] = []
        cfg = A.AlignConfig(steps=15, batch=8, lr=0.05, anchor=anchor)
        A.align(G, embed, data, tmp_path / str(anchor), cfg, report=seen.append)
        drift[anchor] = np.mean([s.anchor for s in seen[-5:]])
    assert drift[100.0] < 0.5 * drift[0.0], drift


def test_gan_align_cli_writes_an_aligned_generator(tmp_path: Path) -> None:
    from engine.stylegan.train.conditioning import load_clip_encoder

    clip_dir = tiny_clip_dir(tmp_path / "clip")
    assert load_clip_encoder(str(clip_dir)).embed_dim == KW["c_dim"]
    db = build_db(tmp_path / "db", per_region=1, size=32)
    model = save_generator(_generator(), tmp_path / "gen")
    out = tmp_path / "aligned"
    argv = ["train", "gan-align", str(model), "--data", str(db), "--clip-model", str(clip_dir)]
    argv += ["--run", str(tmp_path / "run")]
    assert main([*argv, "--out", str(out), "--steps", "3", "--batch", "4", "--threads", "1"]) == 0
    cfg = read_config(out)
    assert cfg["meta"]["align"]["steps"] == 3
    assert cfg["meta"]["aligned_from"]["sha256"] == read_config(model)["sha256"]
    G0, G1 = load_generator(model), load_generator(out)
    s0, s1 = G0.state_dict(), G1.state_dict()
    assert all(torch.equal(s0[k], s1[k]) for k in s0 if k.startswith("synthesis."))
    assert any(not torch.equal(s0[k], s1[k]) for k in s0 if k.startswith("mapping.fc"))
    # bad input: exit 2 and nothing written
    bad = tmp_path / "bad"
    assert main([*argv, "--out", str(bad), "--steps", "0"]) == 2
    assert main([*argv[:4], str(tmp_path / "nowhere"), "--out", str(bad)]) == 2
    assert not bad.exists()


def test_the_region_term_pulls_designs_toward_their_tiles_regions(tmp_path: Path) -> None:
    """Alone (every other weight 0), the region term lowers the classifier's cross-entropy
    against the regions of the conditions' tiles; without a classifier it is refused."""
    data = _data()
    data.region = torch.tensor([0, 1, 2, 3, 0, 1, 2, 3])
    torch.manual_seed(7)
    lin = torch.nn.Linear(3 * 4 * 4, 8).requires_grad_(False)

    class Classifier(torch.nn.Module):  # a fixed differentiable region classifier
        def forward(self, img: torch.Tensor) -> torch.Tensor:
            return lin(F.adaptive_avg_pool2d(img, 4).flatten(1)) * 4

    cfg = A.AlignConfig(
        steps=40, batch=8, lr=0.05, contrastive=0, cosine=0, colour=0, anchor=0, region_cls=1
    )
    seen: list[A.AlignStatus] = []
    A.align(
        _generator(),
        _embed(),
        data,
        tmp_path / "a",
        cfg,
        report=seen.append,
        region_net=Classifier(),
    )
    first = np.mean([s.region for s in seen[:5]])
    last = np.mean([s.region for s in seen[-5:]])
    assert last < 0.7 * first, (first, last)
    off: list[A.AlignStatus] = []
    A.align(_generator(), _embed(), data, tmp_path / "b", A.AlignConfig(steps=2), report=off.append)
    assert all(np.isnan(s.region) for s in off)
    with pytest.raises(ValueError, match="region classifier"):
        A.align(_generator(), _embed(), data, tmp_path / "c", cfg)


def test_gan_align_cli_fits_the_region_classifier_once(tmp_path: Path) -> None:
    clip_dir = tiny_clip_dir(tmp_path / "clip")
    db = build_db(tmp_path / "db", per_region=2, size=32)
    model = save_generator(_generator(), tmp_path / "gen")
    run = tmp_path / "run"
    argv = ["train", "gan-align", str(model), "--data", str(db), "--clip-model", str(clip_dir)]
    argv += ["--run", str(run), "--steps", "2", "--batch", "4", "--threads", "1"]
    assert main([*argv, "--out", str(tmp_path / "a"), "--region-cls", "1"]) == 0
    assert (run / "region_net.safetensors").is_file()
    assert read_config(tmp_path / "a")["meta"]["align"]["region_cls"] == 1.0
    # a classifier fitted on other tiles is refused, naming the file; nothing is written
    other = tmp_path / "other.safetensors"
    from engine.stylegan.train import region_classifier as RC

    RC.save_region_net(RC.RegionNet(8), str(other), "another database", 0.5)
    bad = tmp_path / "bad"
    args = [*argv, "--out", str(bad), "--region-cls", "1", "--region-net", str(other)]
    assert main(args) == 2
    assert not bad.exists()
    assert main([*argv, "--out", str(bad), "--region-cls", "-1"]) == 2
