"""Adaptive discriminator augmentation (ADA) for tiles: differentiable, wrap-aware.

Every transform is applied per sample with probability p, to reals and fakes alike, before D
(so D never sees the augmented distribution as "real"; the ops are invertible in
distribution for p < 0.8, hence non-leaking). Translations wrap around (a tile is periodic),
so augmentation never introduces a border that the generator would learn to paint.
"""

from __future__ import annotations

import math

import torch


def _per_sample(n: int, p: float, device: torch.device) -> torch.Tensor:
    return torch.rand(n, device=device) < p


def _shift_index(size: int, shift: torch.Tensor, wrap: bool) -> torch.Tensor:
    """[N, size] source indices for an integer shift per sample (wrap or reflect)."""
    idx = torch.arange(size, device=shift.device)[None, :] - shift[:, None]
    if wrap:
        return torch.remainder(idx, size)
    period = 2 * (size - 1)
    idx = torch.remainder(idx, period)
    return torch.where(idx >= size, period - idx, idx)


def translate(x: torch.Tensor, tx: torch.Tensor, ty: torch.Tensor, wrap: bool) -> torch.Tensor:
    """Shift each image by (tx, ty) whole pixels; x [N,C,H,W], tx/ty int64 [N]."""
    n, c, h, w = x.shape
    rows = _shift_index(h, ty, wrap)[:, None, :, None].expand(n, c, h, w)
    x = torch.gather(x, 2, rows)
    cols = _shift_index(w, tx, wrap)[:, None, None, :].expand(n, c, h, w)
    return torch.gather(x, 3, cols)


def colour_matrix(
    n: int,
    p: float,
    device: torch.device,
    brightness: float = 0.2,
    contrast: float = 0.5,
    saturation: float = 1.0,
) -> torch.Tensor:
    """[N,3,4] affine colour transforms: brightness, contrast, hue rotation, saturation.

    Strengths follow the official ADA defaults (brightness std 0.2, log2-normal contrast
    std 0.5 and saturation std 1, uniform hue rotation about the luma axis).
    """
    eye = torch.eye(4, device=device).expand(n, 4, 4)
    m = eye.clone()
    v = torch.tensor([1.0, 1.0, 1.0, 0.0], device=device) / math.sqrt(3)
    # brightness: add b to all channels
    b = torch.randn(n, device=device) * brightness
    b = torch.where(_per_sample(n, p, device), b, torch.zeros_like(b))
    t = eye.clone()
    t[:, :3, 3] = b[:, None]
    m = t @ m
    # contrast: scale about 0
    s = torch.exp2(torch.randn(n, device=device) * contrast)
    s = torch.where(_per_sample(n, p, device), s, torch.ones_like(s))
    sc = eye.clone()
    sc[:, 0, 0] = s
    sc[:, 1, 1] = s
    sc[:, 2, 2] = s
    m = sc @ m
    # hue: rotate about the luma axis by theta (Rodrigues)
    theta = (torch.rand(n, device=device) * 2 - 1) * math.pi
    theta = torch.where(_per_sample(n, p, device), theta, torch.zeros_like(theta))
    k = v[:3]
    kx = torch.tensor([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]], device=device)
    kk = torch.outer(k, k)
    cos, sin = torch.cos(theta)[:, None, None], torch.sin(theta)[:, None, None]
    rot = cos * torch.eye(3, device=device) + sin * kx + (1 - cos) * kk
    r = eye.clone()
    r[:, :3, :3] = rot
    m = r @ m
    # saturation: scale the component orthogonal to the luma axis
    sat = torch.exp2(torch.randn(n, device=device) * saturation)
    sat = torch.where(_per_sample(n, p, device), sat, torch.ones_like(sat))
    vv = torch.outer(v, v)
    st = vv + (eye - vv) * sat[:, None, None]
    st[:, 3, 3] = 1
    m = st @ m
    return m[:, :3, :]


