"""Condition alignment: `wenyang train gan-align`.

Why: the synthesis network can draw far more than the mapping network sends each condition
to. Session 9 found that the network draws about half of the prior's tiles faithfully and
the rest as a field colour with scattered specks that points to another region; the
motifs and textures themselves need adversarial training at scale, but *which* w a
condition reaches is decided by the two small dense layers of the mapping network. So this
fine-tunes the mapping network alone, with the synthesis frozen, toward the tile each
condition was taken from (LAFITE's language-free pairing: condition = the tile's CLIP image
embedding, here mixed with its caption's text embedding as the condition prior mixes them at
use time):

* LAFITE's contrastive loss between the CLIP embedding of each design and its condition
  tile, plus the plain cosine (the batch's other tiles are mostly easy negatives);
* a colour term: sliced Wasserstein distance between the design's and the tile's pixel
  colours at 32 px (the colour distribution, not the layout: the motifs may sit anywhere);
* an anchor: the squared distance between the new and the original w for the same z and
  condition, so the designs stay where the frozen synthesis was trained to draw.

The frozen synthesis keeps every design on the network's own range (no pixel can change
that the synthesis cannot draw), which is what makes a fine-tune without a discriminator
safe here; session 10's pixel-regression fine-tune of the synthesis blurred motifs away.
`train="torgb"` fine-tunes the toRGB layers instead (session 13): they turn the frozen
features into colour, so a design can be recoloured but not redrawn. Measured from the
shipped network (CIELAB colour weight 3, 300 steps, validation prompts, paired): CLIP
accuracy +0.020 (significant), independent −0.026 (not significant); weight 10: +0.018 /
−0.044. Colour alone is not what the independent classifier misses, so it was not shipped.

The W space moves, so the region means, sliders and the prior's faithful mask are fitted
again afterwards (`directions fit`, `gan-prior`). Resumable: mapping weights, Adam moments
and the step are saved in the run folder; every batch is drawn from the step's own seed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from engine.stylegan.networks import Generator
from engine.stylegan.train.options import COLOUR_SPACES
from engine.stylegan.train.session_loop import SessionLoop

STATE_DIR = "align-state"
COLOUR_PX = 32  # colours are compared at this size (1024 pixels per tile)
COLOUR_PROJECTIONS = 32  # random 1-D projections of RGB for the sliced Wasserstein term
TRAINABLE = ("mapping", "torgb", "mapping+torgb")  # which weights a run fine-tunes


@dataclass
class AlignConfig:
    """Loss weights and schedule of one alignment run (stored in the model's meta)."""

    steps: int = 300  # total optimiser steps (600 measured no better than 300)
    batch: int = 8  # conditions per step
    lr: float = 2e-3  # Adam; the dense layers' own lr multiplier (0.01) applies on top
    contrastive: float = 1.0  # LAFITE InfoNCE weight
    cosine: float = 1.0  # weight of 1 - cos(design, condition tile)
    colour: float = 3.0  # sliced Wasserstein colour distance weight (3 beat 1 on validation)
    anchor: float = 0.1  # weight of |w - w_original|^2
    tau: float = 0.1  # contrastive temperature
    text_weight: float = 0.5  # caption mixed into the condition, as the prior does
    colour_space: str = "rgb"  # "rgb" or "lab" (CIELAB / 50: distances as the eye sees them)
    train: str = "mapping"  # one of TRAINABLE: the mapping network, the toRGB layers, or both
    # weight of the region term (session 21): cross-entropy of a frozen region classifier
    # (engine/stylegan/train/region_classifier.py) against each condition tile's region
    region_cls: float = 0.0
    seed: int = 0


@dataclass
class AlignData:
    """Per tile: unit CLIP image embedding, caption text embeddings, 32 px RGB in [-1, 1]."""

    image: torch.Tensor  # [N, D]
    text_en: torch.Tensor  # [N, D]
    text_zh: torch.Tensor  # [N, D]
    small: torch.Tensor  # [N, 3, 32, 32]
    region: torch.Tensor | None = None  # [N] index into REGION_IDS (None: a region unknown)

    def __len__(self) -> int:
        return int(self.image.shape[0])


@dataclass
class AlignStatus:
    step: int
    contrastive: float
    cosine: float
    colour: float
    anchor: float
    seconds: float
    region: float = float("nan")  # the region term's cross-entropy (nan: off)


def pick_records(records: Sequence[dict[str, Any]], per_region: int) -> list[dict[str, Any]]:
    """The first `per_region` tiles of each region, in manifest order (deterministic)."""
    seen: dict[str, int] = {}
    out = []
    for r in records:
        n = seen.get(r["region"], 0)
        if n < per_region:
            out.append(r)
            seen[r["region"]] = n + 1
    return out


def prepare_data(
    db_dir: Path, records: Sequence[dict[str, Any]], encoder: Any, chunk: int = 64
) -> AlignData:
    """Embed the tiles and their English and Chinese captions with the CLIP encoder."""
    from PIL import Image

    from engine.database import load_image
    from engine.stylegan.train.conditioning import embed_tiles

    tiles = [load_image(db_dir, r) for r in records]
    image = embed_tiles(encoder, tiles, chunk)

    def text(key: str) -> torch.Tensor:
        rows = []
        for i in range(0, len(records), chunk):
            batch = [
                str(r.get(key) or r.get("caption_en") or r["region"])
                for r in records[i : i + chunk]
            ]
            rows.append(torch.as_tensor(encoder.encode_text(batch).embeddings).float().cpu())
        return F.normalize(torch.cat(rows), dim=1)

    small = np.stack(
        [
            np.asarray(Image.fromarray(t).resize((COLOUR_PX, COLOUR_PX), Image.Resampling.BOX))
            for t in tiles
        ]
    )
    small_t = torch.from_numpy(small.copy()).permute(0, 3, 1, 2).float() / 127.5 - 1
    from engine.culture import REGION_IDS

    names = [str(r.get("region", "")) for r in records]
    region = (
        torch.tensor([REGION_IDS.index(n) for n in names])
        if all(n in REGION_IDS for n in names)
        else None
    )
    return AlignData(image, text("caption_en"), text("caption_zh"), small_t, region)


def colour_pixels(img: torch.Tensor, space: str = "rgb") -> torch.Tensor:
    """NCHW images in [-1, 1] → [N, P, 3] colours at COLOUR_PX (area-averaged), as RGB in
    [-1, 1] or as CIELAB / 50 (`space="lab"`)."""
    if space not in COLOUR_SPACES:
        raise ValueError(f"colour space is {space!r}, expected one of {', '.join(COLOUR_SPACES)}")
    if img.shape[-1] != COLOUR_PX:
        img = F.interpolate(img, size=(COLOUR_PX, COLOUR_PX), mode="area")
    px = img.flatten(2).transpose(1, 2)
    return torch_lab((px + 1) / 2) / 50.0 if space == "lab" else px


def random_phase(img: torch.Tensor, rng: torch.Generator, size: int = COLOUR_PX) -> torch.Tensor:
    """Roll periodic NCHW tiles by a random offset smaller than one pooling block of an
    area resize to `size` (COLOUR_PX for the colour term).

    Why: area pooling to COLOUR_PX sends the colour term's gradient to whole 8x8 blocks of a
    256 px tile, the same blocks every step, and the generator learnt block-wise colour
    offsets: a grid at the 8 px lines that grew with the term's weight (session 17; the wrap
    edge is one of those lines, so the seam ratio failed). A random phase spreads the push
    over all pixel positions; a rolled tile has the same palette."""
    block = img.shape[-1] // size
    if block <= 1:
        return img
    dy, dx = (int(v) for v in torch.randint(0, block, (2,), generator=rng))
    return torch.roll(img, (dy, dx), dims=(-2, -1))


def torch_lab(rgb: torch.Tensor) -> torch.Tensor:
    """Differentiable sRGB in [0, 1] [..., 3] → CIELAB (D65), as engine.export.colour does
    it in numpy."""
    from engine.export.colour import RGB_TO_XYZ, WHITE_D65

    c = rgb.clamp(0.0, 1.0)
    lin = torch.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055).clamp_min(1e-6) ** 2.4)
    m = torch.as_tensor(RGB_TO_XYZ, dtype=rgb.dtype, device=rgb.device)
    white = torch.as_tensor(WHITE_D65, dtype=rgb.dtype, device=rgb.device)
    xyz = lin @ m.T / white
    eps, kappa = 216 / 24389, 24389 / 27
    f = torch.where(xyz > eps, xyz.clamp_min(eps) ** (1 / 3), (kappa * xyz + 16) / 116)
    L = 116 * f[..., 1] - 16
    a = 500 * (f[..., 0] - f[..., 1])
    b = 200 * (f[..., 1] - f[..., 2])
    return torch.stack([L, a, b], dim=-1)


