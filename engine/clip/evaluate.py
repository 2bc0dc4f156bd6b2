"""`wenyang eval clip` figures on a held-out database (seeds never used in training).

Region accuracy (zero-shot prompt ensembles, and the linear probe when shipped), exact-pair
retrieval R@1/5/10, text→image precision@10 for (region, primary motif) with English and
Chinese captions as queries, with and without local alignment, image→image precision@10,
and the speeds the studio depends on.
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.clip.encoder import CulturalEncoder
from engine.clip.index import load_index
from engine.clip.metrics import (
    accuracy,
    combined_scores,
    per_class_accuracy,
    precision_at_k,
    recall_at_k,
)
from engine.clip.text import primary_motif


def _ms(fn: Any, repeats: int) -> tuple[float, float]:
    """(median wall ms, median CPU ms of this thread) per call, after one warm-up call.

    CPU time is what the call costs on this CPU when it has a core to itself; wall time also
    counts waiting for a core on a busy machine. Both are reported.
    """
    fn()
    wall, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.thread_time()
        fn()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.thread_time() - c0) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def timings(encoder: CulturalEncoder, repeats: int = 20, threads: int = 1) -> dict[str, Any]:
    """classify ms per 256² image (batch 1) and encode_text ms per new / repeated descriptor,
    measured with `threads` torch threads (1: the studio's worker thread on a busy laptop)."""
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (1, 256, 256, 3), dtype=np.uint8)

    def fresh_text() -> None:  # a descriptor never seen before: no cache hit
        encoder.encode_text([f"miao butterfly silver 蝴蝶 red n{time.perf_counter_ns()}"])

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        figures = {
            "classify": _ms(lambda: encoder.classify(img), repeats),
            "encode_image": _ms(lambda: encoder.encode_image(img), repeats),
            "encode_text": _ms(fresh_text, repeats),
            "encode_text_cached": _ms(
                lambda: encoder.encode_text(["flying apsaras ribbons, golden accents"]), repeats
            ),
        }
    finally:
        torch.set_num_threads(before)
    out: dict[str, Any] = {"torch_threads": threads, "load_average_1min": _load()}
    for name, (wall, cpu) in figures.items():
        out[f"{name}_ms"] = round(wall, 3)
        out[f"{name}_cpu_ms"] = round(cpu, 3)
    return out


def _load() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


@torch.no_grad()
def evaluate(
    encoder: CulturalEncoder,
    db_dir: str | Path,
    local_weight: float = 0.5,
    k: int = 10,
    with_timings: bool = True,
) -> dict[str, Any]:
    """All figures as one JSON-ready dict."""
    index = load_index(db_dir, encoder)
    recs = index.records
    keys = [f"{r['region']}/{primary_motif(r)}" for r in recs]
    labels = torch.tensor([encoder.regions.index(r["region"]) for r in recs])
    img = index.embeddings
    en = encoder.encode_text([str(r.get("caption_en", "")) for r in recs]).embeddings.cpu()
    zh = encoder.encode_text([str(r.get("caption_zh", "")) for r in recs]).embeddings.cpu()
    zs = encoder.zero_shot_weights().cpu()
    zs_probs = torch.softmax(encoder.logit_scale * img @ zs.T, dim=1)
    out: dict[str, Any] = {
        "model": encoder.name,
        "model_hash": encoder.model_hash,
        "data": str(db_dir),
        "images": len(recs),
        "zero_shot_region_accuracy": accuracy(zs_probs, labels),
        "zero_shot_per_region": per_class_accuracy(zs_probs, labels, encoder.regions),
    }
    if encoder.probe is not None:
        w, b = (t.cpu() for t in encoder.probe)
        out["probe_region_accuracy"] = accuracy(img @ w.T + b, labels)
    for lang, q in (("en", en), ("zh", zh)):
        sim = q @ img.T
        out[f"t2i_{lang}"] = recall_at_k(sim)
        out[f"i2t_{lang}"] = recall_at_k(sim.T)
        out[f"t2i_precision@{k}_{lang}"] = precision_at_k(sim, keys, keys, k)
        local = combined_scores(q, img, index.local, local_weight)
        out[f"t2i_precision@{k}_{lang}_local"] = precision_at_k(local, keys, keys, k)
        out[f"t2i_{lang}_local"] = recall_at_k(local)
    out["local_alignment"] = {"weight": local_weight, "regions": int(index.local.shape[1])}
    out[f"i2i_precision@{k}"] = precision_at_k(img @ img.T, keys, keys, k, exclude_self=True)
    if with_timings:
        out["timings"] = timings(encoder)
    out["machine"] = f"{platform.machine()} {platform.system()}, {torch.get_num_threads()} threads"
    return _no_nan(out)


def _no_nan(value: Any) -> Any:
    """NaN (a figure with no valid query, e.g. no second tile of a motif) → None for JSON."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _no_nan(v) for k, v in value.items()}
    return value


def format_report(fig: dict[str, Any], k: int = 10) -> str:
    """A short human-readable table of the figures."""
    lines = [
        f"CLIP model {fig['model']} ({fig['model_hash']}) on {fig['data']}: {fig['images']} tiles",
        f"  zero-shot region accuracy   {fig['zero_shot_region_accuracy']:.3f}",
    ]
    if "probe_region_accuracy" in fig:
        lines.append(f"  linear-probe accuracy       {fig['probe_region_accuracy']:.3f}")
    for lang in ("en", "zh"):
        t2i = fig[f"t2i_{lang}"]
        lines.append(
            f"  {lang} captions: P@{k} {fig[f't2i_precision@{k}_{lang}']:.3f} "
            f"(local alignment {fig[f't2i_precision@{k}_{lang}_local']:.3f}); "
            + " ".join(f"{m} {v:.3f}" for m, v in t2i.items())
        )
    i2i = fig[f"i2i_precision@{k}"]
    lines.append(f"  image→image P@{k}           " + ("n/a" if i2i is None else f"{i2i:.3f}"))
    if "timings" in fig:
        t = fig["timings"]
        lines.append(
            f"  classify {t['classify_ms']:.1f} ms/256² image (CPU {t['classify_cpu_ms']:.1f} ms),"
            f" encode_text {t['encode_text_ms']:.2f} ms (CPU {t['encode_text_cpu_ms']:.2f} ms,"
            f" cached {t['encode_text_cached_ms']:.3f} ms); load average {t['load_average_1min']}"
        )
    return "\n".join(lines)
