"""The generator's forward pass in plain numpy, for a frame before torch has loaded.

Importing torch costs ~2 s of CPU on the machines we target, and a design tool should show
its opening tile sooner than that. This module imports no torch: it reads the shipped
safetensors with `safetensors.numpy` and runs the same math as `Renderer` (mapping with
truncation, modulated/demodulated convolutions, FIR upsampling, periodic padding when the
model is tileable, skip toRGB) in float32, so its tile equals the Renderer's within one
8-bit level. It is a reference implementation written for clarity and start-up, not speed
(~0.1–0.3 s a frame at 128 px); the Renderer takes over once torch is loaded.

Supports the shipped architecture ("skip", any resolution, with or without a condition);
`load` raises `UnsupportedModel` for anything else and callers fall back to torch.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.stylegan.condition_prior import ConditionPrior, load_prior
from engine.stylegan.latent_edits import Offset, final_ws, fit_rows
from engine.stylegan.noise_lowpass import check_sigma, lowpass_np
from engine.stylegan.region_truncation import load_region_means, truncation_centre
from engine.stylegan.seeded_noise import SEEDED, layer_noise

SQRT2 = math.sqrt(2.0)


class UnsupportedModel(ValueError):
    """The model uses a feature this numpy forward does not implement."""


@dataclass
class _Layer:
    affine_w: np.ndarray  # [in, w_dim], gain applied
    affine_b: np.ndarray  # [in]
    weight: np.ndarray  # [out, in, k, k]
    bias: np.ndarray  # [out]
    noise: np.ndarray | None  # noise_const * noise_strength [res, res]
    up: int
    name: str = ""  # in the synthesis network, e.g. "b32.conv1" (keys its seeded noise)
    strength: float | None = None  # noise_strength (None: a layer without noise)
    lowpass: float = 0.0  # Gaussian σ of its noise (engine/stylegan/noise_lowpass.py)


def _pad(x: np.ndarray, x0: int, x1: int, y0: int, y1: int, wrap: bool) -> np.ndarray:
    """Pad [C, H, W] (left, right, top, bottom) by wrapping around or with zeros."""
    return np.pad(x, ((0, 0), (y0, y1), (x0, x1)), mode="wrap" if wrap else "constant")


def _correlate(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Valid cross-correlation of [C, H, W] with [O, C, k, k] -> [O, H-k+1, W-k+1]."""
    o, c, k, _ = w.shape
    if k == 1:
        return np.tensordot(w[:, :, 0, 0], x, axes=(1, 0))
    cols = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(1, 2))  # C,Ho,Wo,k,k
    ho, wo = cols.shape[1], cols.shape[2]
    cols = np.ascontiguousarray(cols.transpose(0, 3, 4, 1, 2)).reshape(c * k * k, ho * wo)
    return (w.reshape(o, c * k * k) @ cols).reshape(o, ho, wo)


