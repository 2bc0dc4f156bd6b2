"""`wenyang eval seg [--json]`: garment mask IoU on held-out generated composites.

The held-out composites use seeds from EVAL_SEED_BASE on, which training never uses.
`iou` is the model's mask as the studio shows it (`garment_mask`: p >= 0.5, the garment's
blobs, small holes filled); `iou_raw` the bare p >= 0.5; `iou_grabcut` the mask after one
GrabCut refinement seeded by the model inside a rectangle around the garment (what a
designer draws: the true garment's box, padded by 4 % of the image).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any


def evaluate_seg(
    model: Path | None = None, n: int = 200, size: int = 256, pool_size: int = 32
) -> dict[str, Any]:
    import numpy as np

    from engine.mockup.refine import iou, refine_mask
    from engine.mockup.seg_data import EVAL_SEED_BASE, PatternPool, composite
    from engine.mockup.segment import Segmenter, garment_mask

    seg = Segmenter(model)
    pool = PatternPool(pool_size)
    ious, ious_raw, ious_gc = [], [], []
    t0 = time.perf_counter()
    t_model = 0.0
    for i in range(n):
        img, gt = composite(EVAL_SEED_BASE + i, size, pool)
        t = time.perf_counter()
        prob = seg.predict(img)
        t_model += time.perf_counter() - t
        ious_raw.append(iou(prob >= 0.5, gt))
        ious.append(iou(garment_mask(prob), gt))
        ys, xs = np.nonzero(gt)
        pad = round(0.04 * size)
        rect = (xs.min() - pad, ys.min() - pad, xs.max() + 1 + pad, ys.max() + 1 + pad)
        ious_gc.append(iou(refine_mask(img, prob, rect, iterations=1), gt))
    return {
        "iou": round(float(np.mean(ious)), 4),
        "iou_grabcut": round(float(np.mean(ious_gc)), 4),
        "iou_median": round(float(np.median(ious)), 4),
        "iou_raw": round(float(np.mean(ious_raw)), 4),
        "n": n,
        "size": size,
        "seed_base": EVAL_SEED_BASE,
        "model_ms": round(1000 * t_model / max(n, 1), 1),
        "model": str(model) if model else "shipped",
        "input_size": int(seg.config.get("input_size", 0)),
        "seconds": round(time.perf_counter() - t0, 1),
    }


def _run(args: argparse.Namespace) -> int:
    res = evaluate_seg(args.model, args.n, args.size, args.pool)
    if args.json:
        print(json.dumps(res, indent=2))
    else:
        print(
            f"garment segmentation on {res['n']} held-out composites ({res['size']} px): "
            f"IoU {res['iou']:.3f}, after GrabCut {res['iou_grabcut']:.3f}",
            file=sys.stdout,
        )
    return 0


def register_eval(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("seg", help="garment segmentation IoU on held-out composites")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument(
        "--model",
        type=Path,
        default=None,
        help="model folder or cloths_segmentation .ckpt (default: shipped)",
    )
    p.add_argument("--n", type=int, default=200, help="number of held-out composites")
    p.add_argument("--size", type=int, default=256, help="composite size in px")
    p.add_argument("--pool", type=int, default=32, help="database tiles in the pattern pool")
    p.set_defaults(func=_run)
