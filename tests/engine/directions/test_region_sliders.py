"""Named sliders with one vector per region: picked by region, stored, fitted, evaluated."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engine.directions.base import Direction, spread_along
from engine.directions.conditions import region_conditions
from engine.directions.store import DirectionFile, load_directions, save_directions


def _two_region_slider(w_dim: int, layers: tuple[int, int]) -> Direction:
    """Shared vector e0; Miao's own is e1 (scale 2), Hakka's e2 (scale 0.5)."""
    eye = np.eye(w_dim, dtype=np.float32)
    return Direction(
        "gold",
        "named",
        eye[0],
        1.0,
        layers,
        "all",
        {"method": "region-gradient"},
        by_region={"miao": (eye[1], 2.0), "hakka": (eye[2], 0.5)},
    )


def test_for_region_picks_the_regions_vector_and_scale() -> None:
    d = _two_region_slider(4, (0, 3))
    m = d.for_region("miao")
    np.testing.assert_array_equal(m.vector, np.eye(4, dtype=np.float32)[1])
    assert (m.scale, m.layers, m.name, m.kind) == (2.0, (0, 3), "gold", "named")
    assert not m.by_region  # a plain slider, as every caller expects
    assert d.for_region("tibetan") is d  # no vector of its own: the shared one
    assert d.for_region(None) is d
    vec, amount, layers = d.for_region("hakka").offset(2)
    assert amount == 1.0 and layers == (0, 3) and vec[2] == 1.0
    assert d.to_json()["region_scales"] == {"hakka": 0.5, "miao": 2.0}
    plain = Direction("gold", "named", np.ones(4, np.float32), 1.0, (0, 3))
    assert "region_scales" not in plain.to_json()


def test_store_keeps_per_region_vectors(tmp_path: Path) -> None:
    save_directions(tmp_path, DirectionFile("abc", [_two_region_slider(4, (0, 3))]))
    back = load_directions(tmp_path, "abc")
    assert back is not None
    (b,) = back.directions
    assert set(b.by_region) == {"miao", "hakka"}
    np.testing.assert_array_equal(b.by_region["hakka"][0], np.eye(4, dtype=np.float32)[2])
    assert b.by_region["miao"][1] == 2.0
    assert back.arrays == {}  # region vectors are not mistaken for arrays


def test_store_names_a_missing_region_vector(tmp_path: Path) -> None:
    from engine.errors import UserInputError

    save_directions(tmp_path, DirectionFile("abc", [_two_region_slider(4, (0, 3))]))
    doc = json.loads((tmp_path / "directions.json").read_text())
    doc["directions"][0]["region_scales"]["tibetan"] = 1.0
    (tmp_path / "directions.json").write_text(json.dumps(doc))
    with pytest.raises(UserInputError, match="named/gold@tibetan"):
        load_directions(tmp_path, "abc")
    doc["directions"][0]["region_scales"] = [1.0]
    (tmp_path / "directions.json").write_text(json.dumps(doc))
    with pytest.raises(UserInputError, match="region_scales"):
        load_directions(tmp_path, "abc")


def test_region_direction_steps_in_the_unit_of_every_slider() -> None:
    """Each region's vector loses the between-region axes, and one step along it is the
    spread of all centred samples along it (the common unit), not of its region's alone."""
    from engine.directions.named import region_direction

    rng = np.random.default_rng(0)
    ws_c = rng.normal(size=(40, 6))
    ws_c[:, 1] *= 5.0  # the samples spread widely along axis 1
    axis = np.zeros((1, 6))
    axis[0, 5] = 1.0  # the axis between the regions' means
    grads = {"miao": np.array([0, 3.0, 0, 0, 0, 1.0]), "hakka": np.array([0, 0, 2.0, 0, 0, 0])}
    d = region_direction("gold", grads, ws_c, axis, (0, 4), "all")
    v_m, s_m = d.by_region["miao"]
    v_h, s_h = d.by_region["hakka"]
    np.testing.assert_allclose(v_m, [0, 1, 0, 0, 0, 0], atol=1e-6)  # region axis removed
    np.testing.assert_allclose(v_h, [0, 0, 1, 0, 0, 0], atol=1e-6)
    assert s_m == pytest.approx(spread_along(ws_c, v_m))
    assert s_h == pytest.approx(spread_along(ws_c, v_h))
    assert s_m > 3 * s_h
    np.testing.assert_allclose(d.vector, np.array([0, 1, 1, 0, 0, 0]) / np.sqrt(2), atol=1e-6)
    assert d.layers == (0, 4)


