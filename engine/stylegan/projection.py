"""Projection: find the latent whose tile looks most like a reference image.

An imported reference (a photo of an embroidery, any size) is centre-cropped, resized to the
generator's resolution and matched by optimising w (or W+, one w per layer) with Adam:
- a CLIP-feature loss (1 − cosine of CLIP image embeddings) when an encoder is given: it
  matches motif and style rather than exact pixels, which a tileable generator cannot hit;
- a multi-scale pixel loss (L1 at full, 1/2 and 1/4 size) and a gradient loss (L1 between
  wrap-around finite differences), an LPIPS-free perceptual stand-in;
- a small prior pulling w toward the (region) mean, in units of the w spread, so the
  result stays on the generator's manifold (our stand-in for the official noise
  regularisation: noise maps stay fixed, so the returned ws re-render exactly with
  noise_mode "const" through the shared renderer).
Most steps run the synthesis only up to `opt_resolution` (64 px: the skip generator's
image at that block is a faithful low-pass of the tile) against a downsampled reference, a
few times cheaper per step; the last `refine_share` of the steps refine at full size.
Optimisation starts from the mean w with decaying exploration noise (as the official
projector does), reports progress, honours a cancel flag and a wall-clock limit.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

Progress = Callable[[int, int, float], None]  # (step, total, loss)
Cancel = Callable[[], bool]


@dataclass
class ProjectionResult:
    ws: np.ndarray  # [num_ws, w_dim] best latent found
    image: np.ndarray  # HxWx3 uint8 rendering of ws (noise_mode "const")
    losses: list[float] = field(default_factory=list)
    steps: int = 0
    seconds: float = 0.0
    cancelled: bool = False
    timed_out: bool = False
    # the loss of the returned latent, as measured when it was found: at full size when the
    # refinement phase ran, else at `opt_resolution` (the two scales are not comparable)
    best_loss: float | None = None
    best_at_full: bool = False


def prepare_reference(image: np.ndarray, resolution: int) -> torch.Tensor:
    """Centre-crop to a square, resize to `resolution`, → [1, 3, R, R] in [-1, 1]."""
    import cv2

    img = np.asarray(image)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    if img.ndim != 3 or img.shape[2] not in (3, 4):
        raise ValueError(f"expected an HxWx3 image, got shape {img.shape}")
    img = img[..., :3]
    if img.dtype != np.uint8:
        img = np.clip(img, 0, 255).astype(np.uint8)
    h, w = img.shape[:2]
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    img = img[top : top + s, left : left + s]
    interp = cv2.INTER_AREA if s > resolution else cv2.INTER_CUBIC
    img = cv2.resize(np.ascontiguousarray(img), (resolution, resolution), interpolation=interp)
    t = torch.from_numpy(img).permute(2, 0, 1)[None].float()
    return t / 127.5 - 1.0


def _grads(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return x - torch.roll(x, 1, dims=3), x - torch.roll(x, 1, dims=2)


def image_loss(gen: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
    """Multi-scale L1 + gradient L1 (wrap-around differences: tiles are periodic)."""
    loss = gen.new_zeros(())
    a, b = gen, ref
    for _scale in range(3):
        loss = loss + (a - b).abs().mean()
        (ax, ay), (bx, by) = _grads(a), _grads(b)
        loss = loss + 0.5 * ((ax - bx).abs().mean() + (ay - by).abs().mean())
        if a.shape[-1] <= 16:
            break
        a, b = F.avg_pool2d(a, 2), F.avg_pool2d(b, 2)
    return loss


def synthesize_at(G: Any, ws: torch.Tensor, max_res: int) -> torch.Tensor:
    """The skip generator's RGB image after the blocks up to `max_res` (a cheap preview of
    the full tile: later blocks only add detail to it). Full synthesis if max_res >= R."""
    syn = G.synthesis
    if max_res >= int(G.img_resolution):
        return syn(ws, noise_mode="const")
    x = img = None
    for res, block, cur in zip(syn.block_resolutions, syn.blocks(), syn.split_ws(ws), strict=True):
        if res > max_res:
            break
        x, img = block(x, img, cur, noise_mode="const")
    assert img is not None
    return img


def project_image(
    G: Any,
    image: np.ndarray,
    encoder: Any | None = None,
    c: np.ndarray | None = None,
    w_avg: np.ndarray | None = None,
    steps: int = 100,
    time_limit_s: float | None = 25.0,
    opt_resolution: int = 64,
    refine_share: float = 0.1,
    w_plus: bool = False,
    lr: float = 0.08,
    clip_weight: float = 1.0,
    pixel_weight: float = 1.0,
    prior_weight: float = 1e-3,
    seed: int = 0,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> ProjectionResult:
    """Optimise a latent so G's tile matches `image` (see module doc); returns the best."""
    from engine.directions.latents import sample_w
    from engine.stylegan.render import to_uint8

    t0 = time.perf_counter()
    dev = next(G.synthesis.parameters()).device
    full = int(G.img_resolution)
    ref = prepare_reference(image, full).to(dev)
    low = min(full, max(8, int(opt_resolution)))
    ref_low = F.interpolate(ref, size=(low, low), mode="area") if low < full else ref
    refine_from = steps - round(steps * refine_share) if low < full else steps
    cond = None if c is None else np.asarray(c, dtype=np.float32).reshape(1, -1)
    samples = sample_w(G, 512, cond, seed=seed)
    mean = samples.mean(0) if w_avg is None else np.asarray(w_avg, dtype=np.float32)
    w_std = float(np.sqrt(((samples - mean) ** 2).sum(1).mean()))
    n_ws = int(G.num_ws)
    start = torch.from_numpy(mean.astype(np.float32)).to(dev)
    w_opt = (start.repeat(n_ws, 1) if w_plus else start.clone())[None].requires_grad_(True)
    ref_emb = None
    if encoder is not None and clip_weight > 0:
        with torch.no_grad():
            ref_emb = encoder.encode_image_tensor(ref.to(encoder.device)).detach()
    opt = torch.optim.Adam([w_opt], lr=lr, betas=(0.9, 0.999))
    gen = torch.Generator(device="cpu").manual_seed(seed)
    best, best_loss, best_full = w_opt.detach().clone(), float("inf"), False
    losses: list[float] = []
    cancelled = timed_out = False
    done = 0
    for step in range(steps):
        if cancel is not None and cancel():
            cancelled = True
            break
        if time_limit_s is not None and time.perf_counter() - t0 > time_limit_s:
            timed_out = True
            break
        frac = step / max(1, steps - 1)
        for g in opt.param_groups:  # cosine ramp-down after a short warm-up
            g["lr"] = lr * min(1.0, 20 * frac) * 0.5 * (1 + np.cos(np.pi * frac))
        noise_scale = 0.05 * w_std * max(0.0, 1 - frac / 0.75) ** 2
        jitter = torch.randn(w_opt.shape, generator=gen).to(dev) * noise_scale
        w_cur = w_opt + jitter
        ws = w_cur if w_plus else w_cur[:, None, :].repeat(1, n_ws, 1)
        at_full = step >= refine_from
        img = synthesize_at(G, ws, full if at_full else low)
        loss = pixel_weight * image_loss(img, ref if at_full else ref_low)
        if ref_emb is not None and encoder is not None:
            emb = encoder.encode_image_tensor(img.to(encoder.device))
            loss = loss + clip_weight * (1 - (emb * ref_emb).sum(-1).mean()).to(loss.device)
        prior = ((w_opt - start) ** 2).sum(-1).mean() / (w_std**2 + 1e-8)
        total = loss + prior_weight * prior
        opt.zero_grad(set_to_none=True)
        total.backward()
        opt.step()
        value = float(loss.detach())
        losses.append(value)
        if step == refine_from:  # losses at full size are not comparable with low-res ones
            best_loss = float("inf")
        if value < best_loss:  # the loss was measured at w_cur (jittered); keep that latent
            best_loss, best, best_full = value, w_cur.detach().clone(), at_full or low == full
        done = step + 1
        if progress is not None:
            progress(done, steps, value)
    with torch.no_grad():
        ws_best = best if w_plus else best[:, None, :].repeat(1, n_ws, 1)
        out = to_uint8(G.synthesis(ws_best, noise_mode="const"))[0]
    return ProjectionResult(
        ws=ws_best[0].cpu().numpy().astype(np.float32),
        image=out,
        losses=losses,
        steps=done,
        seconds=time.perf_counter() - t0,
        cancelled=cancelled,
        timed_out=timed_out,
        best_loss=best_loss if done else None,
        best_at_full=best_full,
    )