def sliced_wasserstein(a: torch.Tensor, b: torch.Tensor, proj: torch.Tensor) -> torch.Tensor:
    """Mean 1-D Wasserstein-1 distance between the colour sets a, b [N, P, 3] along the unit
    directions proj [3, K]: zero exactly when the projected colour distributions agree."""
    if a.shape != b.shape:
        raise ValueError(f"colour sets differ in shape: {tuple(a.shape)} vs {tuple(b.shape)}")
    pa = torch.sort(a @ proj, dim=1).values
    pb = torch.sort(b @ proj, dim=1).values
    return (pa - pb).abs().mean()


def trainable_parameters(G: Generator, train: str) -> list[torch.nn.Parameter]:
    """The parameters a run of kind `train` fine-tunes. The toRGB layers (1x1 modulated
    convolutions and their style affines, about a tenth of the synthesis) turn the frozen
    features into colour without feeding back into them, so training them can recolour a
    design but cannot change its motifs or layout."""
    if train not in TRAINABLE:
        raise ValueError(f"train is {train!r}, expected one of {', '.join(TRAINABLE)}")
    params: list[torch.nn.Parameter] = []
    if "mapping" in train.split("+"):
        params += list(G.mapping.parameters())
    if "torgb" in train.split("+"):
        params += [p for n, p in G.synthesis.named_parameters() if ".torgb." in f".{n}"]
    return params


