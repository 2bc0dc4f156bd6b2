"""Training options: one dataclass that travels with a run (saved as JSON beside checkpoints).

Why one flat dataclass: a resumed run must reproduce the same step exactly, so every knob
that changes the numerics is stored with the run and checked on resume.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import UserInputError

COND_MODES = ("auto", "clip", "region", "none")
COLOUR_SPACES = ("rgb", "lab")  # of the colour distance (train gan --colour, gan-align)


@dataclass
class TrainConfig:
    """Everything that defines a GAN training run (see `wenyang train gan --help`)."""

    data: str = ""  # database folder (manifest.jsonl + images/)
    run_dir: str = ""  # where checkpoints, samples and the metrics log go
    resolution: int = 128  # training resolution (database tiles are resized to it)
    preset: str = "cpu-small"  # network width preset (engine.stylegan.config or built-in)
    tileable: bool = True  # circular padding in G (our models are seamless tiles)
    # circular padding in D too: G is periodic by construction, so D needs no wrap to see
    # seams, and the wrapped D costs ~3x the zero-padded one on a CPU (measured at 128 px)
    d_tileable: bool = False
    batch: int = 16  # global batch size (split over DDP ranks)
    kimg: float = 100.0  # train until this many thousand real images were shown
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda
    # conditioning
    # auto = clip when a CLIP encoder loads, else none (resolved once, stored with the run)
    cond: str = "auto"
    cond_noise: float = 0.1  # LAFITE: h + xi*|h|*eps/|eps|, renormalised; 0 = off
    clip_model: str | None = None  # encoder folder (None = shipped / engine.clip default)
    # losses and regularisation
    lr_g: float = 0.0025
    lr_d: float = 0.0025
    gamma: float | None = None  # R1 weight; None = 0.0002 * res^2 / batch (official "auto")
    r1_interval: int = 16  # lazy R1: every N steps, weighted by N
    pl_weight: float = 2.0  # path-length regularisation weight; 0 = off
    pl_interval: int = 4
    pl_batch_shrink: int = 2
    pl_decay: float = 0.01
    style_mixing: float = 0.9
    ema_kimg: float | None = None  # None = batch * 10 / 32
    ema_rampup: float | None = 0.05
    share_fakes: bool = True  # one G forward per step feeds both the D and the G update
    # ADA
    ada_target: float | None = 0.6  # None = fixed p (aug_p)
    aug_p: float = 0.0  # initial (or fixed) augmentation probability
    ada_interval: int = 4
    ada_kimg: float = 100.0  # p can move from 0 to 1 in this many kimg
    aug_colour: bool = True
    # largest wrap-around translation as a share of the tile (0 = none). Translations hide
    # where the tile's edge is, so D cannot ask for the calm edges the database has: at ADA
    # p -> 1 the generator's seam ratio rose from 0.95 to 1.30 (session 4).
    aug_translate: float = 0.125
    # convergence helpers (issue 5)
    clip_head: bool = False  # vision-aided D head on frozen CLIP image features
    clip_head_weight: float = 0.5
    # weight of the patch heads on the frozen CLIP tower's feature maps (0 = off; session 14)
    clip_patch: float = 0.0
    # roll every tile by a random offset before the CLIP tower's heads (reals and fakes).
    # Why: the patch heads judge positions on a fixed lattice (256 -> 96 px resize, strided
    # feature maps), so the generator can be rewarded for detail at fixed pixel phases; in
    # the first 5 kimg with them (session 15) the 8 px grid ratio rose to 1.18 and the seam
    # ratio to 1.13 (measured in session 17). Tileable runs only
    clip_jitter: bool = False
    contrastive: float = 0.0  # weight of LAFITE image-condition InfoNCE on fakes; 0 = off
    contrastive_tau: float = 0.5
    # weight of the colour term: sliced Wasserstein distance between each fake's pixel
    # colours and those of the tile its condition was taken from (0 = off; session 16). The
    # database's tile pairs each CLIP condition, so a fake can be held to its palette without
    # being held to its layout; aims at the independent classifier's colour half
    colour: float = 0.0
    colour_space: str = "lab"  # "lab" (CIELAB / 50) or "rgb"
    # weight of the edge-statistics term (session 20, engine/stylegan/train/edge_stats.py):
    # 1-D Wasserstein distance between the log gradient magnitudes of each fake and of the
    # tile its condition came from, at 64 and 128 px (flat grounds and crisp edges, not
    # soft camouflage; 0 = off)
    edge_stats: float = 0.0
    # weight of the region term (session 21, engine/stylegan/train/region_classifier.py):
    # cross-entropy of a frozen 64 px CNN region classifier, fitted on the training
    # database, against the region of the tile each fake's condition came from (0 = off)
    region_cls: float = 0.0
    # weight of the sum of squared noise strengths of the synthesis layers at or below
    # noise_penalty_res px (0 = off). The 256 px generator of session 5 draws its whole
    # pattern from the 32 px layer's noise map, so w (and the text) decide little of it; the
    # penalty makes structure come from w instead
    noise_penalty: float = 0.0
    noise_penalty_res: int = 32
    # Gaussian σ (layer pixels) of the noise of the synthesis layers below the output
    # resolution (0 = white, official). Session 17: white noise at 32 px aliases into a grid
    # at the 8 px block edges that fails the seam ratio; see engine/stylegan/noise_lowpass.py
    noise_lowpass: float = 0.0
    # weight of the grid penalty (0 = off; session 18): the generator's jumps between
    # neighbouring pixels by phase mod grid_period, held to a flat profile by a linear
    # penalty whose coefficients are a running mean (weight grid_decay per step) of past
    # profiles; see engine/stylegan/train/grid_penalty.py
    grid_penalty: float = 0.0
    grid_period: int = 8  # lines every N px (8: the 32 px layer of a 256 px tile)
    grid_decay: float = 0.01
    # bookkeeping
    snap: int = 10  # ticks between checkpoints + sample grids
    tick_kimg: float = 1.0  # kimg per tick (metrics line)
    keep: int = 3  # newest checkpoints kept
    init: str = "auto"  # auto | shipped | none | PATH (generator folder)
    fp16_res: int | None = None  # None = 4 on CUDA, 0 on CPU
    # CUDA: TensorFloat-32 in the float32 convs and matmuls (Ampere and later). Off by default
    # as in the official code; `wenyang bench train --tf32` measures what it buys
    tf32: bool = False
    num_threads: int | None = None  # None = os.cpu_count()
    extra: dict[str, Any] = field(default_factory=dict)

    def r1_gamma(self) -> float:
        if self.gamma is not None:
            return float(self.gamma)
        return 0.0002 * self.resolution**2 / self.batch

    def ema_nimg(self) -> float:
        ema_kimg = self.ema_kimg if self.ema_kimg is not None else self.batch * 10 / 32
        return ema_kimg * 1000

    def validate(self) -> None:
        if self.cond not in COND_MODES:
            raise UserInputError(
                f"expected one of {', '.join(COND_MODES)}, got {self.cond!r}", field="--cond"
            )
        res = self.resolution
        if res < 4 or res & (res - 1):
            raise UserInputError(f"expected a power of two >= 4, got {res}", field="--resolution")
        if self.batch < 1:
            raise UserInputError(
                f"expected a positive batch size, got {self.batch}", field="--batch"
            )
        if self.kimg <= 0:
            raise UserInputError(f"expected a positive number, got {self.kimg}", field="--kimg")
        if self.cond_noise < 0:
            raise UserInputError("expected >= 0", field="--cond-noise")
        if self.noise_penalty < 0:
            raise UserInputError("expected >= 0", field="--noise-penalty")
        if self.clip_jitter and not self.tileable:
            raise UserInputError(
                "rolling tiles needs a tileable run (the roll wraps around)",
                field="--clip-jitter",
            )
        if not math.isfinite(self.noise_lowpass) or self.noise_lowpass < 0:
            raise UserInputError(
                f"expected a finite σ >= 0, got {self.noise_lowpass}", field="--noise-lowpass"
            )
        if not math.isfinite(self.grid_penalty) or self.grid_penalty < 0:
            raise UserInputError(
                f"expected a finite weight >= 0, got {self.grid_penalty}", field="--grid-penalty"
            )
        gp = self.grid_period
        if gp < 2 or self.resolution % gp:
            raise UserInputError(
                f"expected a period >= 2 that divides the resolution {self.resolution}, got {gp}",
                field="--grid-period",
            )
        if not 0 < self.grid_decay <= 1:
            raise UserInputError(
                f"expected a share in (0, 1], got {self.grid_decay}", field="--grid-decay"
            )
        if self.colour < 0:
            raise UserInputError(f"expected >= 0, got {self.colour}", field="--colour")
        if self.colour_space not in COLOUR_SPACES:
            raise UserInputError(
                f"expected one of {', '.join(COLOUR_SPACES)}, got {self.colour_space!r}",
                field="--colour-space",
            )
        if self.colour > 0 and self.cond not in ("clip", "auto"):
            raise UserInputError(
                "the colour term needs --cond clip (each fake's condition names its tile)",
                field="--colour",
            )
        if not math.isfinite(self.edge_stats) or self.edge_stats < 0:
            raise UserInputError(
                f"expected a finite weight >= 0, got {self.edge_stats}", field="--edge-stats"
            )
        if self.edge_stats > 0 and self.cond not in ("clip", "auto"):
            raise UserInputError(
                "the edge-statistics term needs --cond clip (each fake's condition names its tile)",
                field="--edge-stats",
            )
        if not math.isfinite(self.region_cls) or self.region_cls < 0:
            raise UserInputError(
                f"expected a finite weight >= 0, got {self.region_cls}", field="--region-cls"
            )
        if self.region_cls > 0 and self.cond not in ("clip", "auto"):
            raise UserInputError(
                "the region term needs --cond clip (each fake's condition names its tile)",
                field="--region-cls",
            )
        nr = self.noise_penalty_res
        if nr < 4 or nr & (nr - 1):
            raise UserInputError(
                f"expected a power of two >= 4, got {nr}", field="--noise-penalty-res"
            )
        if self.device not in ("auto", "cpu", "cuda") and not self.device.startswith("cuda:"):
            raise UserInputError(
                f"expected auto, cpu or cuda, got {self.device!r}", field="--device"
            )

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> TrainConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

    def save(self, path: Path) -> None:
        from engine.atomic import atomic_open

        with atomic_open(path, "w", encoding="utf-8") as fh:
            json.dump(self.to_json(), fh, indent=2, sort_keys=True)


# Fields that may differ between a run and its resumption without changing the numerics of
# the steps already taken (length, bookkeeping, where the data lives).
RESUMABLE_CHANGES = frozenset(
    {
        "data",
        "run_dir",
        "batch",
        "kimg",
        "snap",
        "tick_kimg",
        "keep",
        "init",
        "device",
        "num_threads",
        "tf32",
        "extra",
        "ada_target",
        "aug_p",
        "aug_translate",
        "aug_colour",
        "lr_g",
        "lr_d",
        "gamma",
        "pl_weight",
        "clip_head_weight",
        "contrastive",
        "contrastive_tau",
        "noise_penalty",  # meant to be turned on for a run that already draws from noise
        "noise_penalty_res",
        "noise_lowpass",  # no weights change with it: the network adapts as training goes on
        "clip_jitter",
        "grid_penalty",  # may be turned on for a running run; its running mean starts at 0
        "grid_period",  # a new period starts a new running mean
        "grid_decay",
        "colour",  # may be turned on for a running run, like the noise penalty
        "colour_space",
        "edge_stats",  # may be turned on for a running run, like the colour term
        "region_cls",  # likewise; its classifier is fitted once per run folder
        "cond_noise",
        "style_mixing",
        "ema_kimg",
        "ema_rampup",
    }
)
