"""Named directions from the gradient of an attribute, for attributes a linear boundary misses.

Why: InterFaceGAN's boundary (named.py) needs the samples to vary in the attribute. On the
256 px generator the designs hold almost no gold (the spread of the gold measure over 1,000
samples is 0.002), and the complexity boundary moves edge density by only 0.07 from step −3
to +3 although the samples spread 0.23 (session 12). The measures themselves are pixel
statistics, so a smooth copy of each can be differentiated through the synthesis network:
the mean over samples of the (unit) gradient of the attribute with respect to w, summed over
a layer range, is the direction that raises the attribute fastest there on average. Each
such vector is specific to its layer range; fit_named_directions scores it on the same
selection seeds as the boundary and keeps whichever moves the attribute more monotonically.

The smooth copies follow engine.database.measure at its 128 px analysis size: complexity is
the share of pixels whose Sobel magnitude passes EDGE_THRESHOLD (a sigmoid instead of the
step), gold the share of pixels near the region's metallic colours (a Gaussian in ΔE instead
of the ΔE < 10 cut, so that pixels far from gold still say which way gold lies), density the
spectral centroid of luminance (smooth as it is), symmetry the best mirror correlation (a
soft maximum over the mirror axes). Warmth's hue bins have no useful gradient; its boundary
slider passes anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from engine.database.measure import ANALYSIS_SIZE, EDGE_THRESHOLD

EDGE_SOFTNESS = 8.0  # Sobel-magnitude units over which the edge sigmoid rises
GOLD_SIGMA = 20.0  # ΔE scale of the gold Gaussian
GOLD_SHARP_SOFTNESS = 1.5  # ΔE width of the sharp gold measure's sigmoid cut
SYMMETRY_SHARPNESS = 50.0  # inverse temperature of the soft maximum over mirror axes
GRADIENT_ATTRIBUTES: tuple[str, ...] = ("complexity", "density", "gold", "symmetry")

Progress = Callable[[str, int, int], None]
# differentiable per-image score to leave unchanged: NCHW images in [-1, 1], region id -> [N]
KeepScore = Callable[[torch.Tensor, str], torch.Tensor]


def _analysis(img: torch.Tensor) -> torch.Tensor:
    """NCHW in [-1, 1] → NCHW RGB in [0, 1] at the measures' analysis size (area average)."""
    if img.ndim != 4 or img.shape[1] != 3:
        raise ValueError(f"expected [N, 3, H, W] images, got {tuple(img.shape)}")
    x = ((img + 1) / 2).clamp(0, 1)
    if x.shape[-1] != ANALYSIS_SIZE:
        x = F.interpolate(x, size=(ANALYSIS_SIZE, ANALYSIS_SIZE), mode="area")
    return x


def soft_edge_density(img: torch.Tensor) -> torch.Tensor:
    """[N] smooth share of strong-gradient pixels (measure.edge_density, differentiable)."""
    g = F.pad(_analysis(img) * 255.0, (1, 1, 1, 1), mode="circular")  # the tile wraps
    kx = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]], dtype=g.dtype)
    k = torch.stack([kx, kx.T])[:, None].to(g.device)  # [2, 1, 3, 3]: d/dx, d/dy
    n = g.shape[0]
    grads = F.conv2d(g.reshape(n * 3, 1, *g.shape[-2:]), k)
    grads = grads.reshape(n, 3, 2, ANALYSIS_SIZE, ANALYSIS_SIZE)
    mag = (grads.square().sum(2) + 1e-6).sqrt().amax(1) / 4.0  # strongest channel, as measured
    return torch.sigmoid((mag - EDGE_THRESHOLD) / EDGE_SOFTNESS).flatten(1).mean(1)


def soft_gold_share(img: torch.Tensor, region_id: str) -> torch.Tensor:
    """[N] smooth share of pixels near the region's metallic colours (measure.gold_share)."""
    d = _gold_distance(img, region_id)
    if d is None:
        return torch.zeros(img.shape[0], dtype=img.dtype, device=img.device)
    return torch.exp(-((d / GOLD_SIGMA) ** 2)).flatten(1).mean(1)


def _gold_distance(img: torch.Tensor, region_id: str) -> torch.Tensor | None:
    """[N, H, W] CIELAB ΔE of each analysis-size pixel to the nearest of the region's
    metallic tones (the reference `attributes` measures it against); None without any."""
    from engine.database.palette import region_palette
    from engine.directions.attributes import _gold_reference
    from engine.stylegan.train.align import torch_lab

    met = region_palette(_gold_reference(region_id)).metallic
    if not met:
        return None
    ref = torch_lab(torch.tensor([[v / 255.0 for v in c.rgb] for c in met], dtype=img.dtype))
    lab = torch_lab(_analysis(img).permute(0, 2, 3, 1))  # [N, H, W, 3]
    return (lab[..., None, :] - ref.to(img.device)).norm(dim=-1).amin(-1)


