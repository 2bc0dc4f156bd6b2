"""The GAN training loop: one `Trainer` owns networks, optimisers, data and run state.

One step = one D update (logistic loss, lazy R1 folded in every `r1_interval` steps, weighted
by the interval) and one G update (non-saturating loss, optional CLIP head and contrastive
terms, lazy path-length regularisation every `pl_interval` steps), then the G_ema update.
With `share_fakes` (default) the fakes of one G forward, and the discriminators' one forward
on them, serve both losses: the D loss back-propagates into the discriminators, the G loss
into G, before either optimiser steps (the official order: G learns from D as it was before
this step's D update). That saves a third of the generator work and a third of the
discriminator forwards per step, which is most of the cost on a CPU.
"""

from __future__ import annotations

import copy
import math
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.errors import UserInputError
from engine.stylegan.train import distributed as dist_
from engine.stylegan.train import losses as L
from engine.stylegan.train import state as S
from engine.stylegan.train.augment import AdaController, AugmentPipe, translate
from engine.stylegan.train.conditioning import perturb
from engine.stylegan.train.data import ResumableSampler, TileDataset, to_float
from engine.stylegan.train.grid_penalty import GridPenalty
from engine.stylegan.train.networks_factory import build, network_kwargs
from engine.stylegan.train.options import RESUMABLE_CHANGES, TrainConfig
from engine.stylegan.train.region_classifier import RegionNet
from engine.stylegan.train.report import MetricsLog, Progress, save_grid

# the discriminator pack an exported generator may carry (`train gan-pack --discriminators-only`)
DISCRIMINATOR_PACK = "discriminators"


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise UserInputError("CUDA was asked for but is not available", field="--device")
    try:
        return torch.device(name)
    except RuntimeError as exc:
        raise UserInputError(
            f"{name!r} is not a device: give auto, cpu, cuda or cuda:N", field="--device"
        ) from exc


