"""Growing a trained small generator into a larger (higher resolution, wider) one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from cuda_ops import upfirdn2d as ufd
from engine.cli import main
from engine.stylegan.networks import Generator
from engine.stylegan.train.grow import grow_state_dict
from tests.engine.stylegan.train_helpers import build_db


def _gen(res: int, base: int, cmax: int, w_dim: int = 32, seed: int = 0) -> Generator:
    torch.manual_seed(seed)
    return Generator(
        z_dim=w_dim,
        c_dim=8,
        w_dim=w_dim,
        img_resolution=res,
        img_channels=3,
        mapping_kwargs={"num_layers": 2},
        synthesis_kwargs={"channel_base": base, "channel_max": cmax, "conv_clamp": None},
        tileable=True,
    ).eval()


def _trained_like(res: int) -> Generator:
    """A small generator whose weights are not at their init (as a trained one would be)."""
    g = _gen(res, 256, 32, seed=1)
    with torch.no_grad():
        for name, p in g.named_parameters():
            if "noise_strength" in name:
                p.fill_(0.1)
            elif name.endswith("bias") and "affine" not in name:
                p.normal_(0, 0.1)
    return g


def _render(g: Generator) -> torch.Tensor:
    torch.manual_seed(7)
    z = torch.randn(4, g.z_dim)
    c = torch.eye(8)[:4]
    with torch.no_grad():
        return g(z, c, noise_mode="const", truncation_psi=1.0)


def test_grown_generator_first_draws_the_small_ones_picture_upsampled() -> None:
    small = _trained_like(16)
    big = _gen(32, 1024, 64, seed=2)  # twice the resolution, 2-4x the channels
    sd, rep = grow_state_dict(small.state_dict(), big.state_dict())
    assert rep.copied > 0 and rep.widened and any("b32" in k for k in rep.new)
    assert "new blocks: b32" in rep.summary()
    # the small model's values sit in the leading slice of every widened tensor
    k = "synthesis.b16.conv1.weight"
    old = small.state_dict()[k]
    assert sd[k].shape[0] > old.shape[0]
    assert torch.equal(sd[k][: old.shape[0], : old.shape[1]], old)
    fresh_out = _render(big)
    big.load_state_dict(sd)
    grown = _render(big)
    # what the new top block does with the picture below it: the skip path's 2x upsampling
    f = big.synthesis.b32.resample_filter
    ref = ufd.upsample2d(_render(small), f, tileable=True)
    err = (grown - ref).abs().mean() / ref.std()
    fresh_err = (fresh_out - ref).abs().mean() / ref.std()
    assert err < 0.06, err  # 0 with new_gain=0; grows linearly with it
    assert err < fresh_err / 3, (err, fresh_err)


def test_every_grown_tensor_still_learns() -> None:
    small = _trained_like(16)
    big = _gen(32, 1024, 64, seed=2)
    big.load_state_dict(grow_state_dict(small.state_dict(), big.state_dict())[0])
    big.train()
    img = big(torch.randn(2, big.z_dim), torch.eye(8)[:2], noise_mode="random")
    (img * torch.randn_like(img)).sum().backward()
    dead = [n for n, p in big.named_parameters() if p.grad is None or p.grad.abs().sum() == 0]
    # noise strengths start at 0 and get gradients through the random noise they scale
    assert dead == [], dead


@pytest.mark.parametrize("other", [dict(w_dim=64), dict(res=8)])
def test_a_model_that_would_have_to_shrink_is_refused(other: dict[str, int]) -> None:
    small = _gen(16, 256, 32)
    big = _gen(other.get("res", 32), 1024, 64, w_dim=other.get("w_dim", 32))
    with pytest.raises(ValueError, match=r"cannot grow|lacks|must be the same"):
        grow_state_dict(small.state_dict(), big.state_dict())


def test_train_gan_init_grows_an_exported_generator(tmp_path: Path) -> None:
    from engine.stylegan.checkpoint import load_generator

    db = build_db(tmp_path / "db", size=32)
    common = ["--batch", "4", "--no-progress", "--threads", "1"]
    common += ["--tick", "0.004", "--snap", "1", "--kimg", "0.004", "--preset", "tiny"]
    small_run, gen16 = tmp_path / "r16", tmp_path / "g16"
    argv = ["train", "gan", "--data", str(db), "--out", str(small_run), "--resolution", "16"]
    own = ["--cond", "region", "--cond-noise", "0.3"]
    assert main([*argv, *common, *own, "--init", "none", "--export", str(gen16)]) == 0
    big_run, gen32 = tmp_path / "r32", tmp_path / "g32"
    argv = ["train", "gan", "--data", str(db), "--out", str(big_run), "--resolution", "32"]
    assert main([*argv, *common, "--init", str(gen16), "--export", str(gen32)]) == 0
    # the new run kept the conditioning it was not told to change
    cfg = json.loads((big_run / "config.json").read_text(encoding="utf-8"))
    assert cfg["cond"] == "region" and cfg["cond_noise"] == 0.3
    g16, g32 = load_generator(gen16), load_generator(gen32)
    assert g32.img_resolution == 32
    k = "mapping.embed.weight"  # same shape: carried over, then trained for 4 images
    d = (g32.state_dict()[k] - g16.state_dict()[k]).abs().max()
    assert d < 0.05 * g16.state_dict()[k].abs().max()


def test_options_given_on_the_command_line_win_over_the_inherited_ones(tmp_path: Path) -> None:
    from engine.stylegan.checkpoint import save_generator
    from engine.stylegan.train.cli import _inherit_from_init
    from engine.stylegan.train.options import TrainConfig

    meta = {"cond": "clip", "cond_noise": 0.2, "clip_head": True, "contrastive": 1.0}
    src = save_generator(_gen(16, 256, 32), tmp_path / "gen", extra_meta=meta)
    cfg = TrainConfig()
    _inherit_from_init(cfg, {"init": str(src), "contrastive": 0.0})
    assert cfg.cond == "clip" and cfg.cond_noise == 0.2 and cfg.clip_head is True
    assert cfg.contrastive == 0.0  # from the command line (the caller sets it afterwards)
    from engine.cli import build_parser

    args = build_parser().parse_args(["train", "gan", "--init", str(src), "--no-clip-head"])
    assert vars(args)["clip_head"] is False  # the way to switch an inherited head off
    fresh = TrainConfig()
    _inherit_from_init(fresh, {"init": "none"})
    _inherit_from_init(fresh, {"init": str(tmp_path / "missing")})  # reported elsewhere
    assert fresh == TrainConfig()


def test_the_shipped_generator_grows_into_cpu256w_with_its_picture_kept() -> None:
    """The GPU round's wide arm (session 23) starts from the shipped shape: cpu256w doubles
    the 64-256 px blocks only, and the grown network first draws the shipped picture."""
    from engine.paths import MODELS_DIR
    from engine.stylegan.checkpoint import load_generator, read_config
    from engine.stylegan.config import generator_kwargs

    small = load_generator(MODELS_DIR / "generator")
    preset = generator_kwargs("cpu256w", c_dim=small.c_dim)["synthesis_kwargs"]
    kw = read_config(MODELS_DIR / "generator")["init_kwargs"]  # the shipped network's options
    kw["synthesis_kwargs"].update({k: preset[k] for k in ("channel_base", "channel_max")})
    big = Generator(**kw).eval()

    def width(g: Generator, r: int) -> int:
        return int(getattr(g.synthesis, f"b{r}").conv1.weight.shape[0])

    widths = {r: width(big, r) for r in (32, 64, 128, 256)}
    narrow = {r: width(small, r) for r in (32, 64, 128, 256)}
    assert widths == {32: 128, 64: 128, 128: 64, 256: 32}
    assert narrow == {32: 128, 64: 64, 128: 32, 256: 16}
    sd, rep = grow_state_dict(small.state_dict(), big.state_dict())
    assert rep.widened and not rep.new
    assert all(k.split(".")[1] in ("b64", "b128", "b256") for k in rep.widened)
    big.load_state_dict(sd)
    torch.manual_seed(3)
    z = torch.randn(2, small.z_dim)
    c = torch.nn.functional.normalize(torch.randn(2, small.c_dim), dim=1)
    with torch.no_grad():
        ref = small(z, c, noise_mode="const", truncation_psi=1.0)
        grown = big(z, c, noise_mode="const", truncation_psi=1.0)
    err = (grown - ref).abs().mean() / ref.std()
    assert err < 0.05, err
