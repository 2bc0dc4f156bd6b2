"""Annotations are true of the pixels: gold tracks the share of metallic pixels and
complexity tracks edge density, each measured here independently of the annotator."""

import cv2
import numpy as np
from scipy.stats import spearmanr

from engine.culture import REGION_IDS, get_region
from engine.database import render_sample
from engine.database.measure import warmth


def _independent_gold_share(img: np.ndarray, region: str) -> float:
    met = [c.rgb for c in get_region(region).colours if c.metallic]
    if not met:
        return 0.0
    d = np.linalg.norm(
        img[:, :, None, :].astype(float) - np.array(met, float)[None, None], axis=-1
    ).min(-1)
    return float((d < 30).mean())


def _canny_density(img: np.ndarray) -> float:
    g = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    return float((cv2.Canny(g, 60, 150) > 0).mean())


def test_gold_and_complexity_follow_the_pixels():
    gold, gold_px, cx, edges = [], [], [], []
    for region in REGION_IDS:
        for seed in range(10):  # 80 samples
            s = render_sample(region, seed, 64)
            gold.append(s.record["attributes"]["gold"])
            gold_px.append(_independent_gold_share(s.image, region))
            cx.append(s.record["attributes"]["complexity"])
            edges.append(_canny_density(s.image))
    rho_gold = spearmanr(gold, gold_px)[0]
    rho_cx = spearmanr(cx, edges)[0]
    print(f"spearman gold={rho_gold:.3f} complexity={rho_cx:.3f}")
    assert rho_gold >= 0.7
    assert rho_cx >= 0.7
    assert np.mean(np.array(gold) > 0.2) > 0.15  # gold is actually used


def test_warmth_reads_warm_and_cool_inks():
    red = np.zeros((32, 32, 3), np.uint8)
    red[...] = (200, 40, 30)
    blue = np.zeros((32, 32, 3), np.uint8)
    blue[...] = (30, 60, 160)
    grey = np.full((32, 32, 3), 128, np.uint8)
    assert warmth(red) > 0.9 and warmth(blue) < 0.1 and warmth(grey) == 0.5
    # Miao embroidery on black is warm, Jiangnan blue calico cool
    assert render_sample("miao", 0, 48).record["attributes"]["warmth"] > 0.6
    calico = [render_sample("jiangnan", s, 48).record for s in range(6)]
    assert min(r["attributes"]["warmth"] for r in calico) < 0.3