def sharp_gold_share(
    img: torch.Tensor, region_id: str, softness: float = GOLD_SHARP_SOFTNESS
) -> torch.Tensor:
    """[N] share of pixels in the region's metallic tones as `measure.gold_share` counts
    them (ΔE below its cut, then a 2×2 opening), with the cut a sigmoid `softness` ΔE wide
    and the opening a min- then max-pool, so that it can be trained on (`train.slider_tune`).
    Unlike `soft_gold_share` it says little about pixels far from gold: it is for teaching
    the network to draw gold, not for finding which way gold lies."""
    from engine.database.palette import GOLD_DELTA_E

    d = _gold_distance(img, region_id)
    if d is None:
        return torch.zeros(img.shape[0], dtype=img.dtype, device=img.device)
    mask = torch.sigmoid((GOLD_DELTA_E - d) / softness)[:, None]
    # the opening on the torus, as measure.gold_share pads by wrapping
    mask = -F.max_pool2d(-F.pad(mask, (0, 1, 0, 1), mode="circular"), 2, 1)
    mask = F.max_pool2d(F.pad(mask, (1, 0, 1, 0), mode="circular"), 2, 1)
    return mask.flatten(1).mean(1)


def _grey(img: torch.Tensor) -> torch.Tensor:
    """[N, H, W] luminance in [0, 255] at the analysis size, weighted as cv2's RGB2GRAY."""
    w = torch.tensor([0.299, 0.587, 0.114], dtype=img.dtype, device=img.device)
    return (_analysis(img) * 255.0 * w[:, None, None]).sum(1)


def soft_density(img: torch.Tensor) -> torch.Tensor:
    """[N] spectral centroid of luminance, scaled as measure.estimate_density (unclipped)."""
    g = _grey(img)
    g = g - g.mean(dim=(-2, -1), keepdim=True)
    f = torch.fft.fft2(g)
    mag = (f.real.square() + f.imag.square() + 1e-6).sqrt()
    fy = torch.fft.fftfreq(g.shape[-2], dtype=g.dtype, device=g.device)[:, None]
    fx = torch.fft.fftfreq(g.shape[-1], dtype=g.dtype, device=g.device)[None, :]
    r = torch.hypot(fx, fy)
    centroid = (mag * r).sum(dim=(-2, -1)) / mag.sum(dim=(-2, -1))
    return (centroid - 0.05) / 0.25


def soft_symmetry(img: torch.Tensor) -> torch.Tensor:
    """[N] mirror similarity as measure.estimate_symmetry, with a soft maximum over the
    mirror axes (left-right and top-bottom, every position on the torus)."""
    g = _grey(img)
    g = g - g.mean(dim=(-2, -1), keepdim=True)
    denom = g.square().sum(dim=(-2, -1)).clamp_min(1.0)
    sims = []
    for arr in (g, g.transpose(-2, -1)):
        n = arr.shape[-1]
        spec = torch.fft.rfft(arr, dim=-1) * torch.fft.rfft(arr.flip(-1), dim=-1).conj()
        cc = torch.fft.irfft(spec, n=n, dim=-1).sum(-2)  # [N, shifts]
        sims.append(cc / denom[:, None])
    s = torch.cat(sims, dim=1)
    return torch.logsumexp(s * SYMMETRY_SHARPNESS, dim=1) / SYMMETRY_SHARPNESS


def soft_attribute(img: torch.Tensor, attribute: str, region_id: str) -> torch.Tensor:
    """[N] differentiable stand-in for `attribute` of NCHW images in [-1, 1]."""
    if attribute == "complexity":
        return soft_edge_density(img)
    if attribute == "density":
        return soft_density(img)
    if attribute == "gold":
        return soft_gold_share(img, region_id)
    if attribute == "symmetry":
        return soft_symmetry(img)
    raise ValueError(
        f"no differentiable measure for {attribute!r}; expected one of "
        f"{', '.join(GRADIENT_ATTRIBUTES)}"
    )


def _unit64(v: np.ndarray) -> np.ndarray:
    return v / (np.linalg.norm(v) + 1e-12)