class AugmentPipe:
    """x-flip, y-flip, 90° rotation, integer translation (wrap), colour; each fires with prob p.

    Not an nn.Module on purpose: it has no parameters, and p lives in `AdaController` so
    that it is saved with the run state.
    """

    def __init__(self, wrap: bool = True, colour: bool = True, translate_frac: float = 0.125):
        self.wrap = wrap
        self.colour = colour
        self.translate_frac = translate_frac

    def __call__(self, x: torch.Tensor, p: float) -> torch.Tensor:
        if p <= 0:
            return x
        n, _, h, w = x.shape
        dev = x.device
        # As in the official ADA, an op that fires (probability p) draws uniformly among its
        # outcomes *including the identity*: a flip happens with p/2, a quarter turn k in
        # {0,1,2,3}. So the identity stays the likeliest orientation for every p < 1 and the
        # augmentation stays invertible in distribution (non-leaking); drawing only non-identity
        # outcomes would let flipped or turned tiles leak into G already at p = 0.5.
        x = torch.where(_per_sample(n, p / 2, dev)[:, None, None, None], x.flip(3), x)
        x = torch.where(_per_sample(n, p / 2, dev)[:, None, None, None], x.flip(2), x)
        if h == w:  # 90° rotations by k in {0,1,2,3}
            k = torch.randint(0, 4, (n,), device=dev)
            k = torch.where(_per_sample(n, p, dev), k, torch.zeros_like(k))
            out = x
            for kk in (1, 2, 3):
                out = torch.where((k == kk)[:, None, None, None], torch.rot90(x, kk, (2, 3)), out)
            x = out
        do_t = _per_sample(n, p, dev)
        mx, my = round(w * self.translate_frac), round(h * self.translate_frac)
        if mx > 0 or my > 0:
            tx = torch.randint(-mx, mx + 1, (n,), device=dev) * do_t
            ty = torch.randint(-my, my + 1, (n,), device=dev) * do_t
            x = translate(x, tx, ty, self.wrap)
        if self.colour and x.shape[1] == 3:
            m = colour_matrix(n, p, dev).to(x.dtype)
            x = torch.einsum("nij,njhw->nihw", m[:, :, :3], x) + m[:, :, 3, None, None]
        return x


class AdaController:
    """Adjusts p from the sign of D's output on reals: r_t = E[sign(D(real))] (Karras 2020).

    r_t above the target means D is overconfident on reals (overfitting): raise p; below,
    lower it. The step size lets p traverse 0 -> 1 in `ada_kimg` thousand images.
    """

    def __init__(
        self,
        p: float = 0.0,
        target: float | None = 0.6,
        interval: int = 4,
        ada_kimg: float = 100.0,
        batch: int = 16,
    ) -> None:
        self.p = float(p)
        self.target = target
        self.interval = interval
        self.ada_kimg = ada_kimg
        self.batch = batch
        self.sum = torch.zeros([], dtype=torch.float64)  # running sum of sign(D(real))
        self.count = torch.zeros([], dtype=torch.float64)
        self.rt: float | None = None

    def accumulate(self, real_logits: torch.Tensor) -> None:
        if self.target is None:
            return
        s = real_logits.detach().sign().sum().to("cpu", torch.float64, non_blocking=True)
        self.sum = self.sum + s
        self.count = self.count + real_logits.numel()

    def update(self, step: int, all_reduce=None) -> None:
        """Call once per step after accumulate; adjusts p every `interval` steps."""
        if self.target is None or (step + 1) % self.interval:
            return
        stats = torch.stack([self.sum, self.count])
        if all_reduce is not None:
            stats = all_reduce(stats)
        if stats[1] <= 0:
            return
        rt = float(stats[0] / stats[1])
        sign = (rt > self.target) - (rt < self.target)
        adjust = sign * (self.batch * self.interval) / (self.ada_kimg * 1000)
        self.p = min(max(self.p + adjust, 0.0), 1.0)
        self.rt = rt
        self.sum = torch.zeros([], dtype=torch.float64)
        self.count = torch.zeros([], dtype=torch.float64)

    def state(self) -> dict:
        return {"p": self.p, "sum": float(self.sum), "count": float(self.count), "rt": self.rt}

    def load(self, d: dict) -> None:
        self.p = float(d["p"])
        self.sum = torch.tensor(float(d.get("sum", 0.0)), dtype=torch.float64)
        self.count = torch.tensor(float(d.get("count", 0.0)), dtype=torch.float64)
        self.rt = d.get("rt")
