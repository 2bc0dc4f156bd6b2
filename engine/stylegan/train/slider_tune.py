"""Teach the toRGB layers what a named slider means: `wenyang train gan-slider`.

Why: sessions 26–27 found the gold slider limited by the network, not by the direction.
Along each region's gold vector the Lingnan and Jiangnan designs hold no pixel of gold at
step +3 (Lingnan hardly any even at +8), though the same network draws gold in Lingnan when
it is conditioned on gold-rich tiles: the gold lives in another part of W, which no straight
line from a designer's design reaches. The toRGB layers turn frozen features into colour and feed
nothing back into them (`align.trainable_parameters`), so fine-tuning them alone can make a
step along the slider's own vectors recolour strokes in the region's metallic tones while
motifs and layout stay as drawn. Two terms:

* rise: the attribute's differentiable measure (for gold, `sharp_gold_share`: the shipped
  measure's ΔE cut and opening, softened) must climb by at least `margin` from step 0 to +1,
  +1 to +2 and +2 to +3, and step −3 must hold at most half of step 0's;
* keep: every design at step 0 renders as before (mean squared pixel difference to the
  frozen network), so the figures of designs nobody moves stay where they were.

The slider's vectors stay as they are (they are what the layers learn to answer); the
features are computed once without gradients, and only the toRGB sum is differentiated, so a
step costs about one batch render. Resumable like `gan-align`: toRGB weights, Adam moments
and the step live in the run folder, and every step draws its designs from its own seed.

Measured (session 27, shipped network, 60 steps at the defaults, card set): gold 0.58 → 0.62
(Dunhuang 0.65 → 0.80, Hakka 0.50 → 0.66), every other figure level; Lingnan and Jiangnan did
not move, so it was not shipped. The ceiling: toRGB styles are linear in w and ordinary
designs spread about ±1 step along the vector, so a tint reaching gold at +3 would show a
third of itself on ordinary designs, which the keep term forbids; and designs with no pixel
within ~20 ΔE of gold give the measure no gradient.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from engine.directions.base import Direction
from engine.stylegan.networks import Generator
from engine.stylegan.train.session_loop import SessionLoop

STATE_DIR = "slider-state"
RISE_STEPS: tuple[int, ...] = (-3, 0, 1, 2, 3)  # the slider positions each design is drawn at
TUNABLE = ("gold",)  # attributes with a measure sharp enough to teach


@dataclass
class SliderTuneConfig:
    """Schedule and loss weights of one run (stored in the tuned model's meta)."""

    attribute: str = "gold"
    steps: int = 60  # optimiser steps
    regions_per_step: int = 4  # designs per step, one per region, taken in turn
    lr: float = 0.003  # Adam learning rate (0.01 recoloured step 0 visibly, session 27)
    keep: float = 30.0  # weight of the step-0 pixel term
    margin: float = 0.004  # least rise of the attribute per slider step on 0..+3
    softness: float = 4.0  # ΔE width of the measure's cut (wider: a signal from further off)
    seed: int = 0  # draws the designs of each step


@dataclass
class SliderTuneStatus:
    step: int
    rise: float  # the rise term (0 once every design climbs by `margin` a step)
    keep: float  # mean squared pixel difference at step 0 ([-1, 1] units)
    by_step: list[float]  # the batch's mean attribute at RISE_STEPS
    seconds: float


def torgb_image(
    G: Generator, ws: torch.Tensor, original: Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(image differentiable in G's toRGB weights, the image `original`'s toRGB layers draw
    from the same features, without grad; None without `original`).

    The features are computed once, without gradients: they read no toRGB weight, so they
    are the same for G and for an original that differs from it in the toRGB layers only.
    The image is then summed from them through the reference toRGB layers and upsampling,
    the only parts that read the weights being trained."""
    from cuda_ops import upfirdn2d as ufd

    blocks = G.synthesis.blocks()
    feats = []
    with torch.no_grad():
        x = None
        for block, cur in zip(blocks, G.synthesis.split_ws(ws), strict=True):
            x, _ = block(x, None, cur, impl="ref", noise_mode="const")
            feats.append((x.float().contiguous(), cur[:, block.num_conv]))

    def draw(net: Generator) -> torch.Tensor:
        img: torch.Tensor | None = None
        for block, (x, w_rgb) in zip(net.synthesis.blocks(), feats, strict=True):
            if img is not None:
                img = ufd.upsample2d(
                    img, block.resample_filter, tileable=block.tileable, impl="ref"
                )
            y = block.torgb(x, w_rgb, fused_modconv=False, impl="ref")
            img = y if img is None else img + y
        assert img is not None
        return img

    if original is None:
        return draw(G), None
    with torch.no_grad():
        before = draw(original)
    return draw(G), before


def _measure(attribute: str, softness: float) -> Callable[[torch.Tensor, str], torch.Tensor]:
    from engine.directions.gradient import sharp_gold_share

    if attribute == "gold":
        return lambda img, region: sharp_gold_share(img, region, softness)
    raise ValueError(f"cannot tune the {attribute!r} slider; expected one of {', '.join(TUNABLE)}")


def tune_slider(
    G: Generator,
    slider: Direction,
    pool: dict[str, np.ndarray],
    run_dir: Path,
    cfg: SliderTuneConfig,
    minutes: float = 60.0,
    report: Callable[[SliderTuneStatus], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> SliderTuneStatus:
    """Train G's toRGB layers in place for up to `minutes` or until cfg.steps; returns the
    last status. `pool`: region → designs' ws [P, num_ws, w_dim] (at the truncation designers
    use), none of them from the seeds the slider is evaluated on."""
    from engine.stylegan.train.align import trainable_parameters
    from engine.stylegan.train.distil import load_state, save_state

    measure = _measure(cfg.attribute, cfg.softness)
    regions = [r for r in pool if len(pool[r])]
    if not regions:
        raise ValueError("the pool holds no designs")
    for r in regions:
        if pool[r].ndim != 3 or pool[r].shape[1:] != (G.num_ws, G.w_dim):
            raise ValueError(f"pool[{r!r}] must be [P, {G.num_ws}, {G.w_dim}]")
    G.requires_grad_(False).eval()
    device = next(G.parameters()).device
    original = copy.deepcopy(G)  # the weights before any step, also when resuming
    params = trainable_parameters(G, "torgb")
    for p in params:
        p.requires_grad_(True)
    opt = torch.optim.Adam(params, lr=cfg.lr, betas=(0.0, 0.99))
    first = load_state(run_dir, G, opt, STATE_DIR)
    n_k = len(RISE_STEPS)
    k0 = RISE_STEPS.index(0)
    loop = SessionLoop(
        lambda n: save_state(run_dir, G, opt, n, STATE_DIR), cfg.steps, minutes, should_stop
    )
    status = SliderTuneStatus(first, float("nan"), float("nan"), [], 0.0)
    for step in loop.steps(first):
        g = torch.Generator().manual_seed(cfg.seed * 1_000_003 + step)
        batch_regions = [
            regions[(step * cfg.regions_per_step + j) % len(regions)]
            for j in range(cfg.regions_per_step)
        ]
        rows = []
        for r in batch_regions:
            w = torch.from_numpy(pool[r][int(torch.randint(len(pool[r]), (1,), generator=g))])
            vec, strength, (a, b) = slider.for_region(r).offset(1.0)
            v = torch.from_numpy(np.asarray(vec, np.float32)) * float(strength)
            for k in RISE_STEPS:
                wk = w.clone()
                wk[a:b] += k * v
                rows.append(wk)
        img, frozen = torgb_image(G, torch.stack(rows).to(device), original)
        assert frozen is not None
        rise = img.new_zeros(())
        by_step = torch.zeros(n_k)
        for i, r in enumerate(batch_regions):
            m = measure(img[i * n_k : (i + 1) * n_k], r)
            by_step += m.detach()
            up = m[k0 + 1 :] - m[k0:-1]
            rise = rise + F.relu(cfg.margin - up).sum() + F.relu(m[0] - 0.5 * m[k0].detach())
        at0 = [i * n_k + k0 for i in range(len(batch_regions))]
        keep = (img[at0] - frozen[at0]).square().mean()
        loss = rise + cfg.keep * keep
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        status = SliderTuneStatus(
            step + 1,
            float(rise.detach()),
            float(keep.detach()),
            [round(float(x), 4) for x in by_step / len(batch_regions)],
            loop.seconds,
        )
        if report is not None:
            report(status)
    for p in params:
        p.requires_grad_(False)
    return status
