"""Distil a generator into a narrower one: `wenyang train gan-distil`.

Why: the shipped 256 px preset (channel_base 4096, channel_max 256) spends a third of a drag
preview in its 4-16 px blocks, whose 256 channels are the only ones the cap reaches. With
channel_max 128 those blocks cost a quarter as much, and every block from 32 px up keeps its
exact shape. So a narrow student needs no GAN training: it copies the teacher's mapping
network and every block from the boundary (the first resolution whose width both share) up,
and learns only what is narrower — the blocks below the boundary and the boundary block's
first conv, whose input is now narrower — to reproduce the teacher's activations there.
Everything above sees the same input and so draws the same pattern; the W space is the
teacher's, so region means, sliders and tuned policies keep their meaning.

The regression targets, per sample: the boundary block's conv0 output (x) and the RGB image
accumulated below it (img). Samples are what the studio renders: the teacher's mapping of a
random z and a condition from the prior's bank, truncated toward a region mean or the global
mean by a random psi, style-mixed half the time, nudged along random layer ranges as the
sliders do, and noised with fresh per-pixel noise shared by teacher and student.

Device: the networks sit where the caller put them (CUDA makes a 2000-step run a matter of
minutes instead of half an hour on a 2-core CPU); every random draw is made on the CPU, so a
run samples the same latents on either device (up to float rounding in the mapping).

The other way round (session 24): a student narrower *from* a resolution up to the top
(`channel_base` lowered: the wide `cpu256w` GPU network into the shipped `cpu256n` shape,
whose 64-256 px blocks have half the channels). Then the mapping and every block below that
resolution are the teacher's, and the blocks from it up are learnt from the teacher's images
for the same w and noise: the RGB image after each learnt block (the skip architecture sums
one per resolution, so they compare pixel for pixel) and the final image's fine detail (what
is left after a 3x3 box blur), where texture lives. The start is the teacher's leading
channels, which for a network grown from a narrow one (`train gan --init`, old channels
first) are the narrow network's own.

Resumable: the student, Adam and the step count are saved in the output folder
(`distil-state/`) every few minutes and when stopped; running the same command continues.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.stylegan import seeded_noise
from engine.stylegan.networks import Generator
from engine.stylegan.train.session_loop import SessionLoop

STATE_DIR = "distil-state"


BELOW = "below"  # the student is narrower below the boundary and the teacher's from it up
ABOVE = "above"  # the student is the teacher's below the boundary and narrower from it up


@dataclass(frozen=True)
class Boundary:
    """Where the student and the teacher part or rejoin."""

    resolution: int  # BELOW: first block whose conv1, toRGB and later blocks are the
    # teacher's; ABOVE: first block the student learns (everything under it is the teacher's)
    trained: tuple[str, ...]  # parameter-name prefixes the student learns
    mode: str = BELOW  # BELOW or ABOVE


def narrow_kwargs(
    teacher_kwargs: dict[str, Any],
    channel_max: int | None = None,
    channel_base: int | None = None,
) -> dict[str, Any]:
    """The teacher's init_kwargs with the synthesis channel cap and/or base lowered."""
    out = copy.deepcopy(teacher_kwargs)
    syn = out.setdefault("synthesis_kwargs", {})
    if channel_max is None and channel_base is None:
        raise ValueError("give channel_max or channel_base")
    for key, new, default in (
        ("channel_max", channel_max, 512),
        ("channel_base", channel_base, 32768),
    ):
        if new is None:
            continue
        old = int(syn.get(key, default))
        if new >= old:
            raise ValueError(f"{key} {new} is not below the teacher's {old}")
        syn[key] = int(new)
    return out


def boundary_of(teacher: Generator, student: Generator) -> Boundary:
    """Where the widths part: BELOW when the student is narrower below some resolution and
    the teacher's from it up, ABOVE when it is the teacher's below some resolution and
    narrower from it up; and what the student must learn."""
    syn_t, syn_s = teacher.synthesis, student.synthesis
    res = [int(r) for r in syn_t.block_resolutions]
    width_t = [int(getattr(syn_t, f"b{r}").conv1.weight.shape[0]) for r in res]
    width_s = [int(getattr(syn_s, f"b{r}").conv1.weight.shape[0]) for r in res]
    if any(s > t for s, t in zip(width_s, width_t, strict=True)):
        raise ValueError("the student is wider than the teacher somewhere")
    same = [s == t for s, t in zip(width_s, width_t, strict=True)]
    first = next((i for i in range(len(res)) if all(same[i:])), None)
    if first is not None and 0 < first < len(res):
        b = res[first]
        trained = (*(f"synthesis.b{r}." for r in res[:first]), f"synthesis.b{b}.conv0.")
        return Boundary(b, trained, BELOW)
    part = next((i for i in range(len(res)) if not same[i]), None)
    if part is not None and part > 0 and not any(same[part:]):
        return Boundary(res[part], tuple(f"synthesis.b{r}." for r in res[part:]), ABOVE)
    raise ValueError(
        "the student must share the teacher's widths either above or below one resolution"
    )


