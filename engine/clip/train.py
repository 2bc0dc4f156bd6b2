"""Contrastive training of an open_clip model on a pattern database (from scratch or
fine-tuning a user's local checkpoint), resumable epoch by epoch.

Captions: English, Chinese (through the lexicon's English) and a terse descriptor, sampled
per example. The loss is CLIP's symmetric InfoNCE with a little target mass spread over
batch items of the same (region, primary motif), which are true positives rather than
negatives. The best epoch by validation is exported as `<name>.json/.safetensors`, then a
linear region probe is fitted on its training embeddings.
"""

from __future__ import annotations

import json
import math
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from engine.atomic import atomic_open, atomic_path
from engine.clip.checkpoint import create_model, file_hash, save_model
from engine.clip.data import ClipData, augment, load_databases, split
from engine.clip.probe import fit_probe, save_probe
from engine.clip.registry import DEFAULT_MODEL_NAME, model_config
from engine.clip.text import PROMPT_FORMS, REGION_LEVEL_FORMS
from engine.clip.towers import model_input, visual_forward
from engine.clip.validate import embed_images, evaluate_split
from engine.errors import UserInputError

STATE_FILE = "train_state.pt"
# English, Chinese→lexicon English, terse descriptor, prompt forms (text.prompt_captions)
CAPTION_MIX = (0.35, 0.3, 0.1, 0.25)


@dataclass
class TrainOptions:
    """Every knob of a run; stored in the state so a resume continues the same run."""

    data: str | list[str]  # one database folder or several read as one
    out: str
    model: str = DEFAULT_MODEL_NAME
    pretrained: str | None = None  # a local open_clip checkpoint → fine-tuning recipe
    epochs: int | None = None  # default 30 from scratch, 10 fine-tuning
    batch: int = 128
    lr: float | None = None  # default 5e-4 from scratch, 1e-5 fine-tuning
    weight_decay: float | None = None  # default 0.1 / 0.2
    warmup_epochs: float = 1.0
    val_fraction: float = 0.1
    seed: int = 0
    soft_targets: float = 0.1
    half: bool = True
    device: str = "cpu"
    threads: int | None = None  # torch intra-op threads (1 is fastest on a busy machine)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def finetune(self) -> bool:
        return self.pretrained is not None

    def resolved(self) -> TrainOptions:
        ft = self.finetune
        return TrainOptions(
            **{
                **asdict(self),
                "epochs": self.epochs or (10 if ft else 30),
                "lr": self.lr or (1e-5 if ft else 5e-4),
                "weight_decay": self.weight_decay
                if self.weight_decay is not None
                else (0.2 if ft else 0.1),
            }
        )


def _targets(match: torch.Tensor, near: torch.Tensor, soft: float) -> torch.Tensor:
    """Row targets: mass spread over `match`, `soft` of it moved to `near` where a row has any."""
    hard = match.float() / match.sum(dim=1, keepdim=True).clamp(min=1)
    near = near & ~match
    cnt = near.sum(dim=1, keepdim=True)
    eps = soft * (cnt > 0).float()
    return hard * (1 - eps) + near.float() * eps / cnt.clamp(min=1)


def clip_loss(
    img: torch.Tensor,
    txt: torch.Tensor,
    scale: torch.Tensor,
    keys: torch.Tensor,
    soft: float,
    regions: torch.Tensor | None = None,
    region_level: torch.Tensor | None = None,
) -> torch.Tensor:
    """Symmetric InfoNCE; `soft` of the target mass goes to same-key items in the batch.

    A caption marked `region_level` ("a Miao pattern") is true of every image of its
    region in the batch, so its targets spread over all of them instead of one tile.
    """
    logits = scale * img @ txt.T  # [image, text]
    n = logits.shape[0]
    match = torch.eye(n, dtype=torch.bool, device=logits.device)
    if regions is not None and region_level is not None:
        same_region = regions[:, None] == regions[None, :]
        match = match | (same_region & region_level[None, :].to(torch.bool))
    near = keys[:, None] == keys[None, :]
    li = -(_targets(match, near, soft) * F.log_softmax(logits, dim=1)).sum(dim=1).mean()
    lt = -(_targets(match.T, near.T, soft) * F.log_softmax(logits.T, dim=1)).sum(dim=1).mean()
    return 0.5 * (li + lt)


def _param_groups(model: Any, wd: float) -> list[dict[str, Any]]:
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        if p.ndim < 2 or "logit_scale" in name or "bn" in name or "ln" in name:
            no_decay.append(p)
        else:
            decay.append(p)
    return [{"params": decay, "weight_decay": wd}, {"params": no_decay, "weight_decay": 0.0}]


