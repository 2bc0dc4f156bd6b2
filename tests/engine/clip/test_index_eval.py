"""Retrieval index next to the database, search, and `wenyang eval clip`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest


@pytest.fixture(scope="module")
def encoder(tiny_model_dir: Path):  # type: ignore[no-untyped-def]
    from engine.clip import load_encoder

    return load_encoder(tiny_model_dir)


def test_build_search_and_reuse_index(encoder, tiny_db: Path) -> None:  # type: ignore[no-untyped-def]
    from engine.clip import build_index, load_index, search_image, search_text
    from engine.database import load_image, read_manifest

    idx = build_index(tiny_db, encoder)
    recs = read_manifest(tiny_db)
    assert (tiny_db / "clip_index.safetensors").is_file()
    assert json.loads((tiny_db / "clip_index.json").read_text())["ids"] == [r["id"] for r in recs]
    assert idx.embeddings.shape == (len(recs), encoder.embed_dim)
    again = load_index(tiny_db, encoder, rebuild=False)
    assert again.ids == idx.ids
    hits = search_text(idx, encoder, "苗族 蝴蝶", k=5)
    assert len(hits) == 5 and hits[0].score >= hits[-1].score
    local_hits = search_text(idx, encoder, "苗族 蝴蝶", k=5, local_weight=0.5)
    assert len(local_hits) == 5
    img = load_image(tiny_db, recs[3])
    top = search_image(idx, encoder, img, k=3)
    assert top[0].id == recs[3]["id"]  # an image finds itself first
    assert np.isclose(top[0].score, 1.0, atol=1e-2)


def test_stale_index_is_rebuilt(encoder, tiny_db: Path) -> None:  # type: ignore[no-untyped-def]
    from engine.clip import build_index, load_index

    build_index(tiny_db, encoder)
    meta_path = tiny_db / "clip_index.json"
    meta = json.loads(meta_path.read_text())
    meta["model_hash"] = "another-model"
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(FileNotFoundError):
        load_index(tiny_db, encoder, rebuild=False)
    load_index(tiny_db, encoder)
    assert json.loads(meta_path.read_text())["model_hash"] == encoder.model_hash


def test_eval_cli_json(
    tiny_model_dir: Path, tiny_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from engine.cli import main

    rc = main(
        [
            "eval",
            "clip",
            "--data",
            str(tiny_db),
            "--model",
            str(tiny_model_dir),
            "--json",
            "--no-timings",
            "--card",
        ]
    )
    assert rc == 0
    card = (tiny_model_dir / "README.md").read_text(encoding="utf-8")
    assert "Held-out figures" in card and "zero-shot region accuracy" in card
    fig = json.loads(capsys.readouterr().out)
    assert fig["images"] == 16
    for key in (
        "zero_shot_region_accuracy",
        "probe_region_accuracy",
        "t2i_precision@10_en",
        "t2i_precision@10_zh",
        "t2i_precision@10_en_local",
        "t2i_precision@10_zh_local",
    ):
        assert 0.0 <= fig[key] <= 1.0, key
    # 2 tiles per region: a motif may have no second tile, then image→image is undefined
    assert fig["i2i_precision@10"] is None or 0.0 <= fig["i2i_precision@10"] <= 1.0
    assert set(fig["t2i_en"]) == {"R@1", "R@5", "R@10"}


def test_eval_cli_missing_model_exit_2(
    tiny_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from engine.cli import main

    rc = main(["eval", "clip", "--data", str(tiny_db), "--model", str(tmp_path / "none")])
    assert rc == 2
    assert "Traceback" not in capsys.readouterr().err