def test_evaluation_moves_each_seed_along_its_regions_vector(tiny_renderer) -> None:
    """Hakka's own vector is zero: its tiles stay as they are at every step (Spearman 0),
    while the shared vector, were it used, would move them."""
    from engine.directions.evaluate import evaluate_sliders

    info = tiny_renderer.info
    rng = np.random.default_rng(1)
    moving = rng.normal(size=info.w_dim).astype(np.float32)
    moving /= np.linalg.norm(moving)
    d = Direction(
        "complexity",
        "named",
        moving,
        3.0,
        (0, info.num_ws),
        "all",
        by_region={"miao": (moving, 3.0), "hakka": (np.zeros(info.w_dim, np.float32), 3.0)},
    )
    conds = {r: c for r, c in region_conditions(None, 0).items() if r in ("miao", "hakka")}
    rep = evaluate_sliders(tiny_renderer, [d], conds, n_seeds=4)
    e = rep["sliders"]["complexity"]
    assert e["per_region_vectors"] is True
    assert e["spearman_by_region"]["hakka"] == 0.0
    assert e["spearman_by_region"]["miao"] != 0.0
    shared = Direction("complexity", "named", moving, 3.0, (0, info.num_ws), "all")
    rep2 = evaluate_sliders(tiny_renderer, [shared], conds, n_seeds=4)
    assert rep2["sliders"]["complexity"]["spearman_by_region"]["hakka"] != 0.0
    assert rep2["sliders"]["complexity"]["per_region_vectors"] is False


def test_gradients_by_region_come_from_each_regions_own_samples(cond_renderer, tiny_encoder):
    from engine.directions.gradient import attribute_gradients, attribute_gradients_by_region

    info = cond_renderer.info
    conds = {r: c for r, c in region_conditions(tiny_encoder, 32).items() if r in ("miao", "hakka")}
    ranges = {"all": (0, info.num_ws), "fine": info.layer_ranges["fine"]}
    per = attribute_gradients_by_region(cond_renderer, conds, "complexity", ranges, 3)
    assert set(per) == {"miao", "hakka"} and all(set(v) == set(ranges) for v in per.values())
    alone, _, regs = attribute_gradients(
        cond_renderer, {"hakka": conds["hakka"]}, "complexity", ranges, 3, seed=2
    )
    assert regs == ["hakka"] * 3
    np.testing.assert_allclose(per["hakka"]["all"], alone["all"])  # hakka is region k=1
    assert not np.allclose(per["miao"]["all"], per["hakka"]["all"])


@pytest.mark.slow
def test_fit_offers_per_region_candidates_for_a_conditioned_generator(
    cond_renderer, tiny_encoder
) -> None:
    from engine.directions.named import fit_named_directions

    conds = {r: c for r, c in region_conditions(tiny_encoder, 32).items() if r in ("miao", "hakka")}
    (d,) = fit_named_directions(
        cond_renderer, conds, 16, 2, attributes=("complexity",), gradient_samples=4
    )
    ranges = set(cond_renderer.info.layer_ranges) | {"all"}
    assert set(d.meta["region_gradient_spearman"]) == ranges
    best = max(
        *d.meta["range_spearman"].values(),
        *d.meta["gradient_spearman"].values(),
        *d.meta["region_gradient_spearman"].values(),
    )
    chosen = {
        "boundary": d.meta["range_spearman"],
        "gradient": d.meta["gradient_spearman"],
        "region-gradient": d.meta["region_gradient_spearman"],
    }[d.meta["method"]][d.layer_range]
    assert chosen >= best - 0.02
    assert bool(d.by_region) == (d.meta["method"] == "region-gradient")


def test_reports_name_each_regions_figure_for_per_region_sliders() -> None:
    from engine.directions.evaluate import region_spearman_line

    e = {"per_region_vectors": True, "spearman_by_region": {"miao": 0.9, "hakka": -0.25}}
    assert region_spearman_line(e) == "    by region (own vectors): miao +0.90, hakka -0.25"
    assert region_spearman_line({**e, "per_region_vectors": False}) is None
    assert region_spearman_line({"spearman_mean": 0.5}) is None  # reports from before