def _batch(data: AlignData, cfg: AlignConfig, step: int, z_dim: int) -> dict[str, torch.Tensor]:
    """The step's own draw (so a resumed run continues the same sequence)."""
    g = torch.Generator().manual_seed(cfg.seed * 1_000_003 + step)
    idx = torch.randperm(len(data), generator=g)[: cfg.batch]
    zh = torch.rand(len(idx), 1, generator=g) < 0.5
    text = torch.where(zh, data.text_zh[idx], data.text_en[idx])
    target = data.image[idx]
    out = {
        "c": F.normalize(target + cfg.text_weight * text, dim=1),
        "target": target,
        "small": data.small[idx],
        "z": torch.randn(len(idx), z_dim, generator=g),
    }
    if data.region is not None:
        out["region"] = data.region[idx]
    return out


def align(
    G: Generator,
    embed: Callable[[torch.Tensor], torch.Tensor],
    data: AlignData,
    run_dir: Path,
    cfg: AlignConfig,
    minutes: float = 60.0,
    report: Callable[[AlignStatus], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    region_net: torch.nn.Module | None = None,
) -> AlignStatus:
    """Train G's `cfg.train` weights in place for up to `minutes` or until cfg.steps;
    returns the last status. `embed`: differentiable NCHW [-1, 1] → unit CLIP embeddings
    (frozen encoder); `region_net`: the frozen region classifier of `cfg.region_cls`."""
    from engine.stylegan.train.clip_losses import contrastive_loss
    from engine.stylegan.train.distil import load_state, save_state

    if G.c_dim != data.image.shape[1]:
        raise ValueError(
            f"the generator's condition is {G.c_dim}-d but the CLIP embeddings are "
            f"{data.image.shape[1]}-d (another CLIP model?)"
        )
    if cfg.region_cls > 0 and (region_net is None or data.region is None):
        raise ValueError("the region term needs a region classifier and every tile's region")
    device = next(G.parameters()).device
    original = Generator(**G.init_kwargs).to(device)
    original.load_state_dict(G.state_dict())
    original.mapping.eval().requires_grad_(False)
    G.synthesis.eval().requires_grad_(False)
    G.mapping.eval().requires_grad_(False)
    params = trainable_parameters(G, cfg.train)
    for p in params:
        p.requires_grad_(True)
    opt = torch.optim.Adam(params, lr=cfg.lr, betas=(0.0, 0.99))
    first = load_state(run_dir, G, opt, STATE_DIR)
    proj = F.normalize(
        torch.randn(3, COLOUR_PROJECTIONS, generator=torch.Generator().manual_seed(cfg.seed)),
        dim=0,
    ).to(device)
    loop = SessionLoop(
        lambda n: save_state(run_dir, G, opt, n, STATE_DIR), cfg.steps, minutes, should_stop
    )
    status = AlignStatus(first, float("nan"), float("nan"), float("nan"), float("nan"), 0.0)
    for step in loop.steps(first):
        b = {k: v.to(device) for k, v in _batch(data, cfg, step, G.z_dim).items()}
        ws = G.mapping(b["z"], b["c"], skip_w_avg_update=True)
        with torch.no_grad():
            ws0 = original.mapping(b["z"], b["c"], skip_w_avg_update=True)
        img = G.synthesis(ws, noise_mode="random")
        emb = embed(img)
        l_con = contrastive_loss(emb, b["target"], cfg.tau)
        cos = (emb * b["target"]).sum(dim=1).mean()
        phase = torch.Generator().manual_seed((cfg.seed * 1_000_003 + step) ^ 0x5A17)
        l_col = sliced_wasserstein(
            colour_pixels(random_phase(img, phase), cfg.colour_space),
            colour_pixels(b["small"], cfg.colour_space),
            proj,
        )
        l_anc = (ws[:, 0] - ws0[:, 0]).square().mean()
        loss = (
            cfg.contrastive * l_con
            + cfg.cosine * (1 - cos)
            + cfg.colour * l_col
            + cfg.anchor * l_anc
        )
        l_reg = torch.full((), float("nan"))
        if cfg.region_cls > 0:
            from engine.stylegan.train.region_classifier import region_loss

            assert region_net is not None
            rphase = torch.Generator().manual_seed((cfg.seed * 1_000_003 + step) ^ 0x2E61)
            l_reg = region_loss(region_net, img, b["region"], rphase)  # type: ignore[arg-type]
            loss = loss + cfg.region_cls * l_reg
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        status = AlignStatus(
            step + 1,
            l_con.item(),
            cos.item(),
            l_col.item(),
            l_anc.item(),
            loop.seconds,
            l_reg.item(),
        )
        if report is not None:
            report(status)
    for p in params:
        p.requires_grad_(False)
    return status
