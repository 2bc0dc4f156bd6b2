from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from safetensors.numpy import load_file

from engine.abtest.batch import (
    MANIFEST_COLUMNS,
    RESULTS_COLUMNS,
    BatchSpec,
    Variant,
    variant_ids,
    write_batch,
)
from engine.errors import UserInputError
from engine.export.provenance import IPTC_SOURCE_TYPE


def _variants(spec: BatchSpec, num_ws: int = 6, w_dim: int = 8) -> list[Variant]:
    rng = np.random.default_rng(0)
    ids = variant_ids(spec, "hash0", None)
    return [
        Variant(
            vid,
            spec.seed + i,
            rng.integers(0, 256, (16, 16, 3)).astype(np.uint8),
            rng.standard_normal((num_ws, w_dim)).astype(np.float32),
        )
        for i, vid in enumerate(ids)
    ]


def test_variant_ids_are_stable_and_batch_unique() -> None:
    a = variant_ids(BatchSpec("miao", "蝴蝶", 3, 5), "h", None)
    assert a == variant_ids(BatchSpec("miao", "蝴蝶", 3, 5), "h", None)
    assert len(set(a)) == 3
    b = variant_ids(BatchSpec("miao", "漩涡", 3, 5), "h", None)
    assert not set(a) & set(b)
    # another truncation centre or no text prior renders other pixels: other ids
    g = variant_ids(BatchSpec("miao", "蝴蝶", 3, 5, truncate_to="global"), "h", None)
    n = variant_ids(BatchSpec("miao", "蝴蝶", 3, 5, use_prior=False), "h", None)
    assert not set(a) & set(g) and not set(a) & set(n) and not set(g) & set(n)
    # a prior drawing from the whole bank (a design made before session 7) too
    w = variant_ids(BatchSpec("miao", "蝴蝶", 3, 5, prior_by_region=False), "h", None)
    assert not set(a) & set(w)
    # and one drawing among all tiles, not only the faithfully drawn (before session 9)
    f = variant_ids(BatchSpec("miao", "蝴蝶", 3, 5, prior_faithful=False), "h", None)
    assert not set(a) & set(f) and not set(w) & set(f)


def test_render_variants_sends_the_region_to_the_prior_unless_the_design_predates_it() -> None:
    from engine.abtest.batch import render_variants

    seen: list[str | None] = []
    faithful: list[bool] = []

    class Recording:
        class info:  # stands in for RendererInfo
            model_hash = "h"

        def truncation_centre(self, region: str, truncate_to: str) -> None:
            return None

        def render_batch(self, reqs):  # type: ignore[no-untyped-def]
            from engine.stylegan.render import RenderResult

            seen.extend(r.region for r in reqs)
            faithful.extend(r.prior_faithful for r in reqs)
            return [RenderResult(np.zeros((4, 4, 3), np.uint8), np.zeros((2, 3)), 0.0)] * len(reqs)

    render_variants(Recording(), BatchSpec("hakka", n=2), None)
    render_variants(Recording(), BatchSpec("hakka", n=2, prior_by_region=False), None)
    assert seen == ["hakka", "hakka", None, None]
    render_variants(Recording(), BatchSpec("hakka", n=1, prior_faithful=False), None)
    assert faithful == [True, True, True, True, False]


def test_write_batch_format(tmp_path: Path) -> None:
    spec = BatchSpec("dunhuang", "飞天 飘带, golden", 4, seed=10, truncation=0.6)
    vs = _variants(spec)
    c = np.ones(5, np.float32) / np.sqrt(5)
    emb = np.eye(4, 3, dtype=np.float32)
    out = write_batch(
        tmp_path / "b", spec, vs, model_id="gen", model_hash="hash0", c=c, embeddings=emb
    )
    with open(out / "manifest.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
        assert tuple(rows[0]) == MANIFEST_COLUMNS
    assert [r["variant_id"] for r in rows] == [v.variant_id for v in vs]
    assert rows[1]["seed"] == "11" and rows[1]["descriptors"] == "飞天 飘带, golden"
    assert all(r["model_hash"] == "hash0" and r["region"] == "dunhuang" for r in rows)
    for r, v in zip(rows, vs, strict=True):
        img = Image.open(out / r["file"])
        assert np.array_equal(np.asarray(img), v.image)
        assert img.text["wenyang:variant_id"] == v.variant_id
        assert img.text["DigitalSourceType"] == IPTC_SOURCE_TYPE
    lat = load_file(str(out / "latents.safetensors"))
    assert set(lat) == {v.variant_id for v in vs}
    assert np.array_equal(lat[vs[2].variant_id], vs[2].ws)
    embs = load_file(str(out / "embeddings.safetensors"))
    assert np.array_equal(embs[vs[0].variant_id], emb[0])
    meta = json.loads((out / "batch.json").read_text(encoding="utf-8"))
    assert meta["format"] == "wenyang-abtest" and meta["version"] == 1 and meta["n"] == 4
    assert meta["c"] == pytest.approx(c.tolist()) and meta["region"] == "dunhuang"
    with open(out / "results_template.csv", encoding="utf-8", newline="") as fh:
        res = list(csv.reader(fh))
    assert tuple(res[0]) == RESULTS_COLUMNS
    assert [r[0] for r in res[1:]] == [v.variant_id for v in vs]
    assert all(x == "" for r in res[1:] for x in r[1:])


def test_the_tuner_reads_the_batch(tmp_path: Path) -> None:
    from engine.tuner import batch as tuner_batch

    spec = BatchSpec("miao", "", 3, seed=1)
    vs = _variants(spec)
    out = write_batch(tmp_path / "b", spec, vs, model_id="gen", model_hash="hash0", c=None)
    batch = tuner_batch.read_batches([out])
    assert batch.ids == [v.variant_id for v in vs]
    assert batch.num_ws == 6 and batch.w_dim == 8
    assert np.allclose(batch.w_mean[0], vs[0].ws.mean(0))


def test_non_empty_out_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "keep.txt").write_text("x")
    spec = BatchSpec("miao", "", 2)
    with pytest.raises(UserInputError, match="not empty"):
        write_batch(tmp_path / "b", spec, _variants(spec), model_id="g", model_hash="h", c=None)
    assert (tmp_path / "b" / "keep.txt").exists()


def test_failed_write_leaves_no_folder(tmp_path: Path) -> None:
    spec = BatchSpec("miao", "", 2)
    vs = _variants(spec)
    bad = [vs[0], Variant(vs[1].variant_id, 1, vs[1].image.astype(np.float64), vs[1].ws)]
    with pytest.raises(Exception):  # noqa: B017 - any failure, the point is what is left
        write_batch(tmp_path / "b", spec, bad, model_id="g", model_hash="h", c=None)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("kw", "field"), [({"n": 0}, "-n"), ({"truncation": 3.0}, "--truncation")])
def test_spec_checks(kw: dict, field: str) -> None:
    with pytest.raises(UserInputError, match=field):
        BatchSpec("miao", **kw)
