"""Take the block grid out of a trained generator: `wenyang train gan-degrid`.

Why (session 18): the shipped 256 px network jumps ~14% more between neighbouring pixels
across every 8th line than elsewhere (the 32 px layer's white noise, upsampled three times),
and the tile's wrap edge is one of those lines, so its seam ratio fails on the validation
prompts. Training on with a grid penalty fixes it only as fast as the GAN trains (~9 min a
kimg on a 2-core CPU), and moves everything else too: the W space, so the region means,
sliders and the prior's faithful tiles need refitting.

So this is a self-distillation: a copy of the synthesis network (the student) learns to
draw, for the same w and the same noise, what the original draws, less the grid. The loss
is the student's squared error against the original's picture (as a share of its variance)
plus the grid penalty of engine/stylegan/train/grid_penalty.py on the student's picture.
With a CLIP model, a third term keeps each picture's CLIP image embedding where the
original's is (1 − cosine): what the region classifier reads must not move with the grid
(without it the first try cost 0.016 of CLIP accuracy, Mongolian 0.93 -> 0.82).
The target is the network's own picture for that exact input, not a database tile, so there
is nothing to average and no blur (session 10's regression to database tiles blurred
motifs). The mapping network is not trained: W, and with it the region means, sliders,
tuned policies and the condition prior, keep their meaning.

Samples are what the studio renders (distil.LatentSampler: prior conditions, region-mean
truncation at a random ψ, style mixing, slider nudges) with fresh per-pixel noise shared by
both networks at every layer. Resumable like gan-distil (state in the run folder).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from engine.stylegan import seeded_noise
from engine.stylegan.networks import Generator
from engine.stylegan.train.distil import (
    LatentSampler,
    load_state,
    noise_table,
    relative_error,
    save_state,
)
from engine.stylegan.train.grid_penalty import GridPenalty, jump_profile
from engine.stylegan.train.session_loop import SessionLoop

STATE_DIR = "degrid-state"


@dataclass
class DegridStatus:
    step: int
    loss: float
    anchor: float  # squared error against the original's picture, as a share of its variance
    clip: float  # mean 1 − cosine between the CLIP embeddings of the two pictures (nan: none)
    grid_line: float  # the running estimate of the student's line ratio (1 = no grid)
    seconds: float


def render_pair(
    teacher: Generator, student: Generator, sampler: LatentSampler, batch: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """(original's picture, student's picture) of one fresh batch, same ws, same noise.

    Both run with autograd on (the original's parameters need no grad, so it records
    nothing): without it the CPU takes the inference kernels, which read one noise map for
    the whole batch instead of one per sample."""
    dev = teacher.mapping.w_avg.device
    ws = sampler(batch).to(dev)
    top = int(teacher.img_resolution)
    table = {
        k: v.to(dev) for k, v in noise_table([teacher, student], batch, top, sampler.gen).items()
    }
    kw = {"noise_mode": "seeded", "fused_modconv": False, "force_fp32": True}
    with seeded_noise.using(table), torch.enable_grad():
        target = teacher.synthesis(ws, **kw).detach()
        img = student.synthesis(ws, **kw)
    return target, img


def degrid(
    teacher: Generator,
    student: Generator,
    sampler: LatentSampler,
    out_dir: Path,
    minutes: float,
    grid_weight: float = 20.0,
    period: int = 8,
    batch: int = 8,
    lr: float = 2e-4,
    total_steps: int = 600,
    save_every_s: float = 300.0,
    report: Callable[[DegridStatus], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    clip_features: Any = None,
    clip_weight: float = 0.0,
) -> DegridStatus:
    """Train the student's synthesis for `minutes` (or until `total_steps`), resuming from
    `out_dir`/degrid-state. The learning rate follows a cosine over `total_steps`.
    `clip_features` (train.clip_losses.ClipImageFeatures) with `clip_weight` > 0 adds the
    CLIP term."""
    for p in student.parameters():
        p.requires_grad_(False)
    params = list(student.synthesis.parameters())
    for p in params:
        p.requires_grad_(True)
    opt = torch.optim.Adam(params, lr=lr, betas=(0.9, 0.99))
    first = load_state(out_dir, student, opt, name=STATE_DIR)
    # a short run: the running mean follows the grid within ~20 steps
    pen = GridPenalty(period, decay=0.05, device=teacher.mapping.w_avg.device)
    teacher.eval().requires_grad_(False)
    student.train()
    loop = SessionLoop(
        lambda n: save_state(out_dir, student, opt, n, name=STATE_DIR),
        total_steps,
        minutes,
        should_stop,
        save_every_s,
    )
    use_clip = clip_features is not None and clip_weight > 0
    status = DegridStatus(first, math.nan, math.nan, math.nan, math.nan, 0.0)
    for step in loop.steps(first):
        for g in opt.param_groups:
            g["lr"] = lr * 0.5 * (1 + math.cos(math.pi * step / total_steps))
        target, img = render_pair(teacher, student, sampler, batch)
        anchor = relative_error(img, target)
        grid = pen(img)
        loss = anchor + grid_weight * grid
        clip = torch.full((), math.nan)
        if use_clip:
            with torch.no_grad():
                want = clip_features.embed(target)
            clip = (1 - (clip_features.embed(img) * want).sum(1)).mean()
            loss = loss + clip_weight * clip
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        status = DegridStatus(
            step + 1,
            float(loss.detach()),
            float(anchor.detach()),
            float(clip.detach()),
            float(pen.estimate()[0]) + 1,
            loop.seconds,
        )
        if report is not None:
            report(status)
    student.eval().requires_grad_(False)
    if math.isnan(status.loss):  # nothing left to train (a finished run): measure only
        target, img = render_pair(teacher, student, sampler, batch)
        line = float(jump_profile(img, period)[0])
        err = float(relative_error(img, target))
        status = DegridStatus(status.step, math.nan, err, math.nan, line, 0.0)
    return status
