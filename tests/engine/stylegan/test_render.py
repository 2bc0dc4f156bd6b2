"""Renderer: requests, incremental rendering, batches; `wenyang generate` and its manifest."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.cli import main
from engine.errors import UserInputError
from engine.stylegan.render import Renderer, RenderRequest


def test_info_and_layer_ranges(tiny_model_dir: Path) -> None:
    r = Renderer(tiny_model_dir, device="cpu")
    info = r.info
    assert (info.resolution, info.c_dim, info.w_dim, info.num_ws) == (32, 8, 16, 8)
    ranges = info.layer_ranges
    assert ranges["coarse"][0] == 0 and ranges["fine"][1] == info.num_ws
    assert ranges["coarse"][1] == ranges["middle"][0] and ranges["middle"][1] == ranges["fine"][0]
    assert info.model_hash and info.tileable


def test_incremental_render_equals_full_render(tiny_model_dir: Path) -> None:
    r = Renderer(tiny_model_dir, device="cpu")
    c = np.ones(8, np.float32) / np.sqrt(8)
    first = r.render(RenderRequest(c=c, seed=1))
    d = np.random.RandomState(0).randn(16).astype(np.float32)
    fine = r.info.layer_ranges["fine"]
    edited = r.render(RenderRequest(c=c, seed=1, offsets=[(d, 2.0, fine)]))
    assert not np.array_equal(first.image, edited.image)
    assert np.array_equal(edited.ws[: fine[0]], first.ws[: fine[0]])
    fresh = Renderer(tiny_model_dir, device="cpu").render(RenderRequest(ws=edited.ws))
    assert np.array_equal(fresh.image, edited.image)  # reuse changes nothing


def test_mapping_truncation_and_mix(tiny_model_dir: Path) -> None:
    r = Renderer(tiny_model_dir, device="cpu")
    w0 = r.mapping(3, None, truncation=0.0)
    assert np.allclose(w0, r.G.mapping.w_avg.numpy()[None], atol=1e-6)
    a = r.mapping(3, None, 1.0)
    b = r.mapping(4, None, 1.0)
    ws = r.request_ws(RenderRequest(ws=a, mix_ws=b, mix_from_layer=5))
    assert np.array_equal(ws[:5], a[:5]) and np.array_equal(ws[5:], b[5:])


def test_batch_matches_single(tiny_model_dir: Path) -> None:
    r = Renderer(tiny_model_dir, device="cpu")
    reqs = [RenderRequest(seed=s, request_id=s) for s in range(3)]
    batch = r.render_batch(reqs)
    assert [b.request_id for b in batch] == [0, 1, 2]
    for req, res in zip(reqs, batch, strict=True):
        single = r.render(req).image.astype(int)
        assert np.abs(single - res.image.astype(int)).max() <= 1


def test_bad_inputs(tiny_model_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(UserInputError):
        Renderer(tmp_path / "none")
    r = Renderer(tiny_model_dir, device="cpu")
    with pytest.raises(UserInputError, match="expects 8"):
        r.render(RenderRequest(c=np.ones(5, np.float32)))


def test_generate_cli_writes_reproducible_manifest(
    tiny_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import engine.paths

    monkeypatch.setattr(engine.paths, "MODELS_DIR", tmp_path / "no-models")  # no shipped CLIP
    out = tmp_path / "out"
    rc = main(
        [
            "generate",
            "--region",
            "miao",
            "--text",
            "butterfly",
            "-n",
            "2",
            "--seed",
            "7",
            "--model",
            str(tiny_model_dir),
            "--clip-model",
            str(tmp_path / "no-clip"),
            "--out",
            str(out),
        ]
    )
    assert rc == 2  # the CLIP folder given does not exist: a clear user error
    rc = main(
        [
            "generate",
            "--region",
            "miao",
            "-n",
            "2",
            "--seed",
            "7",
            "--model",
            str(tiny_model_dir),
            "--out",
            str(out),
            "--device",
            "cpu",
        ]
    )
    assert rc == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert [im["seed"] for im in manifest["images"]] == [7, 8]
    r = Renderer(tiny_model_dir, device="cpu")
    assert manifest["noise_mode"] == "seeded"  # each tile's noise from its seed, as the studio
    for im in manifest["images"]:
        png = np.asarray(Image.open(out / im["file"]))
        again = r.render(
            RenderRequest(
                ws=np.asarray(im["ws"], np.float32),
                noise_mode=manifest["noise_mode"],
                noise_seed=im["seed"],
            )
        )
        assert np.array_equal(png, again.image)  # bit-identical from the stored ws and seed
    assert (
        main(
            [
                "generate",
                "--region",
                "atlantis",
                "--model",
                str(tiny_model_dir),
                "--out",
                str(tmp_path / "x"),
            ]
        )
        == 2
    )
