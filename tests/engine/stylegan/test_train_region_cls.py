"""`train gan --region-cls W`: a frozen region classifier, fitted on the training tiles,
holds each fake to the region of the tile its condition came from."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from engine.errors import UserInputError
from engine.stylegan.train import region_classifier as RC
from tests.engine.stylegan.train_helpers import check_paired_g_term, clip_trainer, config

K = 8


def _tiles(n_per: int, seed: int, size: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 tiles of K classes: a class ground colour with rectangles of a class accent
    colour at random places, plus pixel noise; and their labels."""
    palette = torch.Generator().manual_seed(123)  # the classes: the same for every seed
    ground = torch.rand(K, 3, generator=palette) * 200 + 20
    accent = torch.rand(K, 3, generator=palette) * 200 + 20
    g = torch.Generator().manual_seed(seed)
    imgs, labels = [], []
    for k in range(K):
        for _ in range(n_per):
            img = ground[k].view(3, 1, 1).expand(3, size, size).clone()
            for _ in range(4):
                y, x = (int(v) for v in torch.randint(0, size - 12, (2,), generator=g))
                img[:, y : y + 10, x : x + 6] = accent[k].view(3, 1, 1)
            img += torch.randn(img.shape, generator=g) * 12
            imgs.append(img.clamp(0, 255).round().to(torch.uint8))
            labels.append(k)
    return torch.stack(imgs), torch.tensor(labels)


@pytest.fixture(scope="module")
def fitted() -> RC.RegionNet:
    torch.manual_seed(0)
    imgs, labels = _tiles(20, seed=1)
    said: list[str] = []
    net, acc = RC.fit_region_net(imgs, labels, K, epochs=3, batch=32, seed=2, say=said.append)
    assert acc >= 0.9 and any("held-out accuracy" in s for s in said)
    assert not net.training and not any(p.requires_grad for p in net.parameters())
    return net


def test_the_net_reads_a_torus_at_64_px() -> None:
    torch.manual_seed(0)
    net = RC.RegionNet(K).eval()
    x = torch.rand(2, 3, 256, 256) * 2 - 1
    with torch.no_grad():
        z = net(x)
        assert z.shape == (2, K)
        # rolled by whole 64 px pooling steps: the same torus, the same logits
        assert torch.allclose(net(torch.roll(x, (64, 128), dims=(2, 3))), z, atol=1e-5)
        # a 256 px tile is read as its 64 px area downsample
        assert torch.allclose(net(torch.nn.functional.avg_pool2d(x, 4)), z, atol=1e-5)
    with pytest.raises(ValueError, match="multiple of 64"):
        RC.to_size(torch.zeros(1, 3, 200, 200))


def test_the_fitted_net_tells_unseen_tiles_apart(fitted: RC.RegionNet) -> None:
    imgs, labels = _tiles(10, seed=7)  # other tiles of the same classes
    assert RC.accuracy(fitted, imgs, labels) >= 0.9
    # and it has learnt the classes, not the order: shuffled labels score at chance
    shuffled = labels[torch.randperm(len(labels), generator=torch.Generator().manual_seed(0))]
    assert RC.accuracy(fitted, imgs, shuffled) < 0.4
    with pytest.raises(ValueError, match="uint8"):
        RC.fit_region_net(imgs.float(), labels, K)
    with pytest.raises(ValueError, match="one label each"):
        RC.fit_region_net(imgs, labels[:-1], K)


def test_the_loss_pulls_a_tile_toward_its_region(fitted: RC.RegionNet) -> None:
    imgs, labels = _tiles(2, seed=9)
    x = imgs.float() / 127.5 - 1
    g = torch.Generator().manual_seed(0)
    right = float(RC.region_loss(fitted, x, labels, g))
    wrong = float(RC.region_loss(fitted, x, (labels + 1) % K, g))
    assert right < 0.5 < wrong
    # descending the loss toward another region's label moves the pixels there
    fake = x[:1].clone().requires_grad_(True)
    target = torch.tensor([(int(labels[0]) + 3) % K])
    before = float(RC.region_loss(fitted, fake.detach(), target, g))
    opt = torch.optim.Adam([fake], lr=0.02)
    for step in range(30):
        opt.zero_grad()
        RC.region_loss(fitted, fake, target, torch.Generator().manual_seed(step)).backward()
        opt.step()
    assert float(RC.region_loss(fitted, fake.detach(), target, g)) < 0.5 * before