class Trainer:
    """Training state and loop. Build with a config (and optionally in-memory data)."""

    def __init__(
        self,
        cfg: TrainConfig,
        dataset: TileDataset | None = None,
        conditions: torch.Tensor | None = None,
        encoder: Any = None,
        verbose: bool = True,
    ) -> None:
        cfg.validate()
        self.cfg = cfg
        self.verbose = verbose
        self.device = pick_device(cfg.device)
        _, _, local_rank = dist_.env_world()
        if self.device.type == "cuda" and self.device.index is None:
            self.device = torch.device("cuda", local_rank)
            torch.cuda.set_device(self.device)
        self.rank, self.world = dist_.init(self.device)
        if cfg.batch % self.world:
            raise UserInputError(
                f"batch {cfg.batch} does not split over {self.world} ranks", field="--batch"
            )
        self.batch_local = cfg.batch // self.world
        if self.device.type == "cpu":
            n = cfg.num_threads or max((os.cpu_count() or 1) // self.world, 1)
            torch.set_num_threads(n)
        else:
            torch.backends.cudnn.benchmark = True
            torch.backends.cudnn.allow_tf32 = bool(cfg.tf32)
            torch.backends.cuda.matmul.allow_tf32 = bool(cfg.tf32)
        self.run_dir = Path(cfg.run_dir)
        seed = cfg.seed * self.world + self.rank
        np.random.seed(seed % (1 << 32))
        torch.manual_seed(seed)

        # data and conditions
        if dataset is None:
            from engine.paths import user_cache_dir

            dataset = TileDataset.from_database(
                cfg.data,
                cfg.resolution,
                keep_native=cfg.cond in ("clip", "auto"),
                cache_dir=user_cache_dir() / "tiles",
            )
        if dataset.resolution != cfg.resolution:
            raise UserInputError(
                f"tiles are {dataset.resolution} px, expected {cfg.resolution}",
                field="--resolution",
            )
        self.data = dataset
        self.encoder = encoder
        if conditions is None:
            conditions = self._conditions()
        self.cond = conditions.to(torch.float32)
        self.c_dim = int(self.cond.shape[1])
        self.cond_dev = self.cond.to(self.device)
        self.sampler = ResumableSampler(len(dataset), cfg.seed, self.rank, self.world)

        # networks
        fp16 = (
            cfg.fp16_res if cfg.fp16_res is not None else (4 if self.device.type == "cuda" else 0)
        )
        self.G_kwargs, self.D_kwargs = network_kwargs(
            cfg.preset,
            cfg.resolution,
            self.c_dim,
            cfg.tileable,
            fp16,
            cfg.d_tileable,
            noise_lowpass=cfg.noise_lowpass,
        )
        G, D = build(self.G_kwargs, self.D_kwargs)
        self.G = G.train().requires_grad_(False).to(self.device)
        self.D = D.train().requires_grad_(False).to(self.device)
        self.G_ema = copy.deepcopy(self.G).eval()
        self.map_kw = L.mapping_kwarg(self.G)

        # convergence helpers
        self.clip_feat: Any = None
        self.head: torch.nn.Module | None = None
        self.patch: torch.nn.Module | None = None
        if cfg.clip_head or cfg.contrastive > 0 or cfg.clip_patch > 0:
            self._setup_clip()
        for weight, flag in (
            (cfg.colour, "--colour"),
            (cfg.edge_stats, "--edge-stats"),
            (cfg.region_cls, "--region-cls"),
        ):
            if weight > 0 and cfg.cond != "clip":
                raise UserInputError(
                    "this term needs CLIP conditions (each fake's condition names its tile)",
                    field=flag,
                )
        self.region_net: RegionNet | None = None
        self.region_of: torch.Tensor | None = None
        if cfg.region_cls > 0:
            self._setup_region_net()
        d_params = list(self.D.parameters())
        for extra in (self.head, self.patch):
            if extra is not None:
                d_params += list(extra.parameters())
        self.opt_G = torch.optim.Adam(self.G.parameters(), lr=cfg.lr_g, betas=(0.0, 0.99), eps=1e-8)
        self.opt_D = torch.optim.Adam(d_params, lr=cfg.lr_d, betas=(0.0, 0.99), eps=1e-8)
        self.augment = AugmentPipe(
            wrap=cfg.tileable, colour=cfg.aug_colour, translate_frac=cfg.aug_translate
        )
        self.ada = AdaController(
            cfg.aug_p, cfg.ada_target, cfg.ada_interval, cfg.ada_kimg, cfg.batch
        )
        self.pl_mean = torch.zeros([], device=self.device)
        self.grid = (
            GridPenalty(cfg.grid_period, cfg.grid_decay, self.device)
            if cfg.grid_penalty > 0
            else None
        )
        self.step_idx = 0
        self.cur_nimg = 0
        self.train_seconds = 0.0
        self.stop_requested: str | None = None
        self._acc: dict[str, list[torch.Tensor]] = {}
        for m in (self.G, self.D, self.G_ema, self.head, self.patch):
            if m is not None:
                dist_.broadcast_module(m)

    # ------------------------------------------------------------------------- set-up
    def _conditions(self) -> torch.Tensor:
        from engine.stylegan.train import conditioning as C

        cfg = self.cfg
        if cfg.cond == "none":
            return torch.zeros(len(self.data), 0)
        if cfg.cond == "region":
            return C.region_conditions(self.data.records)
        if self.encoder is None and cfg.cond == "auto":
            try:
                self.encoder = C.load_clip_encoder(cfg.clip_model, str(self.device))
            except UserInputError as exc:
                self._say(f"notice: no CLIP encoder ({exc}); training unconditionally")
                cfg.cond = "none"
                return torch.zeros(len(self.data), 0)
        cfg.cond = "clip"
        if self.encoder is None:
            self.encoder = C.load_clip_encoder(cfg.clip_model, str(self.device))
        if self.data.native is None:
            raise UserInputError("CLIP conditions need the database tiles", field="--cond")
        emb = C.clip_conditions(Path(cfg.data), self.data.native, self.encoder)
        self.data.drop_native()  # only needed once
        return emb

    def _setup_clip(self) -> None:
        from engine.stylegan.train import conditioning as C
        from engine.stylegan.train.clip_losses import ClipImageFeatures, PatchHeads, VisionHead

        cfg = self.cfg
        if cfg.contrastive > 0 and cfg.cond != "clip":
            raise UserInputError("the contrastive loss needs --cond clip", field="--contrastive")
        if self.encoder is None:
            self.encoder = C.load_clip_encoder(cfg.clip_model, str(self.device))
        self.clip_feat = ClipImageFeatures(self.encoder).to(self.device)
        if cfg.clip_head:
            with torch.no_grad():
                probe = torch.zeros(1, 3, cfg.resolution, cfg.resolution, device=self.device)
                dim = int(self.clip_feat.features(probe).shape[1])
            torch.manual_seed(cfg.seed * 7919 + 1)  # same head on every rank
            self.head = VisionHead(dim, self.c_dim).to(self.device).requires_grad_(False)
        if cfg.clip_patch > 0:
            try:
                with torch.no_grad():
                    probe = torch.zeros(1, 3, cfg.resolution, cfg.resolution, device=self.device)
                    _, maps = self.clip_feat.features_and_maps(probe)
            except TypeError as exc:
                raise UserInputError(str(exc), field="--clip-patch") from exc
            torch.manual_seed(cfg.seed * 7919 + 2)  # same heads on every rank
            self.patch = PatchHeads([int(m.shape[1]) for m in maps], self.c_dim)
            self.patch = self.patch.to(self.device).requires_grad_(False)

    def _setup_region_net(self) -> None:
        """The frozen region classifier of `--region-cls`: loaded from the run folder when
        it was fitted on these tiles, else fitted (rank 0) and saved there."""
        from engine.culture import REGION_IDS
        from engine.stylegan.train import region_classifier as RC

        self.region_of = RC.region_labels(self.data.records, str(self.cfg.data))
        key = RC.data_key(self.data.records, self.region_of)
        path = str(self.run_dir / "region_net.safetensors")
        net = None
        if self.rank == 0:
            net = RC.load_or_fit(
                path,
                key,
                self.data.images,
                self.region_of,
                len(REGION_IDS),
                self.cfg.seed,
                self._say,
            )
        dist_.barrier()
        if net is None:
            net = RC.load_region_net(path, key, len(REGION_IDS))
        if net is None:
            raise UserInputError("could not read the fitted region classifier", path=path)
        self.region_net = net.to(self.device)

    def _region_loss(self, fake: torch.Tensor, src: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of the region classifier against the regions of the source tiles;
        the phase comes from its own generator, seeded by the step."""
        from engine.stylegan.train.region_classifier import region_loss

        assert self.region_net is not None and self.region_of is not None
        rng = torch.Generator().manual_seed(self.cfg.seed * 1_000_037 + self.step_idx)
        return region_loss(self.region_net, fake, self.region_of[src], rng)

    def _clip_features(
        self, img: torch.Tensor
    ) -> tuple[torch.Tensor | None, list[torch.Tensor] | None]:
        """(pooled CLIP features for the head, feature maps for the patch heads): one pass
        through the frozen tower; None for the parts no head uses. With `clip_jitter` each
        tile is first rolled by a random whole-tile offset (wrap)."""
        if self.cfg.clip_jitter and (self.patch is not None or self.head is not None):
            n, _, h, w = img.shape
            tx = torch.randint(0, w, (n,), device=img.device)
            ty = torch.randint(0, h, (n,), device=img.device)
            img = translate(img, tx, ty, wrap=True)
        if self.patch is not None:
            pooled, maps = self.clip_feat.features_and_maps(img)
            return (pooled if self.head is not None else None), maps
        if self.head is not None:
            return self.clip_feat.features(img), None
        return None, None

    def _discriminators_trainable(self, on: bool) -> None:
        for m in (self.D, self.head, self.patch):
            if m is not None:
                m.requires_grad_(on)

    # ------------------------------------------------------------------------- one step
    def _gen_pick(self, n: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Conditions for n fakes, and the tiles they were taken from (None when unconditional)."""
        if self.c_dim == 0:
            return torch.zeros(n, 0, device=self.device), None
        idx = torch.randint(len(self.cond), (n,))
        c = self.cond_dev[idx.to(self.device)]
        return (perturb(c, self.cfg.cond_noise) if self.cfg.cond == "clip" else c), idx

    def _gen_cond(self, n: int) -> torch.Tensor:
        return self._gen_pick(n)[0]

    def _colour_loss(self, fake: torch.Tensor, src: torch.Tensor) -> torch.Tensor:
        """Sliced Wasserstein distance between each fake's pixel colours and its source
        tile's (at 32 px, the fake rolled by a random phase under one pooling block): the
        palette, not the layout. The projections and the phase come from their own generator,
        seeded by the step, so the term leaves the run's random stream alone."""
        from engine.stylegan.train.align import COLOUR_PROJECTIONS, colour_pixels, random_phase
        from engine.stylegan.train.align import sliced_wasserstein as swd

        space = self.cfg.colour_space
        target = to_float(self.data.images[src]).to(fake.device)
        rng = torch.Generator().manual_seed(self.cfg.seed * 1_000_003 + self.step_idx)
        proj = torch.nn.functional.normalize(
            torch.randn(3, COLOUR_PROJECTIONS, generator=rng), dim=0
        )
        with torch.no_grad():
            want = colour_pixels(target, space)
        # drawn after the projections: those stay as they were before the phase (session 17)
        got = colour_pixels(random_phase(fake, rng), space)
        return swd(got, want, proj.to(fake.device))

    def _edge_loss(self, fake: torch.Tensor, src: torch.Tensor) -> torch.Tensor:
        """Distance between the log gradient magnitudes of each fake and of its source tile
        (engine.stylegan.train.edge_stats); the random phase comes from its own generator,
        seeded by the step, so the term leaves the run's random stream alone."""
        from engine.stylegan.train.edge_stats import edge_distance

        target = to_float(self.data.images[src]).to(fake.device)
        rng = torch.Generator().manual_seed(self.cfg.seed * 1_000_033 + self.step_idx)
        return edge_distance(fake, target, rng)

    def _run_G(
        self, z: torch.Tensor, c: torch.Tensor, update_emas: bool
    ) -> tuple[torch.Tensor, torch.Tensor]:
        ws = L.run_mapping(self.G, z, c, update_emas, self.map_kw)
        ws = L.style_mix(self.G, ws, z, c, self.cfg.style_mixing, self.map_kw)
        return self.G.synthesis(ws), ws

    def _mean_over_ranks(self, t: torch.Tensor) -> torch.Tensor:
        return dist_.all_reduce_sum(t) / self.world if dist_.active() else t

    def _acc_add(self, name: str, value: torch.Tensor) -> None:
        self._acc.setdefault(name, []).append(value.detach().float())

    def _finite_grads(self, params: list[torch.nn.Parameter]) -> None:
        dist_.all_reduce_grads(params)
        for p in params:
            if p.grad is not None:
                torch.nan_to_num(p.grad, nan=0, posinf=1e5, neginf=-1e5, out=p.grad)

    def _judge(
        self,
        img: torch.Tensor,
        feat: torch.Tensor | None,
        maps: list[torch.Tensor] | None,
        c: torch.Tensor,
    ) -> dict[str, torch.Tensor]:
        """Logits of every discriminator in use: D, and the CLIP head / patch heads."""
        out = {"D": self.D(img, c)}
        if self.head is not None and feat is not None:
            out["head"] = self.head(feat, c)
        if self.patch is not None and maps is not None:
            out["patch"] = self.patch(maps, c)
        return out

    def _loss_G(
        self,
        fake: torch.Tensor,
        judged: dict[str, torch.Tensor],
        c_gen: torch.Tensor,
        src: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The G loss: non-saturating on every discriminator, contrastive, colour (against
        the source tiles `src` of the conditions), noise penalty."""
        cfg = self.cfg
        loss_G = L.g_nonsaturating(judged["D"])
        self._acc_add("G/loss", loss_G)
        if "head" in judged:
            loss_GH = L.g_nonsaturating(judged["head"])
            loss_G = loss_G + cfg.clip_head_weight * loss_GH
            self._acc_add("G/clip_head", loss_GH)
        if "patch" in judged:
            loss_GP = L.g_nonsaturating(judged["patch"])
            loss_G = loss_G + cfg.clip_patch * loss_GP
            self._acc_add("G/clip_patch", loss_GP)
        if cfg.contrastive > 0 and self.clip_feat is not None:
            from engine.stylegan.train.clip_losses import contrastive_loss

            loss_C = contrastive_loss(self.clip_feat.embed(fake), c_gen, cfg.contrastive_tau)
            loss_G = loss_G + cfg.contrastive * loss_C
            self._acc_add("G/contrastive", loss_C)
        if cfg.colour > 0 and src is not None:
            loss_K = self._colour_loss(fake, src)
            loss_G = loss_G + cfg.colour * loss_K
            self._acc_add("G/colour", loss_K)
        if cfg.edge_stats > 0 and src is not None:
            loss_E = self._edge_loss(fake, src)
            loss_G = loss_G + cfg.edge_stats * loss_E
            self._acc_add("G/edges", loss_E)
        if cfg.region_cls > 0 and src is not None:
            loss_Q = self._region_loss(fake, src)
            loss_G = loss_G + cfg.region_cls * loss_Q
            self._acc_add("G/region", loss_Q)
        if self.grid is not None:
            loss_R = self.grid(fake, wrap=cfg.tileable, reduce=self._mean_over_ranks)
            loss_G = loss_G + cfg.grid_penalty * loss_R
            self._acc_add("G/grid", loss_R)
            # the running estimate of the line ratio (cf. `eval gen`'s "grid 8px")
            self._acc_add("G/grid_line", self.grid.estimate()[0] + 1)
        if cfg.noise_penalty > 0:
            strengths = [
                m.noise_strength
                for m in self.G.synthesis.modules()
                if getattr(m, "use_noise", False)
                and getattr(m, "resolution", 1 << 30) <= cfg.noise_penalty_res
            ]
            if strengths:
                loss_N = torch.stack([s.square() for s in strengths]).sum()
                loss_G = loss_G + cfg.noise_penalty * loss_N
                self._acc_add("G/noise", loss_N)
        return loss_G

    def step(self) -> None:
        """One D update and one G update on the next batch.

        With `share_fakes` one forward of the discriminators on the fakes serves both
        losses: the D loss back-propagates into the discriminators only, the G loss into G
        only, both before either optimiser steps, so G learns from D as it was before this
        step's update (the official order: G phase, then D phase).
        """
        cfg, dev, n = self.cfg, self.device, self.batch_local
        shared = cfg.share_fakes
        gamma = cfg.r1_gamma()
        do_r1 = cfg.r1_interval > 0 and gamma > 0 and self.step_idx % cfg.r1_interval == 0
        do_pl = cfg.pl_weight > 0 and cfg.pl_interval > 0 and self.step_idx % cfg.pl_interval == 0
        p = self.ada.p
        idx = self.sampler.next_local(cfg.batch)
        real = to_float(self.data.images[idx]).to(dev, non_blocking=True)
        c_real = self.cond_dev[idx.to(dev)]
        if cfg.cond == "clip":
            c_real = perturb(c_real, cfg.cond_noise)

        # ---- fakes (kept with their graph when shared with the G update)
        self.G.requires_grad_(shared)
        z = torch.randn(n, self.G.z_dim, device=dev)
        c_gen, src = self._gen_pick(n)
        with torch.set_grad_enabled(shared):
            fake, _ = self._run_G(z, c_gen, update_emas=True)
            aug_fake = self.augment(fake, p)
            feat_fake, maps_fake = self._clip_features(aug_fake)

        # ---- D loss
        self._discriminators_trainable(True)
        if shared:
            fake_out = self._judge(aug_fake, feat_fake, maps_fake, c_gen)
        else:
            fake_out = self._judge(
                aug_fake.detach(),
                None if feat_fake is None else feat_fake.detach(),
                None if maps_fake is None else [m.detach() for m in maps_fake],
                c_gen,
            )
        real_in = real.detach().requires_grad_(do_r1)
        feat_real: torch.Tensor | None = None
        maps_real: list[torch.Tensor] | None = None
        if feat_fake is not None or maps_fake is not None:
            with torch.no_grad():
                feat_real, maps_real = self._clip_features(self.augment(real, p))
        real_out = self._judge(self.augment(real_in, p), feat_real, maps_real, c_real)
        self.ada.accumulate(real_out["D"])
        loss_D = L.d_logistic(fake_out["D"], real_out["D"])
        self._acc_add("D/loss", loss_D)
        self._acc_add("D/real_sign", real_out["D"].detach().sign().mean())
        if "head" in fake_out:
            loss_H = L.d_logistic(fake_out["head"], real_out["head"])
            loss_D = loss_D + cfg.clip_head_weight * loss_H
            self._acc_add("D/clip_head", loss_H)
        if "patch" in fake_out:
            loss_P = L.d_logistic(fake_out["patch"], real_out["patch"])
            loss_D = loss_D + cfg.clip_patch * loss_P
            self._acc_add("D/clip_patch", loss_P)
        if do_r1:
            pen = L.r1_penalty(real_out["D"], real_in)
            loss_D = loss_D + pen.mean() * (gamma / 2) * cfg.r1_interval
            self._acc_add("D/r1", pen.mean())
        d_params = [q for g in self.opt_D.param_groups for q in g["params"]]
        g_params = list(self.G.parameters())
        self.opt_D.zero_grad(set_to_none=True)
        self.opt_G.zero_grad(set_to_none=True)
        loss_D.backward(inputs=d_params, retain_graph=shared)
        if shared:  # G's gradient through the same logits, before D moves
            self._loss_G(fake, fake_out, c_gen, src).backward(inputs=g_params)
        del fake_out, real_out
        self._finite_grads(d_params)
        self.opt_D.step()
        self._discriminators_trainable(False)
        self.ada.update(self.step_idx, dist_.all_reduce_sum)

        # ---- G update
        self.G.requires_grad_(True)
        if not shared:
            z = torch.randn(n, self.G.z_dim, device=dev)
            c_gen, src = self._gen_pick(n)
            fake, _ = self._run_G(z, c_gen, update_emas=False)
            aug_fake = self.augment(fake, p)
            feat_fake, maps_fake = self._clip_features(aug_fake)
            judged = self._judge(aug_fake, feat_fake, maps_fake, c_gen)
            self._loss_G(fake, judged, c_gen, src).backward()
        if do_pl:
            n_pl = max(n // cfg.pl_batch_shrink, 1)
            img, ws = self._run_G(
                torch.randn(n_pl, self.G.z_dim, device=dev), self._gen_cond(n_pl), update_emas=False
            )
            lengths = L.path_length(img, ws)
            self.pl_mean.copy_(self.pl_mean.lerp(lengths.mean().detach(), cfg.pl_decay))
            pen = (lengths - self.pl_mean).square().mean()
            (pen * cfg.pl_weight * cfg.pl_interval).backward()
            self._acc_add("G/pl", pen)
        self._finite_grads(g_params)
        self.opt_G.step()
        self.G.requires_grad_(False)

        # ---- EMA
        self.cur_nimg += cfg.batch
        self._update_ema()
        self.step_idx += 1

    @torch.no_grad()
    def _update_ema(self) -> None:
        ema_nimg = self.cfg.ema_nimg()
        if self.cfg.ema_rampup is not None:
            ema_nimg = min(ema_nimg, self.cur_nimg * self.cfg.ema_rampup)
        beta = 0.5 ** (self.cfg.batch / max(ema_nimg, 1e-8))
        if dist_.active():  # the tracked w_avg is the mean over all ranks' batches
            for name, buf in self.G.named_buffers():
                if name.endswith("w_avg"):
                    buf.copy_(dist_.all_reduce_sum(buf) / self.world)
        ema_p = list(self.G_ema.parameters())
        src_p = [q.detach() for q in self.G.parameters()]
        torch._foreach_lerp_(ema_p, src_p, 1.0 - beta)
        for b_ema, b in zip(self.G_ema.buffers(), self.G.buffers(), strict=True):
            b_ema.copy_(b)

    # ------------------------------------------------------------------------- state
    @property
    def kimg(self) -> float:
        return self.cur_nimg / 1000

    def _modules(self) -> dict[str, torch.nn.Module]:
        mods = {"G": self.G, "D": self.D, "G_ema": self.G_ema}
        if self.head is not None:
            mods["head"] = self.head
        if self.patch is not None:
            mods["patch"] = self.patch
        return mods

    def save(self) -> Path | None:
        """Write a snapshot (rank 0 writes; every rank contributes its RNG state)."""
        rngs = dist_.gather_objects(S.rng_state())
        if self.rank != 0:
            dist_.barrier()
            return None
        from engine.stylegan.train.conditioning import encoder_hash

        meta = {
            "config": self.cfg.to_json(),
            "G_kwargs": self.G_kwargs,
            "D_kwargs": self.D_kwargs,
            "cur_nimg": self.cur_nimg,
            "kimg": self.kimg,
            "ada": self.ada.state(),
            "sampler": self.sampler.state(),
            "train_seconds": self.train_seconds,
            "world": self.world,
            "c_dim": self.c_dim,
            "cond": self.cfg.cond,
            # which encoder the conditions (and CLIP head) came from: a generator only
            # understands text embedded by the same CLIP model
            "clip_hash": None if self.encoder is None else encoder_hash(self.encoder),
        }
        path = S.save_snapshot(
            self.run_dir,
            self.step_idx,
            self._modules(),
            {"G": self.opt_G, "D": self.opt_D},
            {"pl_mean": self.pl_mean} | ({} if self.grid is None else self.grid.state()),
            meta,
            rngs,
            keep=self.cfg.keep,
        )
        self.cfg.save(self.run_dir / "config.json")
        dist_.barrier()
        return path

    def load(self, path: Path) -> None:
        """Restore a snapshot exactly (weights, optimisers, ADA, RNG, counters, sampler)."""
        meta, tensors = S.load_snapshot(path)
        old = TrainConfig.from_json(meta["config"])
        changed = [
            k
            for k, v in old.to_json().items()
            if k not in RESUMABLE_CHANGES and getattr(self.cfg, k) != v
        ]
        if changed:
            raise UserInputError(
                "these options differ from the run being resumed: "
                + ", ".join(
                    f"{k} (run: {getattr(old, k)!r}, now: {getattr(self.cfg, k)!r})"
                    for k in changed
                ),
                path=str(path),
                field="--resume",
            )
        for name, mod in self._modules().items():
            src = name
            if name == "G" and "G" not in meta["modules"] and "G_ema" in meta["modules"]:
                src = "G_ema"  # an --ema-only pack: training goes on from the averaged weights
                self._say("notice: the snapshot holds G_ema only; G starts from it")
            if src not in meta["modules"]:
                raise UserInputError(f"the snapshot has no {name}", path=str(path))
            mod.load_state_dict(S.module_state(tensors, src), strict=True)
        if meta.get("optimizers"):
            self.opt_G.load_state_dict(S.optimizer_state(meta, tensors, "G"))
            self.opt_D.load_state_dict(S.optimizer_state(meta, tensors, "D"))
        else:  # a pack (`wenyang train gan-pack`): fresh Adam moments
            self._say("notice: the snapshot holds no optimiser state; Adam starts afresh")
        for opt, lr in ((self.opt_G, self.cfg.lr_g), (self.opt_D, self.cfg.lr_d)):
            for g in opt.param_groups:
                g["lr"] = lr
                g["betas"] = tuple(g["betas"])
        self.pl_mean.copy_(tensors["extra.pl_mean"])
        if self.grid is not None and not self.grid.load(tensors, "extra."):
            self._say("notice: the grid penalty's running mean starts afresh")
        self.ada.load(meta["ada"])
        if self.cfg.ada_target != old.ada_target:
            self.ada.target = self.cfg.ada_target
        self.sampler.load(meta["sampler"])
        self.step_idx = int(meta["step"])
        self.cur_nimg = int(meta["cur_nimg"])
        self.train_seconds = float(meta.get("train_seconds", 0.0))
        rngs = S.rng_states(meta, tensors)
        if len(rngs) == self.world:
            S.set_rng_state(rngs[self.rank])
        else:  # different world size: keep going, reproducibly, from a derived seed
            torch.manual_seed(self.cfg.seed * 104729 + self.step_idx * 31 + self.rank)

    def init_discriminators(self, pack: Path) -> list[str]:
        """Start D and the CLIP / patch heads from a discriminator pack (`train gan-pack
        --discriminators-only`, shipped beside a generator), when it fits this run: the same
        conditions (size, CLIP encoder) and shapes. Why: a fresh D pulls G about for its first
        kimg (session 20: −0.10 on both accuracies at 6 kimg). Returns the modules loaded;
        a pack that does not fit is left alone with a notice, and D starts afresh."""
        from engine.stylegan.train.conditioning import encoder_hash

        if not (pack / S.META).is_file():
            return []
        meta, tensors = S.load_snapshot(pack)
        mods = {n: m for n, m in self._modules().items() if n in S.DISCRIMINATORS}
        states = {n: S.module_state(tensors, n) for n in mods if n in meta.get("modules", [])}
        why = None
        if int(meta.get("c_dim", -1)) != self.c_dim:
            why = f"conditions of size {meta.get('c_dim')}, this run has {self.c_dim}"
        elif self.encoder is not None and meta.get("clip_hash") not in (
            None,
            encoder_hash(self.encoder),
        ):
            why = "it was trained with another CLIP encoder"
        elif "D" not in states:
            why = "it holds no D"
        else:
            for n, sd in states.items():
                own = mods[n].state_dict()
                if set(sd) != set(own) or any(sd[k].shape != own[k].shape for k in own):
                    why = f"its {n} has another shape"
                    break
        if why is not None:
            self._say(
                f"notice: D starts afresh: the discriminator pack in {pack} does not fit ({why})"
            )
            return []
        for n, sd in states.items():
            mods[n].load_state_dict(sd, strict=True)  # float16 in the pack, copied to float32
        self._say(f"starting {', '.join(states)} from the discriminator pack {pack}")
        return list(states)

    def init_from_generator(self, model_dir: Path, strict: bool) -> bool:
        """Start G and G_ema from an exported generator (fresh D); False if it does not fit.

        With `strict` (the user named it), a smaller model is grown into this network.
        """
        from engine.stylegan.checkpoint import load_generator

        src = load_generator(model_dir, device="cpu")
        sd = src.state_dict()
        own = self.G.state_dict()
        bad = [k for k in own if k not in sd or sd[k].shape != own[k].shape]
        if bad or len(sd) != len(own):
            msg = (
                f"the generator in {model_dir} does not match this run's network "
                f"(resolution/preset/conditioning); first mismatch: {bad[:1]}"
            )
            if strict:  # asked for explicitly: a smaller model grows into this one
                from engine.stylegan.train.grow import grow_state_dict

                try:
                    sd, rep = grow_state_dict(sd, own)
                except ValueError as e:
                    raise UserInputError(
                        f"{msg}, and it cannot grow into it: {e}",
                        path=str(model_dir),
                        field="--init",
                    ) from None
                self._say(
                    f"growing the {src.img_resolution} px generator in {model_dir} into this "
                    f"{self.G.img_resolution} px network: {rep.summary()}"
                )
            else:
                self._say(
                    f"notice: {msg}; starting from random weights (that generator is "
                    f"{src.img_resolution} px: give its --preset and --resolution to start "
                    "from it, or --init DIR to grow it into a larger network)"
                )
                return False
        self.G.load_state_dict(sd, strict=True)
        self.G_ema.load_state_dict(sd, strict=True)
        return True

    def _say(self, msg: str) -> None:
        if self.verbose and self.rank == 0:
            import sys

            print(msg, file=sys.stderr, flush=True)

    # ------------------------------------------------------------------------- outputs
    @torch.no_grad()
    def sample_grid(self, path: Path, cols: int = 6) -> None:
        """G_ema on fixed latents; one row per region (or per condition sample)."""
        g = torch.Generator().manual_seed(12345)
        if self.c_dim:
            rows_c = []
            seen: set[str] = set()
            for i, rec in enumerate(self.data.records):
                r = str(rec.get("region", i))
                if r not in seen:
                    seen.add(r)
                    rows_c.append(self.cond[i])
            rows_c = rows_c[:8]
            c = torch.stack(rows_c).repeat_interleave(cols, 0)
        else:
            c = torch.zeros(4 * cols, 0)
        z = torch.randn(c.shape[0], self.G.z_dim, generator=g)
        imgs = []
        for i in range(0, len(z), 8):
            img = self.G_ema(
                z[i : i + 8].to(self.device), c[i : i + 8].to(self.device), noise_mode="const"
            )
            imgs.append(
                (img.float().clamp(-1, 1) * 127.5 + 127.5)
                .round()
                .to(torch.uint8)
                .permute(0, 2, 3, 1)
                .cpu()
                .numpy()
            )
        save_grid(np.concatenate(imgs), cols, path)

    def export(self, out_dir: Path) -> None:
        """Write G_ema for the renderer (engine.stylegan.checkpoint.save_generator)."""
        from engine.stylegan.train.export import export_generator

        cfg = self.cfg
        meta = {
            "kimg": round(self.kimg, 3),
            "step": self.step_idx,
            "cond": cfg.cond,
            "cond_noise": cfg.cond_noise,
            "preset": cfg.preset,
            "data": cfg.data,
            "train_seconds": round(self.train_seconds, 1),
            "clip_head": cfg.clip_head,
            "clip_patch": cfg.clip_patch,
            "contrastive": cfg.contrastive,
            "colour": cfg.colour,
            "edge_stats": cfg.edge_stats,
            "region_cls": cfg.region_cls,
            "grid_penalty": cfg.grid_penalty,
        }
        export_generator(self.G_ema, out_dir, meta, self.G_kwargs)

    # ------------------------------------------------------------------------- loop
    def _tick_entry(self, tick_imgs: int, tick_sec: float) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "kimg": round(self.kimg, 3),
            "step": self.step_idx,
            "p": round(self.ada.p, 5),
            "rt": self.ada.rt,
            "img_per_s": round(tick_imgs / max(tick_sec, 1e-9), 3),
            "sec_per_kimg": round(tick_sec / max(tick_imgs, 1) * 1000, 2),
            "time": round(self.train_seconds, 1),
        }
        for k, vals in self._acc.items():
            v = torch.stack(vals).mean()
            v = dist_.all_reduce_sum(v.reshape(1))[0] / self.world
            entry[k] = round(float(v), 5)
        self._acc.clear()
        return entry

    def train(
        self, until_kimg: float | None = None, max_steps: int | None = None, progress: bool = True
    ) -> str:
        """Run until `until_kimg` (default cfg.kimg), `max_steps` or a stop request.

        Returns "done", "steps" or the stop reason; a snapshot is written on every exit.
        """
        cfg = self.cfg
        total = cfg.kimg if until_kimg is None else until_kimg
        bar = Progress(total, enabled=progress and self.verbose and self.rank == 0)
        log = MetricsLog(self.run_dir / "metrics.jsonl")
        tick_start_nimg, tick_start = self.cur_nimg, time.perf_counter()
        next_tick = (math.floor(self.kimg / cfg.tick_kimg) + 1) * cfg.tick_kimg
        ticks = 0
        steps = 0
        reason = "done"
        while self.kimg < total:
            if max_steps is not None and steps >= max_steps:
                reason = "steps"
                break
            t0 = time.perf_counter()
            self.step()
            if self.device.type == "cuda":
                torch.cuda.synchronize(self.device)
            self.train_seconds += time.perf_counter() - t0
            steps += 1
            elapsed = time.perf_counter() - tick_start
            rate = (self.cur_nimg - tick_start_nimg) / max(elapsed, 1e-9)
            bar.update(self.kimg, rate, f"p {self.ada.p:.3f}")
            stop = dist_.all_reduce_sum(torch.tensor([1.0 if self.stop_requested else 0.0]))
            if float(stop[0]) > 0:
                reason = self.stop_requested or "stopped"
                break
            if self.kimg >= next_tick or self.kimg >= total:
                entry = self._tick_entry(self.cur_nimg - tick_start_nimg, elapsed)
                if self.rank == 0:
                    log.write(entry)
                    bar.update(
                        self.kimg,
                        entry["img_per_s"],
                        f"p {self.ada.p:.3f} "
                        f"G {entry.get('G/loss', 0):.3f} D {entry.get('D/loss', 0):.3f}",
                        force=True,
                    )
                ticks += 1
                next_tick += cfg.tick_kimg
                tick_start_nimg, tick_start = self.cur_nimg, time.perf_counter()
                if cfg.snap > 0 and ticks % cfg.snap == 0:
                    self.snapshot()
        bar.close()
        if steps:
            self.snapshot()
        return reason

    def snapshot(self) -> Path | None:
        path = self.save()
        if self.rank == 0:
            self.sample_grid(self.run_dir / "samples" / f"fakes-{self.step_idx:09d}.png")
        return path
