"""`wenyang train gan` and `wenyang train gan-export` (argument parsing and signals only)."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from pathlib import Path
from typing import Any

from engine.errors import UserInputError
from engine.stylegan.train.options import COLOUR_SPACES

S = argparse.SUPPRESS

GAN_DESCRIPTION = """\
Train a tileable StyleGAN2 generator on a pattern database: non-saturating loss, lazy R1,
path-length regularisation, G EMA, style mixing, adaptive augmentation (flips, 90° turns,
wrapping translations, colour), conditioned on each tile's CLIP image embedding with LAFITE
noise; optional vision-aided CLIP discriminator head and CLIP contrastive loss.
CPU: float32 on all cores. CUDA: mixed precision in the highest resolutions. torchrun: DDP.
"""

GAN_EPILOG = """\
examples:
  wenyang train gan --data db/ --kimg 50                 # new run (or continue it)
  wenyang train gan --data db/ --clip-head --contrastive 0.5
  wenyang train gan --out RUN --kimg 200                 # train an existing run further
  torchrun --nproc_per_node 2 -m engine.cli train gan --data db/   # data parallel (DDP)
  wenyang train gan-export RUN --out assets/models/generator

The run folder (default: <user cache>/runs/gan/<database name>-<resolution>) holds
config.json, checkpoints/snapshot-<step>/ (safetensors + JSON: G, D, G_ema, optimisers, ADA p,
RNG states, counters, sampler position; the newest --keep are kept), samples/*.png and
metrics.jsonl (one line per tick: kimg, losses, p, img/s). Ctrl-C or SIGTERM writes a
snapshot before exiting; running the same command again continues exactly where it stopped.
When a run resumes, options not given on the command line come from its config.json.
"""


def _add_gan_args(p: argparse.ArgumentParser) -> None:
    a = p.add_argument
    a("--data", metavar="DB", default=S, help="pattern database folder (wenyang db build)")
    a("--out", metavar="RUN_DIR", default=S, help="run folder (default: user cache)")
    a("--name", default=S, help="run name under <user cache>/runs/gan/ when --out is absent")
    a(
        "--resume",
        default="latest",
        metavar="latest|none|PATH",
        help="continue the newest snapshot of the run (default), start afresh (none), or "
        "continue from a snapshot or run folder",
    )
    a(
        "--init",
        default=S,
        metavar="auto|shipped|none|DIR",
        help="weights of G/G_ema for a new run: the shipped generator (auto: when it exists "
        "and fits), random (none) or an exported generator folder; D always starts fresh. "
        "A named generator smaller than this run's network (e.g. 128 px into --preset cpu256 "
        "--resolution 256) is grown into it: new top block, wider layers. A named generator "
        "also passes on its --cond, --cond-noise, --clip-head and --contrastive unless given",
    )
    a("--resolution", type=int, default=S, help="training resolution in px (default 128)")
    a(
        "--preset",
        default=S,
        help="network width preset (default cpu-small; tiny, cpu128, cpu256, cpu256n — the "
        "shipped generator's shape —, cpu-medium, gpu, official)",
    )
    a(
        "--no-tileable",
        dest="tileable",
        action="store_false",
        default=S,
        help="train an ordinary (non-seamless) generator",
    )
    a(
        "--d-tileable",
        action="store_true",
        default=S,
        help="wrap-around padding in D as well (3x slower D on a CPU; G is seamless anyway)",
    )
    a("--batch", type=int, default=S, help="global batch size (default 16)")
    a("--kimg", type=float, default=S, help="train until this many thousand images (100)")
    a("--seed", type=int, default=S, help="random seed of a new run (0)")
    a("--device", default=S, help="auto (default), cpu, cuda or cuda:N")
    a(
        "--fp16-res",
        type=int,
        default=S,
        help="CUDA: float16 in this many highest resolutions (default 4; CPU always float32)",
    )
    a(
        "--tf32",
        action="store_true",
        default=S,
        help="CUDA: TensorFloat-32 in the float32 layers (faster on Ampere and later GPUs)",
    )
    a("--threads", dest="num_threads", type=int, default=S, help="CPU threads (all cores)")
    g = p.add_argument_group("conditioning")
    g.add_argument(
        "--cond",
        choices=("auto", "clip", "region", "none"),
        default=S,
        help="clip: CLIP image embedding of each tile (LAFITE language-free), region: "
        "one-hot region (debugging), none: unconditional; auto (default): clip when a CLIP "
        "encoder is installed, else none",
    )
    g.add_argument(
        "--cond-noise",
        type=float,
        default=S,
        metavar="XI",
        help="LAFITE perturbation c + XI*|c|*eps/|eps|, renormalised (0.1)",
    )
    g.add_argument(
        "--clip-model",
        default=S,
        metavar="DIR",
        help="CLIP encoder folder (default: the shipped one)",
    )
    g = p.add_argument_group("losses")
    g.add_argument("--gamma", type=float, default=S, help="R1 weight (default 0.0002*res^2/batch)")
    g.add_argument(
        "--pl-weight", type=float, default=S, help="path-length regularisation weight (2; 0 = off)"
    )
    g.add_argument("--style-mixing", type=float, default=S, help="style mixing prob (0.9)")
    g.add_argument("--lr", type=float, default=S, help="learning rate of G and D (0.0025)")
    g.add_argument("--ema-kimg", type=float, default=S, help="G_ema half-life (batch*10/32)")
    g.add_argument(
        "--no-share-fakes",
        dest="share_fakes",
        action="store_false",
        default=S,
        help="generate separate fakes for the D and G updates (official; slower)",
    )
    g.add_argument(
        "--clip-head",
        action="store_true",
        default=S,
        help="add a trainable head on frozen CLIP image features to D (vision-aided GAN)",
    )
    g.add_argument(
        "--no-clip-head",
        dest="clip_head",
        action="store_false",
        default=S,
        help="without that head (the default for a new run, unless --init passes it on)",
    )
    g.add_argument("--clip-head-weight", type=float, default=S, help="its loss weight (0.5)")
    g.add_argument(
        "--clip-patch",
        type=float,
        default=S,
        metavar="W",
        help="weight of patch heads on the frozen CLIP tower's feature maps (motif parts and "
        "textures, as Projected GANs; 0 = off, the default; fixed for a run's life)",
    )
    g.add_argument(
        "--clip-jitter",
        dest="clip_jitter",
        action="store_true",
        default=S,
        help="roll every tile (real and fake) by a random offset before the CLIP head and "
        "patch heads: heads that judge fixed pixel positions can reward a grid at the "
        "generator's block edges. May be switched on or off when a run resumes",
    )
    g.add_argument(
        "--no-clip-jitter",
        dest="clip_jitter",
        action="store_false",
        default=S,
        help="the CLIP heads see tiles where they are (default)",
    )
    g.add_argument(
        "--contrastive",
        type=float,
        default=S,
        metavar="W",
        help="weight of the LAFITE contrastive loss between each fake's CLIP "
        "embedding and its condition (0 = off)",
    )
    g.add_argument("--contrastive-tau", type=float, default=S, help="its temperature (0.5)")
    g.add_argument(
        "--colour",
        type=float,
        default=S,
        metavar="W",
        help="weight of the colour term: sliced Wasserstein distance between each fake's "
        "pixel colours and those of the tile its CLIP condition came from (0 = off)",
    )
    g.add_argument(
        "--colour-space",
        choices=COLOUR_SPACES,
        default=S,
        help="space of that distance (lab: CIELAB / 50, the default)",
    )
    g.add_argument(
        "--edge-stats",
        type=float,
        default=S,
        metavar="W",
        help="weight of the edge-statistics term: distance between the log gradient "
        "magnitudes of each fake and of the tile its CLIP condition came from, at 64 and "
        "128 px (flat grounds and crisp edges rather than soft camouflage; 0 = off; "
        "session 20: weights 4 and 1 cost CLIP accuracy, see the model card)",
    )
    g.add_argument(
        "--region-cls",
        type=float,
        default=S,
        metavar="W",
        help="weight of the region term: cross-entropy of a small region classifier "
        "(fitted once per run on the training database at 64 px, then frozen) against the "
        "region of the tile each fake's CLIP condition came from (0 = off; session 21: "
        "weight 2 raised the independent accuracy by 0.13 within 1.3 kimg, see the model card)",
    )
    g.add_argument(
        "--noise-penalty",
        type=float,
        default=S,
        help="weight of the squared noise strengths at <= --noise-penalty-res px (0 = off): "
        "makes the layout come from w rather than from the noise inputs",
    )
    g.add_argument(
        "--noise-penalty-res", type=int, default=S, help="highest resolution it reins in (32)"
    )
    g.add_argument(
        "--noise-lowpass",
        type=float,
        metavar="SIGMA",
        default=S,
        help="Gaussian σ (in each layer's pixels) of the synthesis noise below the output "
        "resolution (0 = white noise, official): white noise at 32 px shows as a grid at the "
        "8 px block edges after upsampling; 0.7 removes it. May change when a run resumes; "
        "the exported generator keeps it",
    )
    g.add_argument(
        "--grid-penalty",
        type=float,
        metavar="W",
        default=S,
        help="weight of the grid penalty (0 = off): holds the generator's jumps between "
        "neighbouring pixels, by phase mod --grid-period, to a flat profile as the database's "
        "(a grid there shows at the tile's wrap edge). Linear in each batch's profile with "
        "coefficients averaged over past steps, so it leaves each batch's own content alone. "
        "May change when a run resumes",
    )
    g.add_argument("--grid-period", type=int, default=S, metavar="PX", help="its line spacing (8)")
    g.add_argument(
        "--grid-decay",
        type=float,
        default=S,
        metavar="SHARE",
        help="weight of each step in its running mean (0.01)",
    )
    g = p.add_argument_group("augmentation (ADA)")
    g.add_argument("--ada-target", type=float, default=S, help="target r_t (0.6)")
    g.add_argument(
        "--no-ada",
        dest="ada_target",
        action="store_const",
        const=None,
        default=S,
        help="keep p fixed at --aug-p",
    )
    g.add_argument("--aug-p", type=float, default=S, help="initial augmentation prob (0)")
    g.add_argument("--ada-kimg", type=float, default=S, help="kimg for p to go 0->1 (100)")
    g.add_argument(
        "--aug-translate",
        type=float,
        default=S,
        metavar="FRAC",
        help="largest wrap translation as a share of the tile (0.125; 0 keeps D aware of "
        "where the tile edge is, which keeps generated edges as calm as the database's)",
    )
    g.add_argument(
        "--no-aug-colour",
        dest="aug_colour",
        action="store_false",
        default=S,
        help="geometric augmentation only: D then sees every real tile in its own colours "
        "beside its condition (with colour changes at p = 0.4 only 13%% of real tiles keep "
        "theirs, which may loosen the tie between a region's palette and its condition)",
    )
    g.add_argument(
        "--aug-colour",
        dest="aug_colour",
        action="store_true",
        default=S,
        help="brightness, contrast, hue and saturation changes as well (default)",
    )
    g = p.add_argument_group("bookkeeping")
    g.add_argument("--snap", type=int, default=S, help="ticks between snapshots (10)")
    g.add_argument("--tick", dest="tick_kimg", type=float, default=S, help="kimg per tick (1)")
    g.add_argument("--keep", type=int, default=S, help="snapshots kept (3)")
    g.add_argument(
        "--export",
        metavar="DIR",
        default=None,
        help="after training, export G_ema for the renderer into DIR",
    )
    g.add_argument("--no-progress", action="store_true", help="no progress line")


def register_train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "gan",
        help="train the tileable CLIP-conditioned StyleGAN2 (resumable)",
        description=GAN_DESCRIPTION,
        epilog=GAN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_gan_args(p)
    p.set_defaults(func=run_gan)
    e = sub.add_parser(
        "gan-export",
        help="export a run's G_ema for the renderer",
        description="Write the generator of a training run (its newest "
        "snapshot, or the one given) as safetensors + config.json, the "
        "folder the renderer and `wenyang generate` load.",
    )
    e.add_argument("run", metavar="RUN", help="run folder or snapshot folder")
    e.add_argument(
        "--out", required=True, metavar="DIR", help="generator folder, e.g. assets/models/generator"
    )
    e.add_argument(
        "--float16",
        action="store_true",
        help="store the weights as float16 (half the size; loaded as float32)",
    )
    e.set_defaults(func=run_export)
    k = sub.add_parser(
        "gan-pack",
        help="write a compact, resumable copy of a training snapshot",
        description="Copy a run's newest snapshot (or the one given) with float16 weights "
        "and without Adam moments (~22 MB instead of ~100 MB for the shipped network), to "
        "move a run to another machine; continue it there with `wenyang train gan --resume "
        "DIR`. Adam restarts, weights are float16-rounded.",
    )
    k.add_argument("run", metavar="RUN", help="run folder or snapshot folder")
    k.add_argument("--out", required=True, metavar="DIR", help="folder to write the pack to")
    k.add_argument("--optimizers", action="store_true", help="keep the Adam moments (as float16)")
    k.add_argument(
        "--ema-only",
        action="store_true",
        help="leave out the raw G (training goes on from G_ema; ~6 MB less)",
    )
    k.add_argument(
        "--discriminators-only",
        action="store_true",
        help="keep only D and the CLIP / patch heads (~4 MB): written as 'discriminators' "
        "beside an exported generator, `train gan --init` with that generator starts D from "
        "it instead of afresh",
    )
    k.set_defaults(func=run_pack)
    q = sub.add_parser(
        "gan-prior",
        help="build a generator's text -> condition prior from a database",
        description="Embed a database's tiles with the CLIP image encoder and store them "
        "beside a generator (condition_prior.safetensors). The renderer then conditions a "
        "prompt on the mean of the K tile embeddings nearest to its text embedding (+ "
        "TEXT_WEIGHT x the text), i.e. on what the generator saw in training instead of a "
        "raw text embedding.",
    )
    q.add_argument("model", metavar="MODEL_DIR", help="generator folder (config.json)")
    q.add_argument("--data", required=True, metavar="DB", help="database the model trained on")
    q.add_argument("--k", type=int, default=16, help="nearest tiles considered (16)")
    q.add_argument(
        "--region-k",
        type=int,
        default=16,
        help="nearest tiles considered among the tiles of the design's region (16; more: "
        "more varied designs, less led by the words)",
    )
    q.add_argument(
        "--mode",
        choices=("sample", "mean"),
        default="sample",
        help="sample (default): each seed conditions on one of the k nearest tiles, chosen by "
        "the seed (varied tiles); mean: every seed on their mean (the first priors)",
    )
    q.add_argument(
        "--text-weight",
        type=float,
        default=0.5,
        help="weight of the text embedding itself (0.5: keeps the prompt's nuance; 0 gives "
        "a little more regional accuracy, less prompt adherence)",
    )
    q.add_argument(
        "--fidelity-keep",
        type=float,
        default=1.0,
        metavar="SHARE",
        help="keep only this share of each region's tiles: those the generator draws most "
        "faithfully (CLIP cosine between a tile and the generator's render of it, two seeds; "
        "needs the sliders' region means to render as the studio does). 1 (default) keeps "
        "all; the shipped prior keeps 0.5. About 6,400 renders for 3,200 tiles",
    )
    q.add_argument("--device", default="auto", help="auto, cpu or cuda (the fidelity renders)")
    q.add_argument("--clip-model", metavar="DIR", help="CLIP encoder (default: the shipped one)")
    q.set_defaults(func=run_prior)
    from engine.stylegan.train import align_cli, degrid_cli, distil_cli, slider_cli

    distil_cli.register(sub)
    align_cli.register(sub)
    degrid_cli.register(sub)
    slider_cli.register(sub)


# training options a new run takes over from the generator it starts from (--init), unless given
INHERITED = ("cond", "cond_noise", "clip_head", "contrastive")


def _inherit_from_init(cfg: Any, given: dict[str, Any]) -> None:
    """A new run started from a named generator keeps that generator's conditioning and
    losses unless the command line says otherwise. Why: session 5's 256 px run grew from a
    model trained with the CLIP head and contrastive loss and, taking the defaults, silently
    trained without them."""
    import sys

    from engine.paths import MODELS_DIR
    from engine.stylegan.checkpoint import read_config

    init = given.get("init")
    if init in (None, "none", "auto"):
        return
    src = MODELS_DIR / "generator" if init == "shipped" else Path(str(init))
    try:
        config = read_config(src)
    except (OSError, ValueError, UserInputError):
        return  # a missing or broken folder is reported where the weights are loaded
    meta = dict(config.get("meta") or {})
    taken = {k: meta[k] for k in INHERITED if k not in given and meta.get(k) is not None}
    # the network's own switch: its weights were trained for that noise
    syn = dict(dict(config.get("init_kwargs") or {}).get("synthesis_kwargs") or {})
    if "noise_lowpass" not in given and syn.get("noise_lowpass"):
        taken["noise_lowpass"] = float(syn["noise_lowpass"])
    for k, v in taken.items():
        setattr(cfg, k, v)
    if taken:
        said = ", ".join(f"{k}={v}" for k, v in taken.items())
        print(f"options from the generator in {src}: {said}", file=sys.stderr)


def _config(args: argparse.Namespace) -> tuple[Any, Path | None]:
    """TrainConfig from stored run config + explicit flags; and the snapshot to resume."""
    from engine.paths import user_cache_dir
    from engine.stylegan.train import state as St
    from engine.stylegan.train.options import TrainConfig

    given = {k: v for k, v in vars(args).items() if k not in ("func", "command", "what")}
    if "out" in given:
        run_dir = Path(given["out"])
    elif "data" in given:
        name = (
            given.get("name")
            or f"{Path(given['data']).resolve().name}-{given.get('resolution', 128)}"
        )
        run_dir = user_cache_dir() / "runs" / "gan" / name
    elif "name" in given:
        run_dir = user_cache_dir() / "runs" / "gan" / given["name"]
    else:
        raise UserInputError(
            "give --data DB for a new run, or --out RUN_DIR to continue one", field="--data"
        )
    snapshot = None if args.resume == "none" else St.resolve(args.resume, run_dir)
    if snapshot is not None:
        meta, _ = St.load_snapshot(snapshot)
        cfg = TrainConfig.from_json(meta["config"])
    elif (run_dir / "config.json").is_file() and args.resume != "none":
        import json

        cfg = TrainConfig.from_json(json.loads((run_dir / "config.json").read_text("utf-8")))
    else:
        cfg = TrainConfig()
        _inherit_from_init(cfg, given)
    if "lr" in given:
        given["lr_g"] = given["lr_d"] = given.pop("lr")
    for k, v in given.items():
        if hasattr(cfg, k) and k not in ("run_dir",):
            setattr(cfg, k, v)
    cfg.run_dir = str(run_dir)
    if not cfg.data:
        raise UserInputError("give --data DB (the run has no database recorded)", field="--data")
    cfg.data = str(Path(cfg.data))
    return cfg, snapshot


def run_gan(args: argparse.Namespace) -> int:
    # Idle OpenMP threads sleep instead of spinning: on a busy 2-core machine spinning
    # threads made a training step 4.6x slower (measured); set it to ACTIVE to override.
    # Only effective when torch is not loaded yet (the CLI imports it lazily).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from engine.stylegan.train.run_lock import run_lock

    cfg, snapshot = _config(args)
    with contextlib.ExitStack() as stack:
        if int(os.environ.get("RANK", "0")) == 0:  # torchrun's other ranks share rank 0's folder
            stack.enter_context(run_lock(Path(cfg.run_dir)))
        return _train(args, cfg, snapshot)


def _train(args: argparse.Namespace, cfg: Any, snapshot: Path | None) -> int:
    from engine.paths import MODELS_DIR
    from engine.stylegan.train import distributed as dist_
    from engine.stylegan.train.trainer import DISCRIMINATOR_PACK, Trainer

    trainer = Trainer(cfg)
    if snapshot is not None:
        trainer.load(snapshot)
        trainer._say(f"resuming {snapshot} at {trainer.kimg:.3f} kimg")
    else:
        shipped = MODELS_DIR / "generator"
        if cfg.init in ("auto", "shipped"):
            if (shipped / "config.json").is_file():
                if trainer.init_from_generator(shipped, strict=cfg.init == "shipped"):
                    trainer._say(f"starting G from the shipped generator {shipped}")
                    trainer.init_discriminators(shipped / DISCRIMINATOR_PACK)
            elif cfg.init == "shipped":
                raise UserInputError("no shipped generator", path=str(shipped), field="--init")
        elif cfg.init != "none":
            trainer.init_from_generator(Path(cfg.init), strict=True)
            trainer._say(f"starting G from the generator in {cfg.init}")
            trainer.init_discriminators(Path(cfg.init) / DISCRIMINATOR_PACK)
        trainer._say(f"new run in {cfg.run_dir}")

    def on_signal(signum: int, _frame: Any) -> None:
        name = signal.Signals(signum).name
        if trainer.stop_requested:  # second signal: stop now
            raise KeyboardInterrupt
        trainer.stop_requested = name
        trainer._say(f"\n{name}: finishing this step and saving a snapshot ...")

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        reason = trainer.train(progress=not args.no_progress)
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    if trainer.rank == 0:
        print(f"{reason} at {trainer.kimg:.3f} kimg; run folder: {cfg.run_dir}", file=sys.stderr)
        if args.export and reason in ("done", "steps"):
            trainer.export(Path(args.export))
            print(f"exported generator to {args.export}", file=sys.stderr)
    dist_.shutdown()
    if reason in ("SIGINT",):
        return 130
    if reason in ("SIGTERM",):
        return 143
    return 0


def run_export(args: argparse.Namespace) -> int:
    from engine.stylegan.train import state as St
    from engine.stylegan.train.export import export_snapshot

    snap = St.resolve(args.run, Path(args.run)) if args.run != "latest" else None
    if snap is None:
        raise UserInputError("no training snapshot found", path=args.run)
    info = export_snapshot(snap, Path(args.out), args.float16)
    print(f"exported G_ema at {info['kimg']} kimg to {args.out}")
    return 0


def run_pack(args: argparse.Namespace) -> int:
    from engine.stylegan.train import state as St

    snap = St.resolve(args.run, Path(args.run))
    if snap is None:
        raise UserInputError("no training snapshot found", path=args.run)
    info = St.pack_snapshot(
        snap,
        Path(args.out),
        optimizers=args.optimizers,
        ema_only=args.ema_only,
        discriminators_only=args.discriminators_only,
    )
    print(f"packed {snap} into {args.out} ({info['bytes'] / 1e6:.1f} MB)")
    return 0


def run_prior(args: argparse.Namespace) -> int:
    import numpy as np

    from engine.stylegan.checkpoint import read_config
    from engine.stylegan.condition_prior import ConditionPrior, save_prior
    from engine.stylegan.train import conditioning as C
    from engine.stylegan.train.data import TileDataset

    model = Path(args.model)
    if not (model / "config.json").is_file():
        raise UserInputError("not a generator folder (no config.json)", path=str(model))
    if args.k < 1:
        raise UserInputError("must be at least 1", field="--k")
    if args.region_k < 1:
        raise UserInputError("must be at least 1", field="--region-k")
    if not 0.0 < args.fidelity_keep <= 1.0:
        raise UserInputError("must be a share in (0, 1]", field="--fidelity-keep")
    cfg = read_config(model)
    c_dim = int(cfg["init_kwargs"].get("c_dim", 0))
    if c_dim == 0:
        raise UserInputError(
            "this generator is not conditioned; it needs no prior", path=str(model)
        )
    data = TileDataset.from_database(args.data, 64, keep_native=True)
    encoder = C.load_clip_encoder(args.clip_model)
    assert data.native is not None
    bank = C.clip_conditions(Path(args.data), data.native, encoder).numpy()
    if bank.shape[1] != c_dim:
        raise UserInputError(
            f"the CLIP model gives {bank.shape[1]}-d embeddings, the generator expects {c_dim}",
            field="--clip-model",
        )
    info = {
        "data": str(Path(args.data).resolve().name),
        "tiles": len(bank),
        "clip_hash": C.encoder_hash(encoder),
        "regions": sorted({str(r.get("region")) for r in data.records}),
    }
    prior = ConditionPrior(
        np.asarray(bank),
        k=args.k,
        text_weight=args.text_weight,
        meta=info,
        mode=args.mode,
        regions=np.asarray([str(r.get("region")) for r in data.records]),
        region_k=args.region_k,
    )
    if args.fidelity_keep < 1.0:
        prior = _faithful_prior(model, encoder, prior, args.fidelity_keep, args.device)
    path = save_prior(prior, model)
    n, tw = len(prior.bank), prior.text_weight
    print(
        f"wrote {path}: {n} tile embeddings, k={prior.k} (within a region {prior.region_k}), "
        f"{prior.mode}, text weight {tw}"
    )
    return 0


def _faithful_prior(model: Path, encoder: Any, prior: Any, keep: float, device: str) -> Any:
    """`prior` cut to the tiles the generator in `model` draws most faithfully (see
    engine.stylegan.prior_fidelity). Fidelity is measured on the bank as it is stored
    (float16), so the choice is the one a later rebuild from the same files makes."""
    import tempfile

    from engine.stylegan.condition_prior import load_prior, save_prior
    from engine.stylegan.prior_fidelity import keep_faithful, tile_fidelity
    from engine.stylegan.render import Renderer

    with tempfile.TemporaryDirectory() as tmp:
        stored = load_prior(save_prior(prior, Path(tmp)).parent)
    assert stored is not None
    renderer = Renderer(model, device=device)
    if not renderer.region_means:
        print(
            "no region means beside the generator yet (`wenyang directions fit`): fidelity "
            "renders truncate toward the global mean",
            file=sys.stderr,
        )

    def progress(i: int, n: int) -> None:
        if i == n or i % 640 == 0:
            print(f"fidelity renders: {i}/{n}", file=sys.stderr, flush=True)

    fid = tile_fidelity(renderer, encoder, stored.bank, stored.regions, progress=progress)
    return keep_faithful(stored, fid, keep)