def _fir(x: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Valid depthwise correlation of [C, H, W] with a 2-D filter (taps flipped: a true
    convolution, as upfirdn2d does; the StyleGAN filters are symmetric anyway)."""
    f = f[::-1, ::-1]
    fh, fw = f.shape
    ho, wo = x.shape[1] - fh + 1, x.shape[2] - fw + 1
    out = np.zeros((x.shape[0], ho, wo), np.float32)
    for a in range(fh):
        for b in range(fw):
            if f[a, b] != 0:
                out += f[a, b] * x[:, a : a + ho, b : b + wo]
    return out


def _zero_insert(x: np.ndarray, up: int) -> np.ndarray:
    c, h, w = x.shape
    out = np.zeros((c, h * up, w * up), np.float32)
    out[:, ::up, ::up] = x
    return out


def _bias_act(x: np.ndarray, b: np.ndarray, lrelu: bool, clamp: float | None) -> np.ndarray:
    x = x + b[:, None, None]
    if lrelu:
        x = np.where(x >= 0, x, np.float32(0.2) * x) * np.float32(SQRT2)
    if clamp is not None:
        x = np.clip(x, -clamp, clamp)
    return x.astype(np.float32, copy=False)


class NumpyGenerator:
    """A loaded generator: `mapping(seed, c, psi)` and `synthesize(ws)` like `Renderer`'s."""

    def __init__(self, tensors: dict[str, np.ndarray], kwargs: dict[str, object]) -> None:
        syn = dict(kwargs.get("synthesis_kwargs") or {})  # type: ignore[call-overload]
        if syn.get("architecture", "skip") != "skip":
            raise UnsupportedModel(f"architecture {syn.get('architecture')!r} (only 'skip')")
        if int(kwargs.get("img_channels", 3)) != 3:  # type: ignore[call-overload]
            raise UnsupportedModel("only RGB generators")
        t = {k: np.asarray(v, np.float32) for k, v in tensors.items()}
        self.prior: ConditionPrior | None = None  # set by load(): the model's text prior
        self.region_means: dict[str, np.ndarray] = {}  # set by load(): region -> mean w
        self.z_dim = int(kwargs["z_dim"])  # type: ignore[call-overload]
        self.c_dim = int(kwargs["c_dim"])  # type: ignore[call-overload]
        self.w_dim = int(kwargs["w_dim"])  # type: ignore[call-overload]
        self.resolution = int(kwargs["img_resolution"])  # type: ignore[call-overload]
        self.tileable = bool(kwargs.get("tileable", False))
        try:
            lp = check_sigma(syn.get("noise_lowpass", 0.0))  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            raise UnsupportedModel(str(exc)) from exc
        clamp = syn.get("conv_clamp")
        self.conv_clamp = None if clamp is None else float(clamp)  # type: ignore[arg-type]
        self.w_avg = t["mapping.w_avg"]
        n_fc = sum(1 for k in t if k.startswith("mapping.fc") and k.endswith(".weight"))
        self.fc = [self._fc(t, f"mapping.fc{i}", 0.01) for i in range(n_fc)]
        self.embed = self._fc(t, "mapping.embed", 1.0) if self.c_dim else None
        self.block_res = [2**i for i in range(2, int(math.log2(self.resolution)) + 1)]
        self.const = t["synthesis.b4.const"]
        self.blocks: list[tuple[list[_Layer], _Layer, np.ndarray]] = []
        for res in self.block_res:
            p = f"synthesis.b{res}"
            sigma = lp if res < self.resolution else 0.0
            convs = [] if res == 4 else [self._layer(t, f"{p}.conv0", 2, sigma)]
            convs.append(self._layer(t, f"{p}.conv1", 1, sigma))
            rgb = self._layer(t, f"{p}.torgb", 1)
            in_ch = rgb.weight.shape[1]
            rgb.affine_w = rgb.affine_w / np.float32(math.sqrt(in_ch))  # toRGB weight gain
            rgb.affine_b = rgb.affine_b / np.float32(math.sqrt(in_ch))
            self.blocks.append((convs, rgb, t[f"{p}.resample_filter"]))
        self.num_ws = len(self.block_res) * 2

    @staticmethod
    def _fc(t: dict[str, np.ndarray], name: str, lr: float) -> tuple[np.ndarray, np.ndarray]:
        w = t[f"{name}.weight"]
        return (w * np.float32(lr / math.sqrt(w.shape[1]))).T.copy(), t[f"{name}.bias"] * lr

    def _layer(self, t: dict[str, np.ndarray], name: str, up: int, sigma: float = 0.0) -> _Layer:
        aw, ab = self._fc(t, f"{name}.affine", 1.0)
        noise, strength = None, None
        if f"{name}.noise_const" in t:
            noise = lowpass_np(t[f"{name}.noise_const"], sigma) * t[f"{name}.noise_strength"]
            strength = float(t[f"{name}.noise_strength"])
        short = name.removeprefix("synthesis.")
        return _Layer(
            aw, ab, t[f"{name}.weight"], t[f"{name}.bias"], noise, up, short, strength, sigma
        )

    def truncation_centre(self, region: str, truncate_to: str) -> np.ndarray | None:
        """As `Renderer.truncation_centre`."""
        return truncation_centre(region, truncate_to, self.region_means, self.w_dim)

    # ------------------------------------------------------------------ mapping
    def mapping(
        self,
        seed: int,
        c: np.ndarray | None,
        truncation: float = 1.0,
        w_avg: np.ndarray | None = None,
        use_prior: bool = True,
        region: str | None = None,
        faithful: bool = True,
    ) -> np.ndarray:
        """ws [num_ws, w_dim] for a seed and condition (the Renderer's z and truncation)."""
        z = np.random.RandomState(int(seed) % (2**32)).randn(1, self.z_dim).astype(np.float32)
        parts = [z * (1.0 / np.sqrt(np.mean(z * z, axis=1, keepdims=True) + 1e-8))]
        if self.embed is not None:
            cc = np.zeros(self.c_dim, np.float32) if c is None else np.asarray(c, np.float32)
            if cc.shape != (self.c_dim,):
                raise ValueError(f"condition has {cc.size} values, the model expects {self.c_dim}")
            if c is not None and self.prior is not None and use_prior:
                # as the Renderer does (condition_prior.py)
                cc = self.prior(cc, seed, region, faithful)
            y = cc[None] @ self.embed[0] + self.embed[1]
            parts.append(y * (1.0 / np.sqrt(np.mean(y * y, axis=1, keepdims=True) + 1e-8)))
        x = np.concatenate(parts, axis=1).astype(np.float32)
        for w, b in self.fc:
            x = x @ w + b
            x = np.where(x >= 0, x, np.float32(0.2) * x) * np.float32(SQRT2)
        ws = np.repeat(x.astype(np.float32), self.num_ws, axis=0)
        if truncation != 1:
            avg = self.w_avg if w_avg is None else np.asarray(w_avg, np.float32).reshape(-1)
            ws = avg + np.float32(truncation) * (ws - avg)
        return ws.astype(np.float32)

    # ------------------------------------------------------------------ synthesis
    def _modconv(
        self,
        layer: _Layer,
        x: np.ndarray,
        w: np.ndarray,
        f: np.ndarray,
        noise_seed: int | None = None,
    ) -> np.ndarray:
        styles = w @ layer.affine_w + layer.affine_b  # [in]
        wt = layer.weight * styles[None, :, None, None]
        wt = wt * (1.0 / np.sqrt(np.sum(wt * wt, axis=(1, 2, 3)) + 1e-8))[:, None, None, None]
        wt = wt.astype(np.float32)
        wrap = self.tileable
        if layer.up == 1:
            y = _correlate(_pad(x, 1, 1, 1, 1, wrap), wt)
        else:  # zero insertion, padding on the upsampled grid, FIR (gain 4), true convolution
            u = _pad(_zero_insert(x, 2), 3, 2, 3, 2, wrap)
            y = _correlate(_fir(u, f * np.float32(4.0)), wt[:, :, ::-1, ::-1])
        if layer.noise is not None and noise_seed is not None and layer.strength is not None:
            # seeded noise: the Renderer's draw (engine/stylegan/seeded_noise.py)
            n = lowpass_np(layer_noise(noise_seed, layer.name, y.shape[-1]), layer.lowpass)
            n = n * np.float32(layer.strength)
            y = y + n[None]
        elif layer.noise is not None:
            y = y + layer.noise[None]
        return _bias_act(y, layer.bias, True, self.conv_clamp)

    def _torgb(self, layer: _Layer, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        styles = w @ layer.affine_w + layer.affine_b
        wt = (layer.weight * styles[None, :, None, None]).astype(np.float32)
        return _bias_act(_correlate(x, wt), layer.bias, False, self.conv_clamp)

    def synthesize(self, ws: np.ndarray, noise_seed: int | None = None) -> np.ndarray:
        """ws [num_ws, w_dim] -> RGB uint8 [H, W, 3] (the Renderer's rounding); constant
        noise, or with `noise_seed` the seeded noise of that seed."""
        ws = fit_rows(ws, self.num_ws, self.w_dim)
        x = self.const.astype(np.float32)
        img: np.ndarray | None = None
        wi = 0
        for convs, rgb, f in self.blocks:
            for layer in convs:
                x = self._modconv(layer, x, ws[wi], f, noise_seed)
                wi += 1
            if img is not None:
                up = _pad(_zero_insert(img, 2), 2, 1, 2, 1, self.tileable)
                img = _fir(up, f * np.float32(4.0))
            y = self._torgb(rgb, x, ws[wi])
            img = y if img is None else img + y
        assert img is not None
        out = np.clip(img.transpose(1, 2, 0) * np.float32(127.5) + np.float32(128), 0, 255)
        return out.astype(np.uint8)

    def render(
        self,
        seed: int,
        c: np.ndarray | None,
        truncation: float = 1.0,
        ws: np.ndarray | None = None,
        offsets: Sequence[Offset] = (),
        policy_offset: np.ndarray | None = None,
        mix_seed: int | None = None,
        mix_from_layer: int | None = None,
        w_avg: np.ndarray | None = None,
        use_prior: bool = True,
        noise_mode: str = "const",
        noise_seed: int | None = None,
        region: str | None = None,
        prior_faithful: bool = True,
    ) -> np.ndarray:
        """A request as the Renderer takes it -> RGB uint8. Noise "const" or "seeded" (from
        `noise_seed`, else `seed`), as the Renderer draws it."""
        if noise_mode not in ("const", SEEDED):
            raise UnsupportedModel(f"noise mode {noise_mode!r} (only 'const' and 'seeded')")
        pf = prior_faithful
        base = (
            ws
            if ws is not None
            else self.mapping(seed, c, truncation, w_avg, use_prior, region, pf)
        )
        mix = (
            self.mapping(mix_seed, c, truncation, w_avg, use_prior, region, pf)
            if mix_seed is not None
            else None
        )
        final = final_ws(base, self.num_ws, self.w_dim, mix, mix_from_layer, offsets, policy_offset)
        if noise_mode != SEEDED:
            return self.synthesize(final)
        return self.synthesize(final, int(seed if noise_seed is None else noise_seed))


def load(model_dir: Path) -> NumpyGenerator:
    """Read config.json + safetensors from a model folder (no hash check: the Renderer that
    follows verifies the weights before anything is saved from them)."""
    from safetensors.numpy import load_file

    model_dir = Path(model_dir)
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    if config.get("format") != "wenyang-stylegan2-generator":
        raise UnsupportedModel(f"{model_dir / 'config.json'} is not a generator config")
    tensors = load_file(str(model_dir / str(config.get("weights", "model.safetensors"))))
    gen = NumpyGenerator(tensors, dict(config["init_kwargs"]))
    gen.prior = load_prior(model_dir)
    gen.region_means = load_region_means(model_dir)
    return gen