def region_log_probability(encoder: Any | None) -> KeepScore | None:
    """log p(region | image) by the CLIP encoder's linear region probe, differentiable in the
    image; None when there is no encoder or it ships no probe (zero-shot is not offered)."""
    if encoder is None or getattr(encoder, "probe", None) is None:
        return None
    from engine.culture import REGION_IDS
    from engine.stylegan.train.clip_losses import ClipImageFeatures

    features = ClipImageFeatures(encoder)
    w, b = encoder.probe

    def score(img: torch.Tensor, region_id: str) -> torch.Tensor:
        logits = features.embed(img) @ w.T.to(img) + b.to(img)
        return torch.log_softmax(logits, dim=1)[:, REGION_IDS.index(region_id)]

    return score


def attribute_gradients(
    renderer: Any,
    conditions: dict[str, np.ndarray | None],
    attribute: str,
    ranges: dict[str, tuple[int, int]],
    n: int = 128,
    seed: int = 0,
    noise_mode: str = "const",
    progress: Progress | None = None,
    keep: KeepScore | None = None,
) -> tuple[dict[str, np.ndarray], np.ndarray, list[str]]:
    """({range name: mean unit gradient [w_dim]}, the sampled ws [n, w_dim], their regions).

    Samples are drawn as `sample_attributes` draws them (truncation 1, one region per sample
    in turn, the seed's own noise when `noise_mode` is "seeded"), so the gradient is taken
    where the boundary's samples lie; each sample's gradient is scaled to unit length first,
    so designs near a threshold do not outvote the rest.

    `keep` (e.g. region_log_probability): each sample's gradient first loses its component
    along that sample's own gradient of `keep`, so the slider moves the attribute in ways that
    leave the score unchanged to first order. Session 13 measured the alternative, removing
    the span of the regions' mean gradients: it restored the accuracy along the sliders but
    undid them (complexity 0.96 → 0.69), because the mean gradients overlap the attribute's."""
    G = renderer.G
    regions = list(conditions)
    sums: dict[str, list[np.ndarray]] = {k: [] for k in ranges}
    ws_rows, regs = [], []
    for i in range(n):
        r = regions[i % len(regions)]
        s = seed * 1_000_003 + 500_009 + i  # apart from the boundary's samples
        ws = torch.from_numpy(renderer.mapping(s, conditions[r], 1.0, region=r))
        ws = ws.to(next(G.synthesis.parameters()).device).requires_grad_(True)
        with torch.enable_grad(), renderer.noise(noise_mode, s):
            img = G.synthesis(ws[None], noise_mode=noise_mode)
            value = soft_attribute(img, attribute, r).sum()
            (g,) = torch.autograd.grad(value, ws, retain_graph=keep is not None)
            if keep is not None:
                (gk,) = torch.autograd.grad(keep(img, r).sum(), ws)
        g64 = g.detach().cpu().double().numpy()
        k64 = gk.detach().cpu().double().numpy() if keep is not None else None
        for name, (a, b) in ranges.items():
            v = _unit64(g64[a:b].sum(0))
            if k64 is not None:
                u = _unit64(k64[a:b].sum(0))
                v = v - (v @ u) * u
            sums[name].append(v)
        ws_rows.append(ws[0].detach().cpu().numpy())
        regs.append(r)
        if progress:
            progress(f"{attribute} gradients", i + 1, n)
    means = {k: np.mean(v, axis=0) for k, v in sums.items()}
    return means, np.stack(ws_rows), regs


def attribute_gradients_by_region(
    renderer: Any,
    conditions: dict[str, np.ndarray | None],
    attribute: str,
    ranges: dict[str, tuple[int, int]],
    per_region: int = 16,
    seed: int = 0,
    noise_mode: str = "const",
    progress: Progress | None = None,
    keep: KeepScore | None = None,
) -> dict[str, dict[str, np.ndarray]]:
    """{region: {range name: mean unit gradient [w_dim]}} from `per_region` samples each.

    Why: averaged over all regions, the gradients of the gold measure cancel out. A Miao
    design gains "gold" by its silver and a Hakka one by other inks than a Tibetan one, so
    one shared direction moves gold in Tibetan designs mostly (session 26, the card's 50
    seeds: mean Spearman 0.44 for the shared slider, 0.58 with one vector per region; Miao
    0.03 → 0.91)."""
    out = {}
    for k, (region, c) in enumerate(conditions.items()):
        means, _, _ = attribute_gradients(
            renderer,
            {region: c},
            attribute,
            ranges,
            per_region,
            seed * 31 + k + 1,  # other samples than the shared gradient's, one set per region
            noise_mode,
            keep=keep,
        )
        out[region] = means
        if progress:
            progress(f"{attribute} gradients by region", k + 1, len(conditions))
    return out
