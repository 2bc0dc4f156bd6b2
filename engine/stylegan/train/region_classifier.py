"""A small CNN that tells the eight regions apart at 64 px, for `train gan --region-cls`.

Why: the designs' weakest figure is the independent classifier, and it mostly misreads
their colour (Mongolian drawn pale teal, Tibetan read as Dunhuang or Mongolian; session 20's
colour-only accuracy 0.66). The discriminator judges a fake against its condition, and the
colour term against one tile, but nothing asks a fake to look like its *region* rather
than like any plausible tile. An auxiliary region classifier (as in AC-GAN), frozen during
GAN training, gives every fake a cross-entropy towards the region of the tile its
condition came from. It is fitted here on the *training* database only and shares no
weights, features or data with either classifier of `wenyang eval gen` (those read a
held-out database), so what it teaches is measured by them, not echoed.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

SIZE = 64  # the resolution it reads (the independent classifier's too: the scale of motifs)
CHANNELS = (32, 64, 128, 128)  # one 3x3 conv per stage, then a 2x average pool
FORMAT = 1  # of the saved net (`region_net.safetensors` in a run folder)


class RegionNet(nn.Module):
    """Tiles [N, 3, H, W] in [-1, 1] (H = W a multiple of 64) → region logits [N, K]."""

    def __init__(self, n_regions: int, channels: tuple[int, ...] = CHANNELS) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c_in = 3
        for c in channels:
            # circular padding: a tile has no edges, so neither does what the net sees
            layers += [
                nn.Conv2d(c_in, c, 3, padding=1, padding_mode="circular"),
                nn.BatchNorm2d(c),
                nn.LeakyReLU(0.2),
                nn.AvgPool2d(2),
            ]
            c_in = c
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(2 * c_in, n_regions)  # mean- and max-pooled features

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        assert img.ndim == 4 and img.shape[1] == 3, f"expected [N3HW], got {list(img.shape)}"
        h = self.features(to_size(img))
        return self.head(torch.cat([h.mean((2, 3)), h.amax((2, 3))], 1))


def to_size(img: torch.Tensor, size: int = SIZE) -> torch.Tensor:
    """Area downsampling to `size` (what cv2's INTER_AREA does for whole factors)."""
    k = img.shape[-1] // size
    if k <= 1:
        return img
    if img.shape[-1] != k * size or img.shape[-2] != k * size:
        raise ValueError(f"expected square tiles, a multiple of {size} px; got {list(img.shape)}")
    return F.avg_pool2d(img, k)


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """What must not change a tile's region: where the torus is cut, mirroring, and the
    softness of a generator's drawing (half the batch is downsampled 2x and back)."""
    n, _, h, _ = x.shape  # square tiles
    dy, dx = (int(v) for v in torch.randint(0, h, (2,), generator=gen))
    x = torch.roll(x, (dy, dx), dims=(2, 3))
    if bool(torch.rand((), generator=gen) < 0.5):
        x = x.flip(3)
    if bool(torch.rand((), generator=gen) < 0.5):
        x = x.flip(2)
    soft = torch.rand(n, generator=gen) < 0.5
    if bool(soft.any()):
        s = x[soft]
        s = F.interpolate(F.avg_pool2d(s, 2), scale_factor=2, mode="bilinear", align_corners=False)
        x = x.clone()
        x[soft] = s
    return x


def fit_region_net(
    images: torch.Tensor,
    labels: torch.Tensor,
    n_regions: int,
    epochs: int = 4,
    batch: int = 128,
    seed: int = 0,
    say: Callable[[str], None] = print,
) -> tuple[RegionNet, float]:
    """Fit on uint8 tiles [N, 3, H, W] and region indices [N]; every 10th tile is held out.
    Returns the frozen net (eval mode) and its accuracy on the held-out tenth."""
    if images.dtype != torch.uint8 or images.ndim != 4:
        raise ValueError(f"expected uint8 [N3HW] tiles, got {images.dtype} {list(images.shape)}")
    if len(images) != len(labels) or len(images) < 10:
        raise ValueError(f"need >= 10 tiles with one label each, got {len(images)} / {len(labels)}")
    small = torch.cat(
        [
            to_size(images[i : i + 512].float()).round().to(torch.uint8)
            for i in range(0, len(images), 512)
        ]
    )
    labels = labels.long()
    held = torch.arange(len(small)) % 10 == 0
    x_tr, y_tr = small[~held], labels[~held]
    with torch.random.fork_rng(devices=[]):  # the caller's random stream stays as it was
        torch.manual_seed(seed)
        net = _train(x_tr, y_tr, n_regions, epochs, batch, seed, say)
    _recalibrate(net, x_tr)
    net.eval().requires_grad_(False)
    acc = accuracy(net, small[held], labels[held])
    say(f"region classifier: held-out accuracy {acc:.3f} on {int(held.sum())} training-set tiles")
    return net, acc


def _train(
    x_tr: torch.Tensor,
    y_tr: torch.Tensor,
    n_regions: int,
    epochs: int,
    batch: int,
    seed: int,
    say: Callable[[str], None],
) -> RegionNet:
    """Adam with a linearly decaying rate over augmented batches of uint8 tiles."""
    gen = torch.Generator().manual_seed(seed)
    net = RegionNet(n_regions)
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    steps = epochs * math.ceil(len(x_tr) / batch)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0 - s / steps)
    net.train()
    for epoch in range(epochs):
        order = torch.randperm(len(x_tr), generator=gen)
        total = 0.0
        for i in range(0, len(order), batch):
            idx = order[i : i + batch]
            x = augment(x_tr[idx].float() / 127.5 - 1.0, gen)
            loss = F.cross_entropy(net(x), y_tr[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
        say(f"region classifier: epoch {epoch + 1}/{epochs}, loss {total / len(order):.3f}")
    return net


@torch.no_grad()
def _recalibrate(net: RegionNet, images: torch.Tensor, batch: int = 256) -> None:
    """Batch-norm statistics as the exact mean over the training tiles: the running
    averages lag the last steps' weights (badly so after few steps)."""
    norms = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average
    net.train()
    for i in range(0, len(images), batch):
        net(images[i : i + batch].float() / 127.5 - 1.0)
    for m in norms:
        m.momentum = 0.1


@torch.no_grad()
def accuracy(net: RegionNet, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Share of uint8 tiles [N, 3, H, W] the net assigns to their label."""
    right = 0
    for i in range(0, len(images), 256):
        x = images[i : i + 256].float() / 127.5 - 1.0
        right += int((net(x).argmax(1) == labels[i : i + 256]).sum())
    return right / max(len(images), 1)


def region_loss(
    net: RegionNet, fake: torch.Tensor, labels: torch.Tensor, gen: torch.Generator
) -> torch.Tensor:
    """Mean cross-entropy of fakes [N, 3, H, W] (in [-1, 1]) against their regions [N],
    each batch rolled by a random phase under one pooling block (no fixed 4x4 grid for
    the gradient to land on; cf. `align.random_phase`)."""
    from engine.stylegan.train.align import random_phase

    return F.cross_entropy(net(random_phase(fake, gen, SIZE)), labels.to(fake.device))


def region_labels(records: list[dict[str, object]], where: str) -> torch.Tensor:
    """[N] index into REGION_IDS of each tile's region; a clear error naming `where` (the
    manifest) when a tile's region is missing or unknown."""
    from engine.culture import REGION_IDS
    from engine.errors import UserInputError

    names = [str(r.get("region", "")) for r in records]
    unknown = sorted({n or "(none)" for n in names if n not in REGION_IDS})
    if unknown:
        raise UserInputError(
            f"the region term needs every tile's region; unknown: {', '.join(unknown[:5])}",
            path=where,
            field="region",
        )
    return torch.tensor([REGION_IDS.index(n) for n in names])


def data_key(records: list[dict[str, object]], labels: torch.Tensor) -> str:
    """What a saved net was fitted on: the tiles' ids and regions, hashed."""
    import hashlib

    ids = ",".join(str(r.get("id", i)) for i, r in enumerate(records))
    return hashlib.sha256(ids.encode() + labels.long().numpy().tobytes()).hexdigest()[:16]


def save_region_net(net: RegionNet, path: str, data_key: str, held_out_accuracy: float) -> None:
    """Safetensors with the data key it was fitted on (a resumed run refits on other data)."""
    from safetensors.torch import save_file

    from engine.atomic import atomic_path

    state = {k: v.detach().contiguous() for k, v in net.state_dict().items()}
    meta = {
        "format": str(FORMAT),
        "data": data_key,
        "regions": str(net.head.out_features),
        "held_out_accuracy": f"{held_out_accuracy:.4f}",
    }
    with atomic_path(path) as tmp:
        save_file(state, str(tmp), metadata=meta)


def load_or_fit(
    path: str,
    key: str,
    images: torch.Tensor,
    labels: torch.Tensor,
    n_regions: int,
    seed: int = 0,
    say: Callable[[str], None] = print,
) -> RegionNet:
    """The net saved at `path` for these tiles (`key`), else one fitted now and saved there."""
    net = load_region_net(path, key, n_regions)
    if net is None:
        say("fitting the region classifier on the training tiles (once per run folder) ...")
        net, acc = fit_region_net(images, labels, n_regions, seed=seed, say=say)
        save_region_net(net, path, key, acc)
    return net


def load_region_net(path: str, data_key: str, n_regions: int) -> RegionNet | None:
    """The net saved at `path` if it was fitted on the same data with this format, else None."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(path, "pt") as fh:
            meta = fh.metadata() or {}
            state = {k: fh.get_tensor(k) for k in fh.keys()}  # noqa: SIM118
    except (OSError, SafetensorError):
        return None  # none yet, or unreadable: the caller fits afresh
    if meta.get("format") != str(FORMAT) or meta.get("data") != data_key:
        return None
    if meta.get("regions") != str(n_regions):
        return None
    net = RegionNet(n_regions)
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError:
        return None
    return net.eval().requires_grad_(False)