def test_a_saved_net_loads_only_for_its_own_data(fitted: RC.RegionNet, tmp_path: Path) -> None:
    path = str(tmp_path / "region_net.safetensors")
    RC.save_region_net(fitted, path, "abc", 0.95)
    back = RC.load_region_net(path, "abc", K)
    x = torch.rand(3, 3, 64, 64) * 2 - 1
    assert back is not None and torch.equal(back(x), fitted(x))
    assert RC.load_region_net(path, "other", K) is None
    assert RC.load_region_net(path, "abc", K + 1) is None
    assert RC.load_region_net(str(tmp_path / "missing.safetensors"), "abc", K) is None
    (tmp_path / "bad.safetensors").write_bytes(b"not a safetensors file")
    assert RC.load_region_net(str(tmp_path / "bad.safetensors"), "abc", K) is None
    recs = [{"id": "a"}, {"id": "b"}]
    key = RC.data_key(recs, torch.tensor([0, 1]))
    assert key != RC.data_key(recs, torch.tensor([1, 0]))
    assert key != RC.data_key([{"id": "a"}, {"id": "c"}], torch.tensor([0, 1]))


def test_the_region_weight_adds_a_generator_term_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One step from the same start at weights 0, 1 and 3: D's gradients are the same, G's
    differ by the weight times one fixed gradient, scored against the picked tiles."""
    check_paired_g_term(
        lambda w: clip_trainer(tmp_path / f"w{w}", monkeypatch, per_region=2, region_cls=w, seed=5),
        monkeypatch,
        "_region_loss",
        "G/region",
    )


def test_the_classifier_is_fitted_once_per_run_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    t = clip_trainer(tmp_path, monkeypatch, per_region=2, region_cls=1.0)
    saved = tmp_path / "run" / "region_net.safetensors"
    assert saved.is_file() and t.region_net is not None
    # the labels are the tiles' regions, in the manifest's order
    from engine.culture import REGION_IDS

    regions = [REGION_IDS[i] for i in t.region_of.tolist()]
    assert regions == [r["region"] for r in t.data.records]

    def refit(*a: object, **k: object) -> None:
        raise AssertionError("refitted although the run folder holds the net")

    monkeypatch.setattr(RC, "fit_region_net", refit)
    again = clip_trainer(tmp_path, monkeypatch, per_region=2, region_cls=1.0)
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    assert again.region_net is not None and torch.equal(again.region_net(x), t.region_net(x))


def test_region_options_are_checked(tmp_path: Path) -> None:
    for bad in (-1.0, float("nan")):
        with pytest.raises(UserInputError, match="--region-cls"):
            config(tmp_path / "r", region_cls=bad).validate()
    with pytest.raises(UserInputError, match="needs --cond clip"):
        config(tmp_path / "r", region_cls=1.0, cond="region").validate()


def test_region_labels_follow_the_manifest_and_name_a_bad_one() -> None:
    from engine.culture import REGION_IDS

    recs = [{"region": "miao"}, {"region": "dunhuang"}, {"region": "miao"}]
    assert RC.region_labels(recs, "m.jsonl").tolist() == [
        REGION_IDS.index(r["region"]) for r in recs
    ]
    with pytest.raises(UserInputError, match=r"unknown: \(none\), atlantis") as err:
        RC.region_labels([*recs, {"region": "atlantis"}, {}], "db/manifest.jsonl")
    assert "db/manifest.jsonl" in str(err.value)
