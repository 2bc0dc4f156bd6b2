"""`wenyang train gan-slider`: the toRGB layers taught to draw what a named slider names,
every design at step 0 kept."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from engine.cli import main
from engine.database.measure import gold_share
from engine.directions.base import Direction
from engine.directions.gradient import sharp_gold_share
from engine.directions.store import DirectionFile, load_directions, save_directions
from engine.stylegan.checkpoint import load_generator, read_config, save_generator
from engine.stylegan.networks import Generator
from engine.stylegan.train import slider_tune as ST

GOLD = (0xC9, 0xA2, 0x27)  # Dunhuang's gold (CULTURE.md)
GROUND = (0x9C, 0x4A, 0x3A)  # Dunhuang's earth red


def _tile(blocks: int, lines: int) -> np.ndarray:
    """128 px earth-red tile with `blocks` 12 px gold squares and `lines` 1 px gold lines."""
    img = np.empty((128, 128, 3), np.uint8)
    img[:] = GROUND
    for i in range(blocks):
        y, x = 8 + 30 * (i % 4), 8 + 30 * (i // 4)
        img[y : y + 12, x : x + 12] = GOLD
    for i in range(lines):
        img[:, 3 + 7 * i] = GOLD
    return img


def _tensor(img: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(img).permute(2, 0, 1)[None].float() / 127.5 - 1


@pytest.mark.parametrize(("blocks", "lines"), [(0, 0), (3, 0), (8, 0), (5, 6), (0, 6)])
def test_sharp_gold_share_counts_what_the_measure_counts(blocks: int, lines: int) -> None:
    """The ΔE cut and the opening that drops 1 px chains, as `measure.gold_share` has them."""
    img = _tile(blocks, lines)
    want = gold_share(img, "dunhuang")
    got = float(sharp_gold_share(_tensor(img), "dunhuang"))
    assert abs(got - want) < 0.01 + 0.05 * want, (got, want)
    if lines and not blocks:
        assert want == 0.0 and got < 0.01  # thin lines are no metal


def test_sharp_gold_share_has_a_gradient_near_gold_only() -> None:
    img = _tensor(_tile(4, 0)).requires_grad_(True)
    sharp_gold_share(img, "dunhuang").sum().backward()
    assert img.grad is not None
    g = img.grad.abs().sum(1)[0]
    assert float(g[8:20, 8:20].sum()) > 0  # at the edge of the cut: pixels near gold
    assert float(g[100:120, 100:120].sum()) < 1e-6  # the red ground says nothing


def _generator(seed: int = 0) -> Generator:
    """A tiny random generator whose colours lie around a gold a little darker than
    Dunhuang's (toRGB weights scaled down, the last bias there): about 9% of its pixels are
    gold, and along `_slider` the share falls (0.09 at step 0, 0.03 at +3)."""
    from engine.stylegan.config import generator_kwargs

    torch.manual_seed(seed)
    G = Generator(**generator_kwargs("tiny", c_dim=0)).eval().requires_grad_(False)
    with torch.no_grad():
        for name, p in G.named_parameters():
            if name.endswith("noise_strength"):
                p.fill_(0.1)
        for b in G.synthesis.blocks():
            b.torgb.weight.mul_(0.2)
            b.torgb.bias.zero_()
        G.synthesis.b32.torgb.bias.copy_(torch.tensor([c / 127.5 - 1.1 for c in GOLD]))
    return G


def test_torgb_image_draws_what_the_synthesis_draws_and_reaches_only_torgb() -> None:
    G, original = _generator(), _generator()
    with torch.no_grad():  # G's toRGB layers differ from the original's
        for b in G.synthesis.blocks():
            b.torgb.weight.mul_(1.5)
    ws = G.mapping(torch.randn(3, G.z_dim), None)
    img, none = ST.torgb_image(G, ws)
    assert none is None
    with torch.no_grad():
        ref, ref0 = G.synthesis(ws, noise_mode="const"), original.synthesis(ws, noise_mode="const")
    assert torch.allclose(img.detach(), ref, atol=1e-4)
    _, before = ST.torgb_image(G, ws, original)
    assert before is not None and torch.allclose(before, ref0, atol=1e-4)
    assert float((ref - ref0).abs().mean()) > 0.01
    for n, p in G.synthesis.named_parameters():
        p.requires_grad_(".torgb." in f".{n}")
    img, _ = ST.torgb_image(G, ws)
    img.square().sum().backward()
    grads = {n: p.grad for n, p in G.synthesis.named_parameters()}
    assert all(g is None for n, g in grads.items() if ".torgb." not in f".{n}")
    assert all(g is not None and g.abs().sum() > 0 for n, g in grads.items() if ".torgb." in n)


def _pool(G: Generator, n: int, seed: int) -> dict[str, np.ndarray]:
    """Designs at ψ 0.7 toward the mean w, the same for both regions (no conditions)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        ws = G.mapping(torch.randn(n, G.z_dim, generator=gen), None, truncation_psi=0.7)
    return {"dunhuang": ws.numpy(), "tibetan": ws.numpy()}


def _slider(G: Generator, pool: np.ndarray) -> Direction:
    """A random unit direction in W, one step = the spread of the pool along it."""
    v = np.random.RandomState(3).randn(G.w_dim).astype(np.float32)
    v /= np.linalg.norm(v)
    spread = float((pool[:, 0] @ v).std()) + 0.5
    return Direction("gold", "named", v, spread, (0, G.num_ws), "all")


