"""Text -> condition prior: k-NN mean over the bank, file round trip, and the Renderer, the
numpy renderer and `wenyang train gan-prior` applying it alike."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from engine.cli import main
from engine.errors import UserInputError
from engine.stylegan import numpy_render
from engine.stylegan.checkpoint import save_generator
from engine.stylegan.condition_prior import FILE, ConditionPrior, load_prior, save_prior
from engine.stylegan.networks import Generator
from engine.stylegan.render import Renderer, RenderRequest


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def test_prior_is_the_mean_of_the_k_nearest_bank_rows() -> None:
    rng = np.random.default_rng(0)
    bank = _unit(rng.standard_normal((40, 8)).astype(np.float32))
    prior = ConditionPrior(bank, k=5, text_weight=0.0)
    q = _unit(rng.standard_normal((3, 8)).astype(np.float32))
    got = prior(q)
    for row, out in zip(q, got, strict=True):
        near = np.argsort(-(bank @ row))[:5]
        np.testing.assert_allclose(out, _unit(bank[near].mean(0)), atol=1e-6)
    np.testing.assert_allclose(prior(q[1]), got[1], atol=1e-6)  # [D] like a row of [N, D]
    # a query equal to a bank row with k=1 returns that row; the text weight pulls toward q
    assert np.allclose(ConditionPrior(bank, k=1, text_weight=0.0)(bank[7]), bank[7], atol=1e-6)
    mixed = ConditionPrior(bank, k=5, text_weight=10.0)(q[0])
    assert float(mixed @ q[0]) > float(got[0] @ q[0])
    # by default the text itself is added at half weight
    expect = _unit(bank[np.argsort(-(bank @ q[0]))[:5]].mean(0) + 0.5 * q[0])
    np.testing.assert_allclose(ConditionPrior(bank, k=5)(q[0]), expect, atol=1e-6)
    # the neutral condition (all zeros) passes through
    assert not ConditionPrior(bank, k=5)(np.zeros(8, np.float32)).any()


def test_save_load_round_trip_and_bad_files(tmp_path: Path) -> None:
    bank = _unit(np.random.default_rng(1).standard_normal((20, 8)).astype(np.float32))
    save_prior(ConditionPrior(bank, k=3, text_weight=0.25, meta={"tiles": 20}), tmp_path)
    back = load_prior(tmp_path)
    assert back is not None and back.k == 3 and back.text_weight == 0.25
    assert back.meta == {"tiles": 20}
    np.testing.assert_allclose(back.bank, bank, atol=2e-3)  # stored as float16
    assert load_prior(tmp_path / "nowhere") is None
    (tmp_path / FILE).write_bytes(b"not safetensors")
    with pytest.raises(UserInputError, match=FILE):
        load_prior(tmp_path)


def test_sample_mode_conditions_each_seed_on_one_of_the_k_nearest() -> None:
    rng = np.random.default_rng(4)
    bank = _unit(rng.standard_normal((50, 8)).astype(np.float32))
    q = _unit(rng.standard_normal(8).astype(np.float32))
    near = set(np.argsort(-(bank @ q))[:6].tolist())
    prior = ConditionPrior(bank, k=6, text_weight=0.0, mode="sample")
    picked = []
    for seed in range(60):
        out = prior(q, seed)
        hit = [i for i in range(len(bank)) if np.allclose(out, bank[i], atol=1e-6)]
        assert len(hit) == 1 and hit[0] in near  # a real tile embedding, one of the k nearest
        picked.append(hit[0])
        np.testing.assert_array_equal(prior(q, seed), out)  # the same seed, the same pick
    assert set(picked) == near  # over many seeds every neighbour is used
    # the text weight still pulls toward the prompt; no seed falls back to the mean
    mixed = ConditionPrior(bank, k=6, text_weight=0.5, mode="sample")(q, 3)
    np.testing.assert_allclose(mixed, _unit(bank[picked[3]] + 0.5 * q), atol=1e-6)
    mean = ConditionPrior(bank, k=6, text_weight=0.0)
    np.testing.assert_allclose(prior(q), mean(q), atol=1e-6)
    assert not prior(np.zeros(8, np.float32), 1).any()  # the neutral condition passes through
    with pytest.raises(ValueError, match="mode"):
        ConditionPrior(bank, mode="median")


def test_the_mode_is_saved_and_old_files_load_as_mean(tmp_path: Path) -> None:
    from safetensors.numpy import save_file

    bank = _unit(np.random.default_rng(5).standard_normal((20, 8)).astype(np.float32))
    save_prior(ConditionPrior(bank, k=3, mode="sample"), tmp_path)
    back = load_prior(tmp_path)
    assert back is not None and back.mode == "sample"
    meta = {"format": "wenyang-condition-prior", "version": "1", "k": "3"}  # session 4's file
    save_file({"bank": bank.astype(np.float16)}, str(tmp_path / FILE), metadata=meta)
    old = load_prior(tmp_path)
    assert old is not None and old.mode == "mean"
    meta["mode"] = "median"
    save_file({"bank": bank.astype(np.float16)}, str(tmp_path / FILE), metadata=meta)
    with pytest.raises(UserInputError, match=FILE):
        load_prior(tmp_path)


def _labelled_bank(seed: int = 8) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    bank = _unit(rng.standard_normal((60, 8)).astype(np.float32))
    return bank, np.asarray(["miao", "tibetan", "hakka"] * 20)


def test_a_named_region_draws_its_neighbours_among_that_regions_tiles() -> None:
    bank, regions = _labelled_bank()
    q = _unit(np.random.default_rng(9).standard_normal(8).astype(np.float32))
    prior = ConditionPrior(bank, k=4, text_weight=0.0, mode="sample", regions=regions, region_k=6)
    own = np.flatnonzero(regions == "tibetan")
    near = set(own[np.argsort(-(bank[own] @ q))[:6]].tolist())
    picked = set()
    for seed in range(80):
        out = prior(q, seed, "tibetan")
        hit = [i for i in range(len(bank)) if np.allclose(out, bank[i], atol=1e-6)]
        assert len(hit) == 1 and hit[0] in near  # a Tibetan tile, one of the 6 nearest
        picked.add(hit[0])
    assert picked == near  # region_k, not k, neighbours are used
    # the 4 nearest of the whole bank for this query are not all Tibetan: the region matters
    whole = set(np.argsort(-(bank @ q))[:4].tolist())
    assert not whole <= set(own.tolist())
    for seed in range(40):  # without a region: one of the whole bank's k nearest
        assert min(np.abs(prior(q, seed) - bank[i]).max() for i in whole) < 1e-6
    # no region, a region with no tile, or an unlabelled bank: the whole bank with k
    np.testing.assert_array_equal(prior(q, 3, "xinjiang"), prior(q, 3))
    plain = ConditionPrior(bank, k=4, text_weight=0.0, mode="sample")
    np.testing.assert_array_equal(plain(q, 3, "tibetan"), prior(q, 3))
    # mean mode: the mean of the region's region_k nearest
    mean = ConditionPrior(bank, k=4, text_weight=0.0, regions=regions, region_k=6)
    np.testing.assert_allclose(mean(q, None, "tibetan"), _unit(bank[sorted(near)].mean(0)), 1e-5)
    with pytest.raises(ValueError, match="region labels"):
        ConditionPrior(bank, regions=regions[:10])


def test_region_labels_round_trip_and_version_1_files_have_none(tmp_path: Path) -> None:
    from safetensors.numpy import save_file

    bank, regions = _labelled_bank(10)
    save_prior(ConditionPrior(bank, k=3, mode="sample", regions=regions, region_k=7), tmp_path)
    back = load_prior(tmp_path)
    assert back is not None and back.region_k == 7 and back.regions is not None
    assert back.regions.tolist() == regions.tolist()
    meta = {"format": "wenyang-condition-prior", "version": "1", "k": "3", "mode": "sample"}
    save_file({"bank": bank.astype(np.float16)}, str(tmp_path / FILE), metadata=meta)
    old = load_prior(tmp_path)
    assert old is not None and old.regions is None  # session 6's file: the whole bank
    index = np.zeros(len(bank), np.int16)
    index[0] = 5  # names only regions 0..2
    meta = {**meta, "version": "2", "region_names": '["hakka", "miao", "tibetan"]'}
    save_file(
        {"bank": bank.astype(np.float16), "region_index": index},
        str(tmp_path / FILE),
        metadata=meta,
    )
    with pytest.raises(UserInputError, match="region_index"):
        load_prior(tmp_path)


TINY = {
    "z_dim": 16,
    "w_dim": 16,
    "c_dim": 8,
    "img_resolution": 16,
    "img_channels": 3,
    "tileable": True,
    "mapping_kwargs": {"num_layers": 2},
    "synthesis_kwargs": {"channel_base": 256, "channel_max": 16, "num_fp16_res": 0},
}


def test_renderer_and_numpy_renderer_apply_the_shipped_prior(tmp_path: Path) -> None:
    torch.manual_seed(0)
    d = save_generator(Generator(**TINY).eval(), tmp_path / "gen")
    bank = _unit(np.random.default_rng(2).standard_normal((30, 8)).astype(np.float32))
    c = _unit(np.random.default_rng(3).standard_normal(8).astype(np.float32))
    plain = Renderer(d, device="cpu")
    assert plain.prior is None
    save_prior(ConditionPrior(bank, k=4), d)
    r = Renderer(d, device="cpu")
    assert r.prior is not None
    with_prior = r.render(RenderRequest(c=c, seed=5, truncation=0.7)).image
    expect = plain.render(RenderRequest(c=r.prior(c), seed=5, truncation=0.7)).image
    assert np.array_equal(with_prior, expect)
    assert not np.array_equal(with_prior, plain.render(RenderRequest(c=c, seed=5)).image)
    # per request (a project made before the prior) and for the whole renderer (ablations)
    raw = plain.render(RenderRequest(c=c, seed=6, truncation=0.7)).image
    off = r.render(RenderRequest(c=c, seed=6, truncation=0.7, use_prior=False)).image
    assert np.array_equal(off, raw)
    r.use_prior = False
    assert np.array_equal(r.render(RenderRequest(c=c, seed=6, truncation=0.7)).image, raw)
    g = numpy_render.load(d)
    assert g.prior is not None
    assert np.abs(g.render(5, c, 0.7).astype(int) - with_prior.astype(int)).max() <= 1
    assert np.abs(g.render(6, c, 0.7, use_prior=False).astype(int) - raw.astype(int)).max() <= 1
    # sample mode: the seed picks the neighbour, in both renderers alike
    save_prior(ConditionPrior(bank, k=4, mode="sample"), d)
    rs, gs = Renderer(d, device="cpu"), numpy_render.load(d)
    assert rs.prior is not None
    for seed in (5, 6, 7):
        img = rs.render(RenderRequest(c=c, seed=seed, truncation=0.7)).image
        ref = plain.render(RenderRequest(c=rs.prior(c, seed), seed=seed, truncation=0.7)).image
        assert np.array_equal(img, ref)
        assert np.abs(gs.render(seed, c, 0.7).astype(int) - img.astype(int)).max() <= 1
    # a region: both renderers draw the neighbour among its tiles
    regions = np.asarray(["miao", "hakka", "tibetan"] * 10)
    save_prior(ConditionPrior(bank, k=4, mode="sample", regions=regions, region_k=5), d)
    rr, gr = Renderer(d, device="cpu"), numpy_render.load(d)
    assert rr.prior is not None
    for seed in (5, 6):
        img = rr.render(RenderRequest(c=c, seed=seed, truncation=0.7, region="hakka")).image
        ref = plain.render(
            RenderRequest(c=rr.prior(c, seed, "hakka"), seed=seed, truncation=0.7)
        ).image
        assert np.array_equal(img, ref)
        got = gr.render(seed, c, 0.7, region="hakka")
        assert np.abs(got.astype(int) - img.astype(int)).max() <= 1
    whole = rr.render(RenderRequest(c=c, seed=5, truncation=0.7)).image
    assert not np.array_equal(whole, rr.render(RenderRequest(c=c, seed=5, region="hakka")).image)
    # faithful tiles: new requests draw among them, a design saved before among all tiles
    mask = np.arange(30) % 2 == 0
    save_prior(
        ConditionPrior(bank, k=4, mode="sample", regions=regions, region_k=5, faithful=mask), d
    )
    rf, gf = Renderer(d, device="cpu"), numpy_render.load(d)
    assert rf.prior is not None and rf.prior.faithful is not None
    differ = 0
    for seed in range(5, 11):
        for faithful in (True, False):
            req = RenderRequest(
                c=c, seed=seed, truncation=0.7, region="hakka", prior_faithful=faithful
            )
            img = rf.render(req).image
            cond = rf.prior(c, seed, "hakka", faithful)
            ref = plain.render(RenderRequest(c=cond, seed=seed, truncation=0.7)).image
            assert np.array_equal(img, ref)
            got = gf.render(seed, c, 0.7, region="hakka", prior_faithful=faithful)
            assert np.abs(got.astype(int) - img.astype(int)).max() <= 1
        differ += not np.array_equal(rf.prior(c, seed, "hakka"), rf.prior(c, seed, "hakka", False))
    assert differ > 0  # the mask changes what some seeds draw
    # without a mask the flag changes nothing (files from before session 9)
    assert np.array_equal(rr.prior(c, 5, "hakka", False), rr.prior(c, 5, "hakka"))


def _prior_cli_setup(tmp_path: Path) -> tuple[Path, Path, Path, list[str]]:
    """A tiny CLIP model, database and conditioned generator, and the `gan-prior` argv."""
    from tests.engine.stylegan.train_helpers import build_db, tiny_clip_dir

    clip = tiny_clip_dir(tmp_path / "clip")
    db = build_db(tmp_path / "db", per_region=2, size=16)
    torch.manual_seed(0)
    d = save_generator(Generator(**{**TINY, "c_dim": 32}).eval(), tmp_path / "gen")
    return clip, db, d, ["train", "gan-prior", str(d), "--data", str(db), "--clip-model", str(clip)]


def test_gan_prior_cli_builds_the_bank_from_a_database(tmp_path: Path) -> None:
    _clip, db, d, argv = _prior_cli_setup(tmp_path)
    assert main([*argv, "--k", "3"]) == 0
    prior = load_prior(d)
    assert prior is not None and prior.k == 3 and prior.bank.shape == (16, 32)
    assert prior.mode == "sample"  # the default for new priors
    assert prior.meta is not None and prior.meta["tiles"] == 16 and len(prior.meta["regions"]) == 8
    # each bank row carries its tile's region, in the database's order
    from engine.database import read_manifest

    assert prior.regions is not None and prior.region_k == 16
    assert prior.regions.tolist() == [r["region"] for r in read_manifest(db)]
    assert main([*argv, "--region-k", "0"]) == 2
    # bad input: exit 2 and nothing written
    assert main([*argv[:2], str(tmp_path / "nogen"), *argv[3:]]) == 2
    assert not (tmp_path / "nogen").exists()
    d0 = save_generator(Generator(**{**TINY, "c_dim": 0}).eval(), tmp_path / "gen0")
    assert main([*argv[:2], str(d0), *argv[3:]]) == 2
    assert not (d0 / FILE).exists()


def test_keep_faithful_keeps_each_regions_best_drawn_share() -> None:
    from engine.stylegan.prior_fidelity import keep_faithful

    bank = _unit(np.random.default_rng(4).standard_normal((12, 8)).astype(np.float32))
    regions = np.asarray(["miao"] * 4 + ["hakka"] * 8)
    fid = np.asarray([0.1, 0.9, 0.5, 0.3, 0.2, 0.8, 0.7, 0.1, 0.6, 0.4, 0.3, 0.95])
    prior = ConditionPrior(bank, k=3, mode="sample", regions=regions, region_k=5, meta={"a": 1})
    half = keep_faithful(prior, fid, 0.5)
    # per region, not overall: Miao keeps its best two although Hakka draws better on the whole
    kept = [1, 2, 5, 6, 8, 11]
    assert half.faithful is not None and np.flatnonzero(half.faithful).tolist() == kept
    np.testing.assert_allclose(half.bank, prior.bank, atol=1e-6)  # the others stay in the file
    assert (half.k, half.mode, half.region_k) == (3, "sample", 5)
    assert half.meta == {"a": 1, "fidelity_keep": 0.5}
    all_kept = keep_faithful(prior, fid, 1.0).faithful
    assert all_kept is not None and all_kept.all()
    # conditions draw among the faithful tiles; faithful=False (designs saved before) among all
    half.text_weight = 0.0  # the condition is then the picked bank row itself
    q = _unit(np.ones(8, np.float32))
    seen_f = {int(np.argmax(half(q, seed, "hakka") @ bank.T)) for seed in range(100)}
    seen_all = {int(np.argmax(half(q, seed, "hakka", False) @ bank.T)) for seed in range(100)}
    assert seen_f == {5, 6, 8, 11}  # Hakka's faithful tiles (region_k 5 > 4 of them)
    nearest5 = {4 + int(i) for i in np.argsort(-(bank[4:] @ q), kind="stable")[:5]}
    assert seen_all == nearest5  # the 5 nearest of all 8 Hakka tiles
    # whole bank (no region): the faithful rows only, or all of them
    assert half._bank_for(None)[0].shape == (6, 8) and half._bank_for(None, False)[0].shape == (
        12,
        8,
    )
    # a region with no faithful tile (hand-made mask): all of its tiles
    odd = ConditionPrior(bank, k=3, regions=regions, region_k=5, faithful=np.arange(12) >= 4)
    assert odd._bank_for("miao")[0].shape == (4, 8)
    with pytest.raises(ValueError, match="faithful mask"):
        ConditionPrior(bank, faithful=np.zeros(12, bool))
    with pytest.raises(ValueError, match="keep"):
        keep_faithful(prior, fid, 0.0)
    with pytest.raises(ValueError, match="fidelity values"):
        keep_faithful(prior, fid[:5], 0.5)


def test_gan_prior_fidelity_keep_measures_renders_of_the_bank(tmp_path: Path) -> None:
    from engine.clip import load_encoder
    from engine.stylegan.prior_fidelity import tile_fidelity

    clip, _db, d, argv = _prior_cli_setup(tmp_path)
    assert main([*argv, "--fidelity-keep", "1.5"]) == 2
    assert not (d / FILE).exists()
    assert main(argv) == 0
    full = load_prior(d)
    assert full is not None and full.regions is not None
    enc = load_encoder(clip)
    fid = tile_fidelity(Renderer(d, device="cpu"), enc, full.bank, full.regions, seeds=(11, 12))
    assert fid.shape == (16,) and np.all(np.abs(fid) <= 1.0 + 1e-5)
    # a render's cosine to its own condition tile: measured, not constant
    assert fid.std() > 1e-4
    assert full.faithful is None  # version 3 files without a fidelity choice: no mask
    assert main([*argv, "--fidelity-keep", "0.5"]) == 0
    half = load_prior(d)
    assert half is not None and half.faithful is not None and len(half.bank) == 16
    np.testing.assert_allclose(half.bank, full.bank)
    # one of the two tiles of every region is marked, the better drawn one
    for r in sorted(set(full.regions.tolist())):
        rows = np.flatnonzero(full.regions == r)
        assert np.flatnonzero(half.faithful[rows]).tolist() == [int(np.argmax(fid[rows]))]