def init_student(teacher: Generator, student: Generator) -> dict[str, int]:
    """Copy every teacher tensor of the student's shape; narrower ones take the teacher's
    leading slice (a start the regression improves on). Returns counts for the log."""
    t_sd = teacher.state_dict()
    s_sd = student.state_dict()
    copied = sliced = 0
    for k, v in s_sd.items():
        src = t_sd[k]
        if src.shape == v.shape:
            v.copy_(src)
            copied += 1
        else:
            v.copy_(src[tuple(slice(0, n) for n in v.shape)])
            sliced += 1
    return {"copied": copied, "sliced": sliced}


def trainable_params(student: Generator, boundary: Boundary) -> list[tuple[str, Any]]:
    return [(n, p) for n, p in student.named_parameters() if n.startswith(boundary.trained)]


def forward_to_boundary(
    G: Generator, ws: torch.Tensor, boundary: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """(x after the boundary block's conv0, img accumulated below it), with the noise in the
    seeded-noise context. Run with autograd on (also for the teacher, whose parameters need
    no grad): the inference kernels take one noise map for the whole batch, the training
    path a map per sample."""
    syn = G.synthesis
    x = img = None
    for block, cur in zip(syn.blocks(), syn.split_ws(ws), strict=True):
        if block.resolution == boundary:
            assert x is not None and img is not None
            x = block.conv0(x, cur[:, 0], noise_mode="seeded", fused_modconv=False)
            return x, img
        x, img = block(x, img, cur, noise_mode="seeded", fused_modconv=False, force_fp32=True)
    raise ValueError(f"no block at {boundary} px")


def noise_table(
    models: list[Generator], n: int, below: int, gen: torch.Generator
) -> dict[int, torch.Tensor]:
    """Fresh N(0, 1) noise [n, 1, res, res] per noisy layer below `below`*2 px, the same for
    the layer of that name in every model (each model's layer shapes it its own way)."""
    by_name: dict[str, torch.Tensor] = {}
    table: dict[int, torch.Tensor] = {}
    for G in models:
        for name, layer in G.synthesis.named_modules():
            if not getattr(layer, "use_noise", False) or int(layer.resolution) > below:
                continue
            if name not in by_name:
                r = int(layer.resolution)
                by_name[name] = torch.randn(n, 1, r, r, generator=gen)
            table[id(layer)] = layer.shape_noise(by_name[name])  # seeded tables hold it shaped
    return table


class LatentSampler:
    """ws [n, num_ws, w_dim] as the studio makes them (see the module doc)."""

    def __init__(
        self,
        G: Generator,
        conditions: np.ndarray | None,
        centres: list[np.ndarray],
        gen: torch.Generator,
    ) -> None:
        self.G = G
        self.conditions = None if conditions is None else torch.from_numpy(conditions).float()
        self.centres = [torch.from_numpy(np.asarray(c, np.float32)) for c in centres]
        self.gen = gen
        self.ranges = self._ranges()

    def _ranges(self) -> list[tuple[int, int]]:
        n = int(self.G.num_ws)
        third = max(1, n // 3)
        return [(0, third), (third, 2 * third), (2 * third, n), (0, n)]

    def _map(self, n: int) -> torch.Tensor:
        dev = self.G.mapping.w_avg.device
        z = torch.randn(n, int(self.G.z_dim), generator=self.gen)
        c = None
        if self.conditions is not None:
            idx = torch.randint(len(self.conditions), (n,), generator=self.gen)
            c = self.conditions[idx].to(dev)
        with torch.no_grad():
            ws = self.G.mapping(z.to(dev), c).float().cpu()
            psi = 0.4 + 0.6 * torch.rand(n, 1, 1, generator=self.gen)
            cidx = torch.randint(len(self.centres), (n,), generator=self.gen)
            centre = torch.stack([self.centres[int(i)] for i in cidx])[:, None, :]
            return centre + psi * (ws - centre)

    def __call__(self, n: int) -> torch.Tensor:
        ws = self._map(n)
        mix = self._map(n)
        for i in range(n):
            if torch.rand((), generator=self.gen) < 0.5:  # style mixing at a random crossover
                cut = int(torch.randint(1, ws.shape[1], (), generator=self.gen))
                ws[i, cut:] = mix[i, cut:]
            if torch.rand((), generator=self.gen) < 0.5:  # a slider-like nudge on a range
                a, b = self.ranges[int(torch.randint(len(self.ranges), (), generator=self.gen))]
                d = torch.randn(ws.shape[2], generator=self.gen)
                ws[i, a:b] += 3.0 * d / d.norm() * float(torch.rand((), generator=self.gen))
        return ws


@dataclass
class DistilStatus:
    step: int
    loss: float
    x_err: float  # BELOW: the boundary activations; ABOVE: the learnt blocks' inner images
    img_err: float  # BELOW: the image below the boundary; ABOVE: the final image
    seconds: float
    detail_err: float = 0.0  # ABOVE: the final image's fine detail (BELOW: not measured)


def relative_error(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error as a share of the target's variance (0 = exact, 1 = a constant)."""
    return (pred - target).pow(2).mean() / target.var().clamp_min(1e-8)


def distil(
    teacher: Generator,
    student: Generator,
    sampler: LatentSampler,
    out_dir: Path,
    minutes: float,
    batch: int = 16,
    lr: float = 2e-3,
    total_steps: int = 4000,
    save_every_s: float = 300.0,
    report: Callable[[DistilStatus], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> DistilStatus:
    """Train the student's narrow part for `minutes` (or until `total_steps`), resuming from
    `out_dir`/distil-state. The learning rate follows a cosine over `total_steps`."""
    boundary = boundary_of(teacher, student)
    params = trainable_params(student, boundary)
    for p in student.parameters():
        p.requires_grad_(False)
    for _, p in params:
        p.requires_grad_(True)
    opt = torch.optim.Adam([p for _, p in params], lr=lr, betas=(0.9, 0.99))
    first = load_state(out_dir, student, opt)
    teacher.eval().requires_grad_(False)
    student.train()
    loop = SessionLoop(
        lambda n: save_state(out_dir, student, opt, n),
        total_steps,
        minutes,
        should_stop,
        save_every_s,
    )
    status = DistilStatus(first, math.nan, math.nan, math.nan, 0.0)
    for step in loop.steps(first):
        for g in opt.param_groups:
            g["lr"] = lr * 0.5 * (1 + math.cos(math.pi * step / total_steps))
        x_err, img_err, detail_err = errors(teacher, student, sampler, batch, boundary)
        loss = x_err + img_err + detail_err
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        status = DistilStatus(
            step + 1,
            float(loss.detach()),
            float(x_err.detach()),
            float(img_err.detach()),
            loop.seconds,
            float(detail_err.detach()),
        )
        if report is not None:
            report(status)
    student.eval()
    if math.isnan(status.loss):  # nothing left to train (a finished run): measure only
        # autograd on, as in training: the BELOW mode's inference kernels would take one
        # noise map for the whole batch
        x, im, de = (float(e.detach()) for e in errors(teacher, student, sampler, batch, boundary))
        status = DistilStatus(status.step, x + im + de, x, im, loop.seconds, de)
    return status


def errors(
    teacher: Generator,
    student: Generator,
    sampler: LatentSampler,
    batch: int,
    boundary: Boundary,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(x, img, detail) relative errors on a fresh batch, by the boundary's mode."""
    if boundary.mode == ABOVE:
        return top_errors(teacher, student, sampler, batch, boundary.resolution)
    x, img = boundary_errors(teacher, student, sampler, batch, boundary.resolution)
    return x, img, torch.zeros((), device=x.device)


def boundary_errors(
    teacher: Generator, student: Generator, sampler: LatentSampler, batch: int, boundary: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Relative errors (x, img) of the student at the boundary on a fresh batch of latents."""
    dev = teacher.mapping.w_avg.device
    ws = sampler(batch).to(dev)
    table = {
        k: v.to(dev)
        for k, v in noise_table([teacher, student], batch, boundary, sampler.gen).items()
    }
    with seeded_noise.using(table):
        tx, timg = (t.detach() for t in forward_to_boundary(teacher, ws, boundary))
        sx, simg = forward_to_boundary(student, ws, boundary)
    return relative_error(sx, tx), relative_error(simg, timg)


def fine_detail(img: torch.Tensor) -> torch.Tensor:
    """What a 3x3 box blur (periodic, as the tile repeats) removes: the texture."""
    padded = torch.nn.functional.pad(img, (1, 1, 1, 1), mode="circular")
    return img - torch.nn.functional.avg_pool2d(padded, 3, stride=1)


def images_from(
    G: Generator, ws: torch.Tensor, start: int, trunk: tuple[torch.Tensor, torch.Tensor] | None
) -> tuple[tuple[torch.Tensor, torch.Tensor], list[torch.Tensor]]:
    """Run `G`'s blocks from `start` px up on `trunk` (x, img of the blocks below, computed
    here when None): (trunk, [img after each block from `start` up]). Seeded noise; the
    reference kernels, which take a noise map per sample also without autograd."""
    syn = G.synthesis
    x = img = None
    images: list[torch.Tensor] = []
    kw = dict(noise_mode="seeded", fused_modconv=False, force_fp32=True, impl="ref")
    for block, cur in zip(syn.blocks(), syn.split_ws(ws), strict=True):
        if block.resolution < start:
            if trunk is None:
                x, img = block(x, img, cur, **kw)
            continue
        if block.resolution == start:
            if trunk is None:
                assert x is not None and img is not None
                trunk = (x, img)
            x, img = trunk
        x, img = block(x, img, cur, **kw)
        assert img is not None
        images.append(img)
    assert trunk is not None
    return trunk, images


def top_errors(
    teacher: Generator, student: Generator, sampler: LatentSampler, batch: int, start: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Relative errors (inner images, final image, final detail) of a student narrower from
    `start` px up, on a fresh batch: both share the teacher's blocks below `start`, so
    that part runs once, without autograd."""
    dev = teacher.mapping.w_avg.device
    ws = sampler(batch).to(dev)
    top = int(teacher.img_resolution)
    table = {
        k: v.to(dev) for k, v in noise_table([teacher, student], batch, top, sampler.gen).items()
    }
    with seeded_noise.using(table):
        with torch.no_grad():
            trunk, target = images_from(teacher, ws, start, None)
        _, got = images_from(student, ws, start, trunk)
    inner = [relative_error(g, t) for g, t in zip(got[:-1], target[:-1], strict=True)]
    x_err = torch.stack(inner).mean() if inner else torch.zeros((), device=dev)
    img_err = relative_error(got[-1], target[-1])
    detail_err = relative_error(fine_detail(got[-1]), fine_detail(target[-1]))
    return x_err, img_err, detail_err


def save_state(
    out_dir: Path,
    student: Generator,
    opt: torch.optim.Optimizer,
    step: int,
    name: str = STATE_DIR,
) -> None:
    """Generator weights, Adam moments and the step in `out_dir`/`name`, atomically
    (safetensors + JSON); train.align keeps its state the same way."""
    from safetensors.torch import save_file

    from engine.atomic import atomic_dir
    from engine.stylegan.train.state import _flatten_optimizer

    tensors = {f"G.{k}": v.detach().cpu().contiguous() for k, v in student.state_dict().items()}
    meta = {"step": step, "opt": _flatten_optimizer("opt", opt.state_dict(), tensors)}
    with atomic_dir(Path(out_dir) / name) as tmp:
        save_file(tensors, str(tmp / "state.safetensors"))
        (tmp / "state.json").write_text(json.dumps(meta), encoding="utf-8")


def load_state(
    out_dir: Path, student: Generator, opt: torch.optim.Optimizer, name: str = STATE_DIR
) -> int:
    """Resume from `out_dir`/`name` if there is one: the step reached (else 0)."""
    from safetensors.torch import load_file

    from engine.errors import UserInputError
    from engine.stylegan.train.state import _unflatten_optimizer

    d = Path(out_dir) / name
    if not (d / "state.json").is_file():
        return 0
    try:
        meta = json.loads((d / "state.json").read_text(encoding="utf-8"))
        tensors = load_file(str(d / "state.safetensors"))
        student.load_state_dict({k[2:]: v for k, v in tensors.items() if k.startswith("G.")})
        opt.load_state_dict(_unflatten_optimizer(meta["opt"], tensors))
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise UserInputError(
            f"unreadable training state ({exc}); delete it to start afresh", path=str(d)
        ) from exc
    return int(meta["step"])
