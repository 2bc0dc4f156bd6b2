"""CLIP conditioning (cached LAFITE image embeddings), the vision-aided head, contrastive loss."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from engine.stylegan.train.clip_losses import contrastive_loss
from tests.engine.stylegan.train_helpers import build_db, clip_config, config, tiny_clip_dir


def test_contrastive_loss_prefers_matching_pairs() -> None:
    torch.manual_seed(0)
    c = torch.nn.functional.normalize(torch.randn(8, 16), dim=1)
    matched = contrastive_loss(c, c, tau=0.1)
    shuffled = contrastive_loss(c[torch.roll(torch.arange(8), 1)], c, tau=0.1)
    assert float(matched) < 0.1 * float(shuffled)


def test_clip_conditioned_training_with_head_and_contrastive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine.stylegan.train.trainer import Trainer

    monkeypatch.setenv("WENYANG_CACHE_DIR", str(tmp_path / "cache"))
    cfg = clip_config(tmp_path, clip_head=True, contrastive=0.5)
    t = Trainer(cfg, verbose=False)
    assert t.c_dim == 32 and len(t.data) == 8
    assert torch.allclose(t.cond.norm(dim=1), torch.ones(8), atol=1e-5)
    cached = list((tmp_path / "cache" / "gan_conditions").glob("*.safetensors"))
    assert len(cached) == 1
    assert t.head is not None
    h0 = {k: v.clone() for k, v in t.head.state_dict().items()}
    clip0 = {k: v.clone() for k, v in t.encoder.model.state_dict().items()}
    for _ in range(2):
        t.step()
    entry = t._tick_entry(8, 1.0)
    for key in ("D/clip_head", "G/clip_head", "G/contrastive", "D/loss", "G/loss"):
        assert math.isfinite(entry[key]), key
    assert any(not torch.equal(h0[k], v) for k, v in t.head.state_dict().items())
    # CLIP itself stays frozen
    assert all(torch.equal(clip0[k], v) for k, v in t.encoder.model.state_dict().items())
    # the cache is reused: same conditions, no second file
    t2 = Trainer(cfg, verbose=False)
    assert torch.equal(t2.cond, t.cond)
    assert len(list((tmp_path / "cache" / "gan_conditions").glob("*.safetensors"))) == 1
    # the snapshot and the exported generator name the encoder the conditions came from
    import json

    from engine.clip import load_encoder
    from engine.stylegan.train.export import export_snapshot

    snap = t.save()
    assert snap is not None
    want = load_encoder(cfg.clip_model).model_hash[:16]
    assert json.loads((snap / "state.json").read_text())["clip_hash"] == want
    info = export_snapshot(snap, tmp_path / "gen")
    assert info["clip_hash"] == want
    assert json.loads((tmp_path / "gen" / "config.json").read_text())["meta"]["clip_hash"] == want


def test_auto_condition_falls_back_to_unconditional_without_clip(tmp_path: Path) -> None:
    from engine.stylegan.train.trainer import Trainer

    db = build_db(tmp_path / "db")
    cfg = config(tmp_path / "run", data=str(db), cond="auto", clip_model=str(tmp_path / "no"))
    t = Trainer(cfg, verbose=False)
    assert t.c_dim == 0 and t.cfg.cond == "none"
    t.step()
    snap = t.save()
    assert snap is not None
    import json

    meta = json.loads((snap / "state.json").read_text())
    assert meta["config"]["cond"] == "none" and meta["clip_hash"] is None


@pytest.mark.parametrize("tower", ["shipped-resnet", "tiny-vit"])
def test_feature_maps_come_with_the_pooled_features_of_one_pass(tower: str, tmp_path: Path) -> None:
    from engine.clip import load_encoder
    from engine.clip.towers import visual_forward

    enc = load_encoder(None if tower == "shipped-resnet" else tiny_clip_dir(tmp_path / "clip"))
    torch.manual_seed(0)
    img = (torch.rand(2, 3, 64, 64) * 2 - 1).requires_grad_(True)
    pooled, maps = enc.image_feature_maps(img)
    with torch.no_grad():
        want = visual_forward(enc.model, enc._prep(img)).pooled
    assert torch.allclose(pooled, want, atol=1e-5)
    assert maps and all(m.ndim == 4 and m.shape[0] == 2 for m in maps)
    if tower == "shipped-resnet":  # three stages, each half the size of the one before
        sizes = [m.shape[-1] for m in maps]
        assert len(maps) == 3 and sizes == sorted(sizes, reverse=True)
        assert sizes[0] == 2 * sizes[1] == 4 * sizes[2]
    (grad,) = torch.autograd.grad(sum(m.square().mean() for m in maps), img)
    assert grad.abs().sum() > 0  # the maps are differentiable in the image


def test_patch_heads_give_one_conditioned_logit_per_position() -> None:
    from engine.stylegan.train.clip_losses import PatchHeads

    torch.manual_seed(0)
    heads = PatchHeads([8, 16], c_dim=4)
    maps = [torch.randn(3, 8, 6, 6), torch.randn(3, 16, 3, 3)]
    c = torch.nn.functional.normalize(torch.randn(3, 4), dim=1)
    logits = heads(maps, c)
    assert logits.shape == (3, 36 + 9)
    assert not torch.allclose(logits, heads(maps, -c))  # the condition enters
    # a position's logit sees only its 3×3 neighbourhood of parts
    moved = [maps[0].clone(), maps[1]]
    moved[0][:, :, 0, 0] += 5.0
    diff = (heads(moved, c) - logits)[:, :36].reshape(3, 6, 6).abs().sum(0)
    assert diff[0, 0] > 0 and diff[3:, 3:].max() == 0
    with pytest.raises(ValueError, match="expected 2 feature maps"):
        heads(maps[:1], c)


def test_training_with_patch_heads_saves_and_resumes_them(tmp_path: Path) -> None:
    from engine.errors import UserInputError
    from engine.stylegan.train.trainer import Trainer

    db = build_db(tmp_path / "db")
    clip_dir = tiny_clip_dir(tmp_path / "clip")
    kw = dict(data=str(db), cond="clip", clip_model=str(clip_dir), r1_interval=0, pl_weight=0.0)
    cfg = config(tmp_path / "run", clip_patch=1.0, **kw)
    t = Trainer(cfg, verbose=False)
    assert t.head is None and t.patch is not None
    p0 = {k: v.clone() for k, v in t.patch.state_dict().items()}
    clip0 = {k: v.clone() for k, v in t.encoder.model.state_dict().items()}
    for _ in range(2):
        t.step()
    entry = t._tick_entry(8, 1.0)
    for key in ("D/clip_patch", "G/clip_patch"):
        assert math.isfinite(entry[key]), key
    assert "D/clip_head" not in entry
    assert any(not torch.equal(p0[k], v) for k, v in t.patch.state_dict().items())
    assert all(torch.equal(clip0[k], v) for k, v in t.encoder.model.state_dict().items())
    snap = t.save()
    assert snap is not None
    t2 = Trainer(cfg, verbose=False)
    t2.load(snap)
    assert t2.patch is not None
    for k, v in t.patch.state_dict().items():
        assert torch.equal(t2.patch.state_dict()[k], v)
    # the heads are part of the run: switching them off on resume is refused, not dropped
    t3 = Trainer(config(tmp_path / "run", clip_patch=0.0, **kw), verbose=False)
    with pytest.raises(UserInputError, match="clip_patch"):
        t3.load(snap)


def test_shared_step_gives_each_loss_its_own_gradients(tmp_path: Path) -> None:
    """With share_fakes one forward of D, the CLIP head and the patch heads on the fakes
    serves both losses. G's gradient must be exactly the G loss's through the
    discriminators as they were before this step's update, and the discriminators'
    gradient exactly the D loss's: neither loss may leak into the other's weights."""
    import copy

    from engine.stylegan.train import losses as L
    from engine.stylegan.train.trainer import Trainer

    cfg = clip_config(
        tmp_path, clip_head=True, contrastive=1.0, clip_patch=1.0, aug_p=0.0, ada_target=None
    )
    t = Trainer(cfg, verbose=False)
    t.step()  # the heads and D are no longer at their initial values
    before = {k: copy.deepcopy(getattr(t, k)) for k in ("G", "D", "head", "patch")}

    seen: dict[str, object] = {}
    run_g, judge = t._run_G, t._judge

    def rec_run_g(z, c, update_emas):  # type: ignore[no-untyped-def]
        seen.setdefault("rng", torch.get_rng_state())
        seen.setdefault("zc", (z, c))
        return run_g(z, c, update_emas)

    def rec_judge(img, feat, maps, c):  # type: ignore[no-untyped-def]
        seen.setdefault("judged", []).append((img, feat, maps, c))  # type: ignore[union-attr]
        return judge(img, feat, maps, c)

    grads: dict[str, list[torch.Tensor | None]] = {}

    def rec_step(opt, name):  # type: ignore[no-untyped-def]
        orig = opt.step

        def step(*a, **k):  # type: ignore[no-untyped-def]
            params = [q for g in opt.param_groups for q in g["params"]]
            grads[name] = [None if q.grad is None else q.grad.clone() for q in params]
            return orig(*a, **k)

        return step

    t._run_G, t._judge = rec_run_g, rec_judge  # type: ignore[method-assign]
    t.opt_G.step = rec_step(t.opt_G, "G")  # type: ignore[method-assign]
    t.opt_D.step = rec_step(t.opt_D, "D")  # type: ignore[method-assign]
    t.step()
    (fake_img, _, _, c_gen), (real_img, feat_r, maps_r, c_real) = seen["judged"]  # type: ignore[misc]

    # the same losses, by hand, on the pre-step weights
    for k, m in before.items():
        setattr(t, k, m)
    t._judge = judge  # type: ignore[method-assign]
    G0 = before["G"].requires_grad_(True)
    torch.set_rng_state(seen["rng"])  # type: ignore[arg-type]
    z, c = seen["zc"]  # type: ignore[misc]
    fake, _ = run_g.__func__(t, z, c, False)  # type: ignore[attr-defined]
    torch.testing.assert_close(fake, fake_img)  # the same fakes
    feat, maps = t._clip_features(fake)
    want_g = torch.autograd.grad(
        t._loss_G(fake, t._judge(fake, feat, maps, c_gen), c_gen),
        list(G0.parameters()),
        allow_unused=True,
    )
    for got, want in zip(grads["G"], want_g, strict=True):
        if want is None:
            assert got is None or got.abs().max() == 0
        else:
            assert got is not None
            torch.testing.assert_close(got, want, atol=1e-6, rtol=1e-4)

    for m in ("D", "head", "patch"):
        before[m].requires_grad_(True)
    f_out = t._judge(fake.detach(), feat.detach(), [m.detach() for m in maps], c_gen)
    r_out = t._judge(real_img, feat_r, maps_r, c_real)
    loss_d = L.d_logistic(f_out["D"], r_out["D"])
    loss_d = loss_d + cfg.clip_head_weight * L.d_logistic(f_out["head"], r_out["head"])
    loss_d = loss_d + cfg.clip_patch * L.d_logistic(f_out["patch"], r_out["patch"])
    d_params = [
        *before["D"].parameters(),
        *before["head"].parameters(),
        *before["patch"].parameters(),
    ]
    want_d = torch.autograd.grad(loss_d, d_params, allow_unused=True)
    assert len(want_d) == len(grads["D"])
    assert sum(w is not None for w in want_d) > len(want_d) // 2
    for got, want in zip(grads["D"], want_d, strict=True):
        if want is not None:
            assert got is not None
            torch.testing.assert_close(got, want, atol=1e-6, rtol=1e-4)


def test_clip_jitter_rolls_each_tile_before_the_heads(tmp_path: Path) -> None:
    """With --clip-jitter the CLIP heads see every tile rolled by its own random offset (a
    whole-tile wrap: the same pixels, no fixed positions); without it, the tile as it is."""
    from engine.errors import UserInputError
    from engine.stylegan.train.trainer import Trainer

    db = build_db(tmp_path / "db")
    clip_dir = tiny_clip_dir(tmp_path / "clip")
    kw = dict(data=str(db), cond="clip", clip_model=str(clip_dir), r1_interval=0, pl_weight=0.0)
    seen: list[torch.Tensor] = []
    for jitter in (False, True):
        t = Trainer(config(tmp_path / f"run{jitter}", clip_patch=1.0, clip_jitter=jitter, **kw))
        original = t.clip_feat.features_and_maps

        def spy(img: torch.Tensor, original=original):  # type: ignore[no-untyped-def]
            seen.append(img.detach().clone())
            return original(img)

        t.clip_feat.features_and_maps = spy  # type: ignore[method-assign]
        x = torch.rand(6, 3, 16, 16)
        _, maps = t._clip_features(x)
        assert maps is not None and len(seen) == 1
        got = seen.pop()
        if not jitter:
            assert torch.equal(got, x)
            continue
        assert not torch.equal(got, x)
        for a, b in zip(got, x, strict=True):  # each a wrap roll of its own tile
            rolls = [(dy, dx) for dy in range(16) for dx in range(16)]
            assert any(torch.equal(a, torch.roll(b, r, dims=(1, 2))) for r in rolls)
        t.step()  # trains with it
        snap = t.save()
        resumed = Trainer(config(tmp_path / "runTrue", clip_patch=1.0, **kw), verbose=False)
        resumed.load(snap)  # switching it off on resume is allowed
    with pytest.raises(UserInputError, match="--clip-jitter"):
        config(tmp_path / "r", clip_jitter=True, tileable=False).validate()
