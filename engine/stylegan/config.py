"""Network size presets shared by training, the renderer and the benchmarks.

Keys per preset: channel_base / channel_max (synthesis and D widths: channels at resolution r
are min(channel_base // r, channel_max)), map_layers (mapping depth), w_dim (= z_dim) and the
resolution the preset is meant for. `generator_kwargs` turns a preset into the official
Generator constructor arguments.
"""

from __future__ import annotations

from typing import Any

PRESETS: dict[str, dict[str, Any]] = {
    # CPU-trainable shipped sizes: a 2-core laptop renders these live
    "cpu128": {
        "resolution": 128,
        "channel_base": 2048,
        "channel_max": 256,
        "map_layers": 2,
        "w_dim": 256,
    },
    "cpu256": {
        "resolution": 256,
        "channel_base": 4096,
        "channel_max": 256,
        "map_layers": 2,
        "w_dim": 256,
    },
    # the shipped generator's shape since session 7 (distilled from cpu256, whose 4-16 px
    # blocks it narrows to 128 channels): 0.62x the render time, the same picture. Train it
    # directly with `train gan --preset cpu256n --resolution 256 --init shipped`.
    "cpu256n": {
        "resolution": 256,
        "channel_base": 4096,
        "channel_max": 128,
        "map_layers": 2,
        "w_dim": 256,
    },
    # cpu256n twice as wide in the 64-256 px blocks (32 channels at 256 px, 64 at 128 px, 128
    # at 64 px), where texture is drawn: the GPU round's question of whether width buys the
    # texture the independent classifier reads. Grown from a cpu256n export with `--init`.
    "cpu256w": {
        "resolution": 256,
        "channel_base": 8192,
        "channel_max": 128,
        "map_layers": 2,
        "w_dim": 256,
    },
    # aliases used by the training options
    "cpu-small": {
        "resolution": 128,
        "channel_base": 2048,
        "channel_max": 256,
        "map_layers": 2,
        "w_dim": 256,
    },
    "cpu-medium": {
        "resolution": 256,
        "channel_base": 4096,
        "channel_max": 256,
        "map_layers": 2,
        "w_dim": 512,
    },
    "gpu": {
        "resolution": 256,
        "channel_base": 16384,
        "channel_max": 512,
        "map_layers": 2,
        "w_dim": 512,
    },
    "official": {
        "resolution": 256,
        "channel_base": 32768,
        "channel_max": 512,
        "map_layers": 8,
        "w_dim": 512,
    },
    "tiny": {
        "resolution": 32,
        "channel_base": 256,
        "channel_max": 32,
        "map_layers": 2,
        "w_dim": 32,
    },
}

# the preset `wenyang bench render` measures when no model is shipped
BENCH_PRESET = "cpu128"


def get_preset(name: str) -> dict[str, Any]:
    """A copy of preset `name` (KeyError if unknown)."""
    return dict(PRESETS[name])


def generator_kwargs(
    name: str,
    c_dim: int,
    resolution: int | None = None,
    tileable: bool = True,
    conv_clamp: float | None = 256,
    num_fp16_res: int = 0,
) -> dict[str, Any]:
    """Generator constructor kwargs for a preset (official argument layout + `tileable`)."""
    p = get_preset(name)
    return {
        "z_dim": p["w_dim"],
        "c_dim": c_dim,
        "w_dim": p["w_dim"],
        "img_resolution": resolution or p["resolution"],
        "img_channels": 3,
        "mapping_kwargs": {"num_layers": p["map_layers"]},
        "synthesis_kwargs": {
            "channel_base": p["channel_base"],
            "channel_max": p["channel_max"],
            "num_fp16_res": num_fp16_res,
            "conv_clamp": conv_clamp,
        },
        "tileable": tileable,
    }