def _gold_along(G: Generator, slider: Direction, ws: np.ndarray) -> np.ndarray:
    """[designs, steps −3…+3] gold share of each design along the slider (the shipped
    measure, on the rendered pixels)."""
    vec, strength, (a, b) = slider.offset(1.0)
    rows = []
    for w in ws:
        batch = np.repeat(w[None], 7, 0)
        for i, k in enumerate(range(-3, 4)):
            batch[i, a:b] += k * strength * vec
        with torch.no_grad():
            img = G.synthesis(torch.from_numpy(batch), noise_mode="const")
        u8 = ((img.permute(0, 2, 3, 1) + 1) * 127.5).clamp(0, 255).to(torch.uint8).numpy()
        rows.append([gold_share(x, "dunhuang") for x in u8])
    return np.asarray(rows)


def _drift(G: Generator, before: Generator, ws: np.ndarray) -> float:
    """Mean absolute pixel change ([-1, 1] units) of designs at step 0."""
    with torch.no_grad():
        w = torch.from_numpy(ws)
        d = G.synthesis(w, noise_mode="const") - before.synthesis(w, noise_mode="const")
    return float(d.abs().mean())


def test_tune_slider_teaches_gold_keeps_step_zero_and_resumes(tmp_path: Path) -> None:
    before = _generator()
    pool = _pool(before, 8, 1)
    slider = _slider(before, pool["dunhuang"])
    held_out = _pool(before, 6, 2)["dunhuang"]  # designs the tune never saw
    g0 = _gold_along(before, slider, held_out)
    cfg = ST.SliderTuneConfig(
        steps=15, regions_per_step=2, lr=0.01, keep=10.0, margin=0.02, softness=1.5
    )
    G = _generator()
    seen: list[ST.SliderTuneStatus] = []
    st = ST.tune_slider(G, slider, pool, tmp_path / "kept", cfg, report=seen.append)
    assert st.step == 15 and [s.step for s in seen] == list(range(1, 16))
    # resumes from the saved state: a fresh copy continues from step 15 to 30
    G = _generator()
    longer = ST.SliderTuneConfig(**{**vars(cfg), "steps": 30})
    assert ST.tune_slider(G, slider, pool, tmp_path / "kept", longer).step == 30
    g1 = _gold_along(G, slider, held_out)
    rise0, rise1 = (g0[:, 6] - g0[:, 3]).mean(), (g1[:, 6] - g1[:, 3]).mean()
    assert rise0 < 0 < 0.03 < rise1, (rise0, rise1)  # +3 now holds more gold than step 0
    assert (np.diff(g1[:, 3:], axis=1) >= 0).mean() > (np.diff(g0[:, 3:], axis=1) >= 0).mean()
    sd, sd0 = G.state_dict(), before.state_dict()
    changed = {n for n in sd if not torch.equal(sd[n], sd0[n])}
    assert changed and all(".torgb." in f".{n}" for n in changed), changed
    # the keep term is what holds the designs at step 0: without it they move far more
    free = _generator()
    ST.tune_slider(
        free, slider, pool, tmp_path / "free", ST.SliderTuneConfig(**{**vars(longer), "keep": 0.0})
    )
    assert _drift(G, before, held_out) < 0.8 * _drift(free, before, held_out)  # 0.059, 0.089


def test_tune_slider_refuses_an_attribute_it_cannot_measure(tmp_path: Path) -> None:
    G = _generator()
    pool = _pool(G, 2, 1)
    bad = Direction("symmetry", "named", np.eye(G.w_dim, dtype=np.float32)[0], 1.0, (0, 2))
    with pytest.raises(ValueError, match="symmetry"):
        ST.tune_slider(G, bad, pool, tmp_path, ST.SliderTuneConfig(attribute="symmetry"))


def _model_with_gold(tmp_path: Path) -> Path:
    G = _generator()
    out = save_generator(G, tmp_path / "gen")
    pool = _pool(G, 8, 1)
    sha = str(read_config(out)["sha256"])
    save_directions(out, DirectionFile(sha, [_slider(G, pool["dunhuang"])]))
    return out


def test_gan_slider_cli_writes_a_tuned_copy_with_the_sliders_carried(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = _model_with_gold(tmp_path)
    out, run = tmp_path / "tuned", tmp_path / "run"
    common = ["train", "gan-slider", str(model), "--run", str(run), "--pool", "2"]
    rc = main([*common, "--out", str(out), "--steps", "3", "--batch", "2", "--threads", "1"])
    assert rc == 0, capsys.readouterr().err
    cfg = read_config(out)
    assert cfg["meta"]["slider_tuned_from"]["sha256"] == read_config(model)["sha256"]
    assert cfg["meta"]["slider_tune"]["steps"] == 3
    data = load_directions(out, str(cfg["sha256"]))  # keyed to the new weights
    assert data is not None and [d.name for d in data.directions] == ["gold"]
    tuned, orig = load_generator(out), load_generator(model)
    assert not torch.equal(tuned.synthesis.b32.torgb.weight, orig.synthesis.b32.torgb.weight)
    assert torch.equal(tuned.synthesis.b32.conv1.weight, orig.synthesis.b32.conv1.weight)


def test_gan_slider_cli_names_a_missing_slider(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = save_generator(_generator(), tmp_path / "plain")
    rc = main(["train", "gan-slider", str(model), "--out", str(tmp_path / "o"), "--steps", "1"])
    assert rc == 2
    err = capsys.readouterr().err
    assert "gold" in err and str(model) in err
    assert not (tmp_path / "o").exists()  # nothing half-written