def _lr_at(step: int, total: int, warmup: int, base: float) -> float:
    if step < warmup:
        return base * (step + 1) / max(1, warmup)
    t = (step - warmup) / max(1, total - warmup)
    return base * 0.5 * (1 + math.cos(math.pi * min(1.0, t)))


def _tokens(tokenizer: Callable[..., torch.Tensor], data: ClipData) -> torch.Tensor:
    """[3 + PROMPT_FORMS, N, L]: English, Chinese-mapped, terse and prompt-form captions,
    tokenised once."""
    rows = [data.captions_en, data.captions_zh, data.captions_short]
    rows += [[forms[k] for forms in data.captions_prompt] for k in range(PROMPT_FORMS)]
    return torch.stack([tokenizer(r) for r in rows])


def _caption_variants(n: int, gen: torch.Generator) -> torch.Tensor:
    """Which caption each example uses this step: an index into `_tokens`' first axis."""
    kind = torch.multinomial(torch.tensor(CAPTION_MIX), n, replacement=True, generator=gen)
    form = torch.randint(0, PROMPT_FORMS, (n,), generator=gen)
    return torch.where(kind == 3, 3 + form, kind)


def train_clip(
    opts: TrainOptions,
    resume: bool = False,
    progress: bool = True,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run (or resume) training; returns the summary also written to `out/train_summary.json`."""
    import open_clip

    opts = opts.resolved()
    out = Path(opts.out)
    state_path = out / STATE_FILE
    state: dict[str, Any] | None = None
    if state_path.exists():
        if not resume:
            raise UserInputError(
                "a training run is already here; pass --resume to continue it "
                "or choose another --out folder",
                path=str(out),
            )
        state = torch.load(state_path, map_location="cpu", weights_only=True)
        opts = TrainOptions(**{**state["options"], "epochs": opts.epochs})
        log(f"resuming {out} after epoch {state['epoch'] + 1} of {opts.epochs}")
    elif resume:
        log(f"nothing to resume in {out}; starting a new run")
    out.mkdir(parents=True, exist_ok=True)
    if opts.threads:
        torch.set_num_threads(opts.threads)
    torch.manual_seed(opts.seed)
    device = torch.device(opts.device)

    model: Any = create_model(opts.model, opts.pretrained, device=device)
    config = model_config(opts.model)
    tokenizer = open_clip.get_tokenizer(opts.model)
    size = int(config["vision_cfg"].get("image_size", 224))
    data = load_databases(opts.data, size, progress=progress)
    train_set, val_set = split(data, opts.val_fraction)
    if data.unknown_words:
        top = ", ".join(f"{w} ({n})" for w, n in data.unknown_words.most_common(15))
        log(f"caption words the lexicon does not know: {top}")
    log(
        f"{len(train_set)} training / {len(val_set)} validation tiles at {size}px; "
        f"model {opts.model} ({sum(p.numel() for p in model.parameters()) / 1e6:.1f}M params)"
        + (f", fine-tuning {opts.pretrained}" if opts.finetune else ", from scratch")
    )

    tokens = _tokens(tokenizer, train_set)
    key_ids = {k: i for i, k in enumerate(sorted(set(train_set.keys)))}
    keys = torch.tensor([key_ids[k] for k in train_set.keys])
    opt = torch.optim.AdamW(
        _param_groups(model, float(opts.weight_decay or 0.0)),
        lr=float(opts.lr or 0.0),
        betas=(0.9, 0.98),
        eps=1e-6,
    )
    gen = torch.Generator().manual_seed(opts.seed)
    steps_per_epoch = max(1, len(train_set) // opts.batch)
    epochs = int(opts.epochs or 1)
    total = steps_per_epoch * epochs
    warmup = int(opts.warmup_epochs * steps_per_epoch)
    start_epoch, step, best, wall = 0, 0, -1.0, 0.0
    history: list[dict[str, Any]] = []
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        gen.set_state(state["generator"])
        torch.set_rng_state(state["torch_rng"])
        start_epoch, step, best = state["epoch"] + 1, state["step"], state["best"]
        wall, history = state["wall_s"], json.loads(state["history"])

    for epoch in range(start_epoch, epochs):
        t0 = time.time()
        model.train()
        perm = torch.randperm(len(train_set), generator=gen)
        it: Any = range(steps_per_epoch)
        if progress:
            from tqdm import tqdm

            it = tqdm(it, desc=f"epoch {epoch + 1}/{epochs}", unit="step", leave=False)
        running = 0.0
        for b in it:
            idx = perm[b * opts.batch : (b + 1) * opts.batch]
            lr = _lr_at(step, total, warmup, float(opts.lr or 0.0))
            for g in opt.param_groups:
                g["lr"] = lr
            imgs = augment(train_set.images[idx], gen).to(device)
            variant = _caption_variants(len(idx), gen)
            txt_tok = tokens[variant, idx].to(device)
            region_level = (variant >= 3) & (variant < 3 + REGION_LEVEL_FORMS)
            x = model_input(model, imgs.float() / 255)
            img_emb = F.normalize(visual_forward(model, x).embedding, dim=-1)
            txt_emb = F.normalize(model.encode_text(txt_tok), dim=-1)
            loss = clip_loss(
                img_emb,
                txt_emb,
                model.logit_scale.exp(),
                keys[idx].to(device),
                opts.soft_targets,
                regions=train_set.regions[idx].to(device),
                region_level=region_level.to(device),
            )
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            with torch.no_grad():
                model.logit_scale.clamp_(0, math.log(100))
            step += 1
            running += float(loss.detach())
            if progress:
                it.set_postfix(loss=f"{running / (b + 1):.3f}", lr=f"{lr:.1e}")
        figures = evaluate_split(model, tokenizer, val_set, device)
        wall += time.time() - t0
        row = {
            "epoch": epoch + 1,
            "train_loss": running / steps_per_epoch,
            **figures,
            "wall_s": round(wall, 1),
        }
        history.append(row)
        score = figures["zero_shot_acc"] + figures["p@10_en"] + figures["p@10_zh"]
        improved = score >= best
        if improved:
            best = score
            save_model(model, opts.model, config, out, half=opts.half)
        log(
            f"epoch {epoch + 1}/{epochs}: loss {row['train_loss']:.3f}"
            f" val {figures['val_loss']:.3f}"
            f"  R@1 t2i {figures['t2i_R@1']:.3f} i2t {figures['i2t_R@1']:.3f}"
            f"  zero-shot {figures['zero_shot_acc']:.3f}"
            f"  P@10 en {figures['p@10_en']:.3f} zh {figures['p@10_zh']:.3f}"
            + ("  (saved)" if improved else "")
        )
        with atomic_path(state_path) as tmp:
            torch.save(
                {
                    "model": model.state_dict(),
                    "optimizer": opt.state_dict(),
                    "generator": gen.get_state(),
                    "torch_rng": torch.get_rng_state(),
                    "epoch": epoch,
                    "step": step,
                    "best": best,
                    "wall_s": wall,
                    "history": json.dumps(history),
                    "options": asdict(opts),
                },
                tmp,
            )
    return _finish(opts, out, train_set, val_set, history, wall, data, log)


def _finish(
    opts: TrainOptions,
    out: Path,
    train_set: ClipData,
    val_set: ClipData,
    history: list[dict[str, Any]],
    wall: float,
    data: ClipData,
    log: Callable[[str], None],
) -> dict[str, Any]:
    """Fit the probe on the exported (best) model and write the run summary."""
    from engine.clip.checkpoint import load_model_dir
    from engine.culture import REGION_IDS

    name, model, weights = load_model_dir(out, device=opts.device)
    model = model.float()
    emb = embed_images(model, train_set.images, device=opts.device).cpu()
    w, b = fit_probe(emb, train_set.regions, len(REGION_IDS), seed=opts.seed)
    save_probe(out, w, b, tuple(REGION_IDS), file_hash(weights))
    val_emb = embed_images(model, val_set.images, device=opts.device).cpu()
    probe_acc = float(((val_emb @ w.T + b).argmax(1) == val_set.regions).float().mean())
    log(f"linear probe: validation region accuracy {probe_acc:.3f}")
    summary = {
        "model": name,
        "weights": weights.name,
        "options": asdict(opts),
        "epochs_run": len(history),
        "best_epoch": max(history, key=lambda r: r["zero_shot_acc"] + r["p@10_en"] + r["p@10_zh"])[
            "epoch"
        ]
        if history
        else None,
        "history": history,
        "probe_val_acc": probe_acc,
        "wall_s": round(wall, 1),
        "machine": f"{platform.machine()} {platform.processor() or ''} "
        f"{torch.get_num_threads()} threads, torch {torch.__version__}".strip(),
        "unknown_caption_words": dict(data.unknown_words.most_common(30)),
    }
    with atomic_open(out / "train_summary.json", encoding="utf-8") as fh:
        json.dump(summary, fh, indent=2, ensure_ascii=False)
    from engine.clip.card import write_card

    write_card(out)
    return summary
