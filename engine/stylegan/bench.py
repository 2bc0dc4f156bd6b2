"""`wenyang bench render`: ms/frame of the renderer against a plain reference forward.

All variants run interleaved in one process (so machine load hits them alike) and the
median per variant is reported. The reference is the same network and weights computed
with the reference ops (NCHW, no caching); the official code is timed only when its folder
is given (--official-dir), on the same weights.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def register_bench(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("render", help="renderer ms/frame vs a reference forward pass")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument(
        "--model",
        type=Path,
        help="generator folder (default: shipped, else a random-init model of the bench preset)",
    )
    p.add_argument("--preset", default=None, help="preset for the random-init model")
    p.add_argument("--frames", type=int, default=10, help="frames per variant (default 10)")
    p.add_argument(
        "--official-dir", type=Path, help="local StyleGAN2-ADA checkout to time its forward too"
    )
    p.add_argument("--threads", type=int, default=0, help="torch threads (0 = default)")
    p.set_defaults(func=run_bench_render)


def _bench_generator(model: Path | None, preset: str | None) -> tuple[Any, str]:
    import torch

    from engine.stylegan import checkpoint, config
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


def _time_interleaved(variants: dict[str, Callable[[int], Any]], frames: int) -> dict[str, float]:
    for fn in variants.values():  # warm-up (allocations, oneDNN primitive caches)
        fn(-1)
        fn(-2)
    times: dict[str, list[float]] = {k: [] for k in variants}
    for i in range(frames):
        for k, fn in variants.items():
            t0 = time.perf_counter()
            fn(i)
            times[k].append((time.perf_counter() - t0) * 1000)
    return {k: statistics.median(v) for k, v in times.items()}


def run_bench_render(args: argparse.Namespace) -> int:
    import numpy as np
    import torch

    from engine.stylegan.render import Renderer, RenderRequest

    if args.threads:
        torch.set_num_threads(args.threads)
    G, source = _bench_generator(args.model, args.preset)
    G = G.cpu()
    r = Renderer.from_generator(G, device="cpu")
    info = r.info
    c = np.random.RandomState(0).randn(info.c_dim).astype(np.float32) if info.c_dim else None
    if c is not None:
        c /= np.linalg.norm(c)
    ct = torch.from_numpy(c)[None] if c is not None else None
    fine = info.layer_ranges["fine"]
    direction = np.random.RandomState(1).randn(info.w_dim).astype(np.float32)
    base = r.mapping(123, c, 0.7)
    z_all = torch.from_numpy(np.random.RandomState(2).randn(4096, G.z_dim).astype(np.float32))

    def reference(i: int) -> Any:
        with torch.inference_mode():
            return G.synthesis(torch.from_numpy(base)[None], noise_mode="const", impl="ref")

    def renderer_full(i: int) -> Any:
        return r.render(RenderRequest(c=c, seed=1000 + i + 10, noise_mode="const"))

    def renderer_fine(i: int) -> Any:
        return r.render(RenderRequest(ws=base, offsets=[(direction, 0.01 * (i + 3), fine)]))

    def ours_forward(i: int) -> Any:
        with torch.inference_mode():
            return G(z_all[i % 4096][None], ct, noise_mode="const")

    variants: dict[str, Callable[[int], Any]] = {
        "reference_full": reference,
        "renderer_full": renderer_full,
        "renderer_fine_only": renderer_fine,
        "generator_forward": ours_forward,
    }
    if args.official_dir is not None:
        O = _official_generator(args.official_dir, G)

        def official_forward(i: int) -> Any:
            with torch.inference_mode():
                return O(z_all[i % 4096][None], ct, noise_mode="const")

        variants["official_forward"] = official_forward
    ms = _time_interleaved(variants, max(1, args.frames))
    result: dict[str, Any] = {
        "source": source,
        "resolution": info.resolution,
        "num_ws": info.num_ws,
        "fine_layers": list(fine),
        "threads": torch.get_num_threads(),
        "frames": args.frames,
        "ms_per_frame": {k: round(v, 2) for k, v in ms.items()},
        "speedup_full_vs_reference": round(ms["reference_full"] / ms["renderer_full"], 2),
        "speedup_fine_vs_reference": round(ms["reference_full"] / ms["renderer_fine_only"], 2),
    }
    if "official_forward" in ms:
        result["speedup_forward_vs_official"] = round(
            ms["official_forward"] / ms["generator_forward"], 2
        )
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"render bench ({source}, {info.resolution}px, {result['threads']} threads, "
            f"median of {args.frames})"
        )
        for k, v in result["ms_per_frame"].items():
            print(f"  {k:20s} {v:8.1f} ms/frame")
        for k, v in result.items():
            if k.startswith("speedup"):
                print(f"  {k:32s} {v:.2f}x")
    return 0
