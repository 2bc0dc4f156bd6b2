"""`wenyang bench render`: ms/frame of the renderer against a plain reference forward.

All variants run interleaved in one process (so machine load hits them alike); median and
p90 per variant are reported as wall time and as this thread's CPU time (the work done,
robust to waiting for a core on a loaded machine). The reference is the same network and
weights computed with the reference ops (NCHW, no caching); the official code is timed
only when its folder is given (--official-dir), on the same weights.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.stylegan import config


def register_bench(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("render", help="renderer ms/frame vs a reference forward pass")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument(
        "--model",
        type=Path,
        help="generator folder (default: shipped, else a random-init model of the bench preset)",
    )
    p.add_argument("--preset", default=None, help="preset for the random-init model")
    p.add_argument("--frames", type=int, default=30, help="frames per variant (default 30)")
    p.add_argument(
        "--official-dir", type=Path, help="local StyleGAN2-ADA checkout to time its forward too"
    )
    p.add_argument(
        "--threads", type=int, default=1, help="torch threads (default 1; 0 = torch's default)"
    )
    p.add_argument(
        "--device",
        default="cpu",
        help="cpu (default) or cuda[:N]: CUDA variants are timed after a synchronize",
    )
    p.set_defaults(func=run_bench_render)


def _bench_generator(model: Path | None, preset: str | None) -> tuple[Any, str]:
    import torch

    from engine.stylegan import checkpoint
    from engine.stylegan.networks import Generator
    from engine.stylegan.render import DEFAULT_MODEL_DIR

    mdir = model or DEFAULT_MODEL_DIR
    if preset is None and (mdir / checkpoint.CONFIG_FILE).is_file():
        return checkpoint.load_generator(mdir), f"model {mdir}"
    if model is not None:
        return checkpoint.load_generator(model), f"model {model}"
    name = preset or config.BENCH_PRESET
    torch.manual_seed(0)
    G = Generator(**config.generator_kwargs(name, c_dim=512, tileable=True)).eval()
    with torch.no_grad():  # non-zero noise strengths, as in a trained model
        for n, t in G.named_parameters():
            if n.endswith("noise_strength"):
                t.fill_(0.1)
    return G.requires_grad_(False), f"random-init preset {name}"


def _official_generator(official_dir: Path, G: Any) -> Any:
    import importlib.util
    import types

    sys.path.insert(0, str(official_dir))
    if importlib.util.find_spec("requests") is None:  # dnnlib imports it but G never uses it
        sys.modules["requests"] = types.ModuleType("requests")
    from training.networks import Generator as OfficialGenerator  # type: ignore[import-not-found]

    kw = {k: v for k, v in G.init_kwargs.items() if k != "tileable"}
    O = OfficialGenerator(**kw).eval()
    O.load_state_dict(G.state_dict())
    return O


REFERENCE_DESCRIPTION = (
    "same network and weights, one straightforward forward pass per frame: "
    "G.mapping(z, c, truncation_psi=0.7) then G.synthesis(ws, noise_mode='const', "
    "impl='ref') (reference ops: zero-insert/pad/FIR upfirdn2d, per-sample modulated "
    "weights in a grouped conv, step-by-step bias/activation; NCHW, no caching), then "
    "the uint8 conversion"
)


@dataclass
class Timing:
    """Per-frame samples of one variant: wall clock and this thread's CPU time (ms)."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, float]:
        def p90(v: list[float]) -> float:
            return statistics.quantiles(v, n=10)[-1] if len(v) > 1 else v[0]

        return {
            "wall_median": round(statistics.median(self.wall), 2),
            "wall_p90": round(p90(self.wall), 2),
            "cpu_median": round(statistics.median(self.cpu), 2),
            "cpu_p90": round(p90(self.cpu), 2),
        }


