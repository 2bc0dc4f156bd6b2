"""Truncation toward the region's mean w: the shipped means, the Renderer and the numpy
renderer applying them alike, and `wenyang generate --truncate-to`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.cli import main
from engine.culture import REGION_IDS
from engine.stylegan import numpy_render
from engine.stylegan.region_truncation import load_region_means, truncation_centre
from engine.stylegan.render import DEFAULT_MODEL_DIR, Renderer, RenderRequest


@pytest.fixture(scope="module")
def shipped() -> Renderer:
    return Renderer(DEFAULT_MODEL_DIR, device="cpu")


def test_the_shipped_model_has_a_mean_per_region(shipped: Renderer) -> None:
    means = load_region_means(DEFAULT_MODEL_DIR)
    assert sorted(means) == sorted(REGION_IDS)
    assert shipped.info.region_means == tuple(sorted(REGION_IDS)) and shipped.info.has_prior
    w_dim = shipped.info.w_dim
    assert all(m.shape == (w_dim,) and np.isfinite(m).all() for m in means.values())
    # the regions' centres differ from each other and from the global mean
    g = shipped.G.mapping.w_avg.numpy()
    assert min(np.linalg.norm(m - g) for m in means.values()) > 1e-3
    assert np.linalg.norm(means["miao"] - means["tibetan"]) > 1e-3
    assert truncation_centre("miao", "global", means) is None
    assert truncation_centre("nowhere", "region", means) is None
    assert truncation_centre("miao", "region", means, w_dim=w_dim + 1) is None
    assert load_region_means(Path("/nonexistent")) == {}


def test_renderer_truncates_toward_the_given_centre(shipped: Renderer) -> None:
    c = np.random.default_rng(0).standard_normal(shipped.info.c_dim).astype(np.float32)
    c /= np.linalg.norm(c)
    m = shipped.truncation_centre("hakka", "region")
    assert m is not None and shipped.truncation_centre("hakka", "global") is None
    raw = shipped.mapping(7, c, 1.0)
    ws = shipped.request_ws(RenderRequest(c=c, seed=7, truncation=0.6, w_avg=m))
    np.testing.assert_allclose(ws, m + 0.6 * (raw - m), atol=1e-5)
    plain = shipped.request_ws(RenderRequest(c=c, seed=7, truncation=0.6))
    assert not np.allclose(ws, plain, atol=1e-3)
    # the first-frame helper's numpy forward agrees (same prior, same centre)
    g = numpy_render.load(DEFAULT_MODEL_DIR)
    got = g.render(7, c, 0.6, w_avg=g.truncation_centre("hakka", "region"))
    ref = shipped.render(RenderRequest(c=c, seed=7, truncation=0.6, w_avg=m)).image
    assert np.abs(got.astype(int) - ref.astype(int)).max() <= 1


def test_generate_truncates_toward_the_region_by_default(tmp_path: Path) -> None:
    base = ["generate", "--region", "miao", "--seed", "3", "-n", "1"]
    assert main([*base, "--out", str(tmp_path / "r")]) == 0
    assert main([*base, "--truncate-to", "global", "--out", str(tmp_path / "g")]) == 0
    mr = json.loads((tmp_path / "r" / "manifest.json").read_text(encoding="utf-8"))
    mg = json.loads((tmp_path / "g" / "manifest.json").read_text(encoding="utf-8"))
    assert (mr["truncate_to"], mg["truncate_to"]) == ("region", "global")
    a = np.asarray(Image.open(tmp_path / "r" / mr["images"][0]["file"]))
    b = np.asarray(Image.open(tmp_path / "g" / mg["images"][0]["file"]))
    assert a.shape == b.shape and np.abs(a.astype(int) - b.astype(int)).mean() > 1
