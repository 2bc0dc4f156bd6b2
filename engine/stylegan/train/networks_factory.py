"""Build G, D (and their constructor kwargs) for a training run.

Presets come from engine.stylegan.config when it offers them; the built-in table below is
the fallback so training works while that module evolves. Mixed precision follows the
official recipe: fp16 in the `num_fp16_res` highest resolutions with `conv_clamp`, on CUDA
only (CPU trains in float32).
"""

from __future__ import annotations

import copy
import importlib
from typing import Any

from engine.errors import UserInputError

# name -> (G synthesis/D widths, mapping layers, z/w width)
BUILTIN_PRESETS: dict[str, dict[str, Any]] = {
    # smallest sensible width for CPU training (the figure in issue 3 is taken at cbase 2048)
    "cpu-small": {"channel_base": 2048, "channel_max": 256, "map_layers": 2, "w_dim": 256},
    "cpu-medium": {"channel_base": 4096, "channel_max": 256, "map_layers": 2, "w_dim": 512},
    "gpu": {"channel_base": 16384, "channel_max": 512, "map_layers": 2, "w_dim": 512},
    "official": {"channel_base": 32768, "channel_max": 512, "map_layers": 8, "w_dim": 512},
    # tests
    "tiny": {"channel_base": 256, "channel_max": 32, "map_layers": 2, "w_dim": 32},
}


def _preset(name: str, resolution: int) -> dict[str, Any]:
    """Look the preset up in engine.stylegan.config first, then in BUILTIN_PRESETS."""
    try:
        cfgmod: Any = importlib.import_module("engine.stylegan.config")
    except ModuleNotFoundError:
        cfgmod = None
    table: Any = None
    if cfgmod is not None:
        getter = getattr(cfgmod, "get_preset", None) or getattr(cfgmod, "preset", None)
        table = getattr(cfgmod, "PRESETS", None)
        found: Any = None
        if callable(getter):
            try:
                found = getter(name)
            except (KeyError, ValueError, TypeError, LookupError):
                found = None
        if found is None and isinstance(table, dict) and name in table:
            found = table[name]
        if found is not None:
            d = dict(found) if isinstance(found, dict) else dict(vars(found))
            if name in BUILTIN_PRESETS:  # fill what the shared table leaves out
                d = {**BUILTIN_PRESETS[name], **d}
            return d
    if name not in BUILTIN_PRESETS:
        known = sorted({*BUILTIN_PRESETS, *(table if isinstance(table, dict) else {})})
        raise UserInputError(
            f"unknown preset {name!r}; expected one of {', '.join(known)}", field="--preset"
        )
    return dict(BUILTIN_PRESETS[name])


def network_kwargs(
    preset: str,
    resolution: int,
    c_dim: int,
    tileable: bool,
    fp16_res: int,
    d_tileable: bool = False,
    noise_lowpass: float = 0.0,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Constructor kwargs (official StyleGAN2-ADA layout) for G and D."""
    p = _preset(preset, resolution)
    w_dim = int(p.get("w_dim", 512))
    z_dim = int(p.get("z_dim", w_dim))
    cbase = int(p.get("channel_base", 2048))
    cmax = int(p.get("channel_max", 256))
    clamp = p.get("conv_clamp", 256) if fp16_res > 0 else None
    G_kwargs: dict[str, Any] = {
        "z_dim": z_dim,
        "c_dim": c_dim,
        "w_dim": w_dim,
        "img_resolution": resolution,
        "img_channels": 3,
        "tileable": tileable,
        "mapping_kwargs": {"num_layers": int(p.get("map_layers", 2))},
        "synthesis_kwargs": {
            "channel_base": cbase,
            "channel_max": cmax,
            "num_fp16_res": fp16_res,
            "conv_clamp": clamp,
        },
    }
    if noise_lowpass > 0:  # absent when off: configs stay as official tools write them
        G_kwargs["synthesis_kwargs"]["noise_lowpass"] = float(noise_lowpass)
    D_kwargs: dict[str, Any] = {
        "c_dim": c_dim,
        "img_resolution": resolution,
        "img_channels": 3,
        "channel_base": int(p.get("d_channel_base", cbase)),
        "channel_max": int(p.get("d_channel_max", cmax)),
        "num_fp16_res": fp16_res,
        "conv_clamp": clamp,
        "tileable": d_tileable,
        "block_kwargs": {},
        "mapping_kwargs": {},
        "epilogue_kwargs": {"mbstd_group_size": int(p.get("mbstd_group_size", 4))},
    }
    return G_kwargs, D_kwargs


def build(G_kwargs: dict[str, Any], D_kwargs: dict[str, Any]) -> tuple[Any, Any]:
    """Instantiate G and D from engine.stylegan.networks (imported here: torch is heavy)."""
    from engine.stylegan import networks

    G = networks.Generator(**copy.deepcopy(G_kwargs))
    D_kwargs = copy.deepcopy(D_kwargs)
    try:
        D = networks.Discriminator(**D_kwargs)
    except TypeError:
        D_kwargs.pop("tileable", None)
        D = networks.Discriminator(**D_kwargs)
    return G, D