def _time_interleaved(
    variants: dict[str, Callable[[int], Any]], frames: int, sync: Callable[[], None] = lambda: None
) -> dict[str, Timing]:
    """Round-robin A B C A B C ... so load changes hit every variant alike. Besides wall
    time, the calling thread's CPU time is recorded: with one torch thread it counts the
    work done and not the time spent waiting for a core on a loaded machine."""
    for fn in variants.values():  # warm-up (allocations, oneDNN primitive caches)
        fn(-1)
        fn(-2)
    sync()
    out = {k: Timing() for k in variants}
    for i in range(frames):
        for k, fn in variants.items():
            c0, t0 = time.thread_time(), time.perf_counter()
            fn(i)
            sync()
            out[k].wall.append((time.perf_counter() - t0) * 1000)
            out[k].cpu.append((time.thread_time() - c0) * 1000)
    return out


def _untiled_copy(G: Any) -> Any:
    """G with tileable=False (zero padding: the official numerics), same weights."""
    from engine.stylegan.networks import Generator

    U = Generator(**{**G.init_kwargs, "tileable": False}).eval().requires_grad_(False)
    U.load_state_dict(G.state_dict())
    return U


def run_bench_render(args: argparse.Namespace) -> int:
    import numpy as np
    import torch

    from engine.stylegan.render import Renderer, RenderRequest, to_uint8

    if args.threads:
        torch.set_num_threads(args.threads)
    from cuda_ops import cpu_kernels

    dev = torch.device(args.device)
    # a first build of the CPU kernels must not fall into the timing
    kernels = cpu_kernels.available(wait=True) if dev.type == "cpu" else False
    G, source = _bench_generator(args.model, args.preset)
    if dev.type == "cuda" and not torch.cuda.is_available():
        from engine.errors import UserInputError

        raise UserInputError("no CUDA device is available", field="--device")
    G = G.to(dev)
    # the renderers keep the (tiny) mapping network on the CPU; the plain forward variants
    # time an untouched copy that lives wholly on the device
    P = copy.deepcopy(G)
    # separate renderers: a shared one would let the full-frame variant evict the cache the
    # fine-only variant relies on (round-robin timing), making "fine" a full render
    r_full = Renderer.from_generator(G, device=str(dev))
    r_fine = Renderer.from_generator(G, device=str(dev))
    info = r_full.info
    c = np.random.RandomState(0).randn(info.c_dim).astype(np.float32) if info.c_dim else None
    if c is not None:
        c /= np.linalg.norm(c)
    ct = torch.from_numpy(c)[None].to(dev) if c is not None else None
    fine = info.layer_ranges["fine"]
    direction = np.random.RandomState(1).randn(info.w_dim).astype(np.float32)
    base = r_fine.mapping(123, c, 0.7)
    z_all = torch.from_numpy(np.random.RandomState(2).randn(4096, G.z_dim).astype(np.float32))
    z_all = z_all.to(dev)

    def z(i: int) -> torch.Tensor:
        return z_all[i % 4096][None]

    def reference(i: int) -> Any:
        with torch.inference_mode():
            ws = P.mapping(z(i), ct, truncation_psi=0.7)
            return to_uint8(P.synthesis(ws, noise_mode="const", impl="ref"))

    def renderer_full(i: int) -> Any:
        return r_full.render(RenderRequest(c=c, seed=10_000 + i, noise_mode="const"))

    def renderer_fine(i: int) -> Any:
        return r_fine.render(RenderRequest(ws=base, offsets=[(direction, 0.01 * (i + 3), fine)]))

    def ours_forward(i: int) -> Any:
        with torch.inference_mode():
            return P(z(i), ct, noise_mode="const")

    variants: dict[str, Callable[[int], Any]] = {
        "reference_full": reference,
        "renderer_full": renderer_full,
        "renderer_fine_only": renderer_fine,
        "generator_forward": ours_forward,
    }
    checks: dict[str, float] = {}
    with torch.inference_mode():
        ws = torch.from_numpy(base)[None].to(dev)
        fast = P.synthesis(ws, noise_mode="const")
        checks["max_abs_diff_fast_vs_reference"] = float(
            (fast - P.synthesis(ws, noise_mode="const", impl="ref")).abs().max()
        )
    if args.official_dir is not None:
        O = _official_generator(args.official_dir, G)
        U = _untiled_copy(G)

        def official_forward(i: int) -> Any:
            with torch.inference_mode():
                return O(z(i), ct, noise_mode="const")

        def ours_forward_untiled(i: int) -> Any:
            with torch.inference_mode():
                return U(z(i), ct, noise_mode="const")

        variants["official_forward"] = official_forward
        variants["generator_forward_untiled"] = ours_forward_untiled
        with torch.inference_mode():
            checks["max_abs_diff_untiled_vs_official"] = float(
                (U(z(0), ct, noise_mode="const") - O(z(0), ct, noise_mode="const")).abs().max()
            )
    load_before = os.getloadavg()
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    t = _time_interleaved(variants, max(2, args.frames), sync)
    load_after = os.getloadavg()
    stats = {k: v.summary() for k, v in t.items()}

    def ratio(a: str, b: str, key: str) -> float:
        return round(stats[a][key] / stats[b][key], 2)

    speedups: dict[str, dict[str, float]] = {}
    pairs = {
        "full_vs_reference": ("reference_full", "renderer_full"),
        "fine_only_vs_reference": ("reference_full", "renderer_fine_only"),
        "fine_only_vs_full": ("renderer_full", "renderer_fine_only"),
    }
    if "official_forward" in stats:
        pairs["forward_vs_official"] = ("official_forward", "generator_forward_untiled")
        pairs["forward_tileable_vs_official"] = ("official_forward", "generator_forward")
    for name, (a, b) in pairs.items():
        speedups[name] = {
            "cpu": ratio(a, b, "cpu_median"),
            "wall": ratio(a, b, "wall_median"),
        }
    result: dict[str, Any] = {
        "source": source,
        "preset": args.preset or (config.BENCH_PRESET if source.startswith("random") else None),
        "resolution": info.resolution,
        "tileable": info.tileable,
        "num_ws": info.num_ws,
        "layer_ranges": {k: list(v) for k, v in info.layer_ranges.items()},
        "fine_layers": list(fine),
        "threads": torch.get_num_threads(),
        "cpu_kernels": kernels,
        "cpu_count": os.cpu_count(),
        "device": torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu",
        "load_avg_1min": [round(load_before[0], 2), round(load_after[0], 2)],
        "frames": max(2, args.frames),
        "method": "round-robin interleaved variants in one process; medians and p90 per "
        "frame; cpu = this thread's CPU time (time.thread_time), wall = perf_counter",
        "reference": REFERENCE_DESCRIPTION,
        "official": "NVlabs stylegan2-ada-pytorch training.networks.Generator, same weights, "
        "its own CPU fallbacks (no tileable mode, so it is compared with ours untiled)"
        if "official_forward" in stats
        else None,
        "ms_per_frame": stats,
        "speedup": speedups,
        "checks": {k: float(f"{v:.3g}") for k, v in checks.items()},
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"render bench ({source}, {info.resolution}px, {result['threads']} threads, "
            f"load {result['load_avg_1min']}, {result['frames']} frames per variant, "
            f"fused CPU kernels {'on' if kernels else 'off'})"
        )
        print(
            f"  {'variant':26s} {'cpu med':>8s} {'cpu p90':>8s} {'wall med':>9s} {'wall p90':>9s}"
        )
        for k, v in stats.items():
            print(
                f"  {k:26s} {v['cpu_median']:9.1f} {v['cpu_p90']:9.1f} "
                f"{v['wall_median']:9.1f} {v['wall_p90']:9.1f}"
            )
        for k, v in speedups.items():
            print(f"  speedup {k:30s} cpu {v['cpu']:.2f}x  wall {v['wall']:.2f}x")
        for k, val in checks.items():
            print(f"  {k}: {val:.2g}")
    return 0
