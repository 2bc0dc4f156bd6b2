"""`.wenyang` project files: exact round trip and clear errors for damaged files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engine.errors import UserInputError
from engine.project import (
    FORMAT_VERSION,
    Design,
    ModelRef,
    Offset,
    PolicyRef,
    from_dict,
    load_project,
    save_project,
    to_dict,
)


def _design() -> Design:
    rng = np.random.default_rng(0)
    return Design(
        region="miao",
        text="蝴蝶妈妈 silver",
        seed=123456,
        truncation=0.55,
        condition=rng.standard_normal(512).astype(np.float32),
        ws=rng.standard_normal((14, 512)).astype(np.float32),
        offsets=[
            Offset("attr:gold", -1.25, (4, 10), rng.standard_normal(512).astype(np.float32), "gold")
        ],
        mix_seed=7,
        mix_from_layer=6,
        policy=PolicyRef("p.safetensors", "pol-1", 0.4),
        repeat="half-drop",
        model=ModelRef("wenyang-128", "ab" * 32),
    )


def test_round_trip_is_bit_exact(tmp_path: Path) -> None:
    d = _design()
    p = save_project(tmp_path / "a.wenyang", d)
    e = load_project(p)
    assert np.array_equal(e.condition, d.condition) and e.condition.dtype == np.float32
    assert np.array_equal(e.ws, d.ws)
    assert np.array_equal(e.offsets[0].vector, d.offsets[0].vector)
    assert (e.region, e.text, e.seed, e.truncation, e.mix_seed, e.mix_from_layer, e.repeat) == (
        d.region,
        d.text,
        d.seed,
        d.truncation,
        d.mix_seed,
        d.mix_from_layer,
        d.repeat,
    )
    assert e.policy == d.policy and e.model == d.model and e.offsets[0].layers == (4, 10)
    assert json.loads(p.read_text(encoding="utf-8"))["version"] == FORMAT_VERSION
    assert not list(tmp_path.glob(".*part*"))  # atomic write leaves no temporary


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda o: o.update(format="x"), "format"),
        (lambda o: o.update(version=FORMAT_VERSION + 1), "update the application"),
        (lambda o: o.update(seed=-1), "seed"),
        (lambda o: o.update(seed="12"), "seed"),
        (lambda o: o.update(truncation=True), "truncation"),
        (lambda o: o.pop("region"), "region: missing"),
        (lambda o: o.update(repeat="diagonal"), "repeat"),
        (lambda o: o["condition"].update(b64="!!!"), "condition"),
        (lambda o: o["condition"].update(shape=[3]), "condition: holds"),
        (lambda o: o["offsets"][0].update(layers=[5, 2]), "offsets[0].layers"),
        (lambda o: o["policy"].update(strength=2.0), "policy.strength"),
    ],
)
def test_damaged_fields_are_named(tmp_path: Path, mutate, needle: str) -> None:
    obj = to_dict(_design())
    mutate(obj)
    p = tmp_path / "bad.wenyang"
    p.write_text(json.dumps(obj), encoding="utf-8")
    with pytest.raises(UserInputError) as ei:
        load_project(p)
    assert needle in str(ei.value) and "bad.wenyang" in str(ei.value)


def test_not_json_and_missing_file(tmp_path: Path) -> None:
    p = tmp_path / "x.wenyang"
    p.write_text('{"format": "wenyang-project",\n "version": 1,,}', encoding="utf-8")
    with pytest.raises(UserInputError, match=r"x.wenyang:2: column .*invalid JSON"):
        load_project(p)
    with pytest.raises(UserInputError, match="no such file"):
        load_project(tmp_path / "nope.wenyang")
    with pytest.raises(UserInputError, match="JSON object"):
        from_dict([1, 2])


def test_minimal_file_gets_defaults() -> None:
    d = from_dict({"format": "wenyang-project", "version": 1, "region": "hakka", "seed": 3})
    assert d.truncation == 0.7 and d.offsets == [] and d.condition is None and d.mix_seed is None


def test_truncation_centre_defaults_by_format_version(tmp_path: Path) -> None:
    old = {"format": "wenyang-project", "version": 2, "region": "hakka", "seed": 3}
    d2 = from_dict(old)  # older projects keep their pixels: global mean, raw text condition
    assert d2.truncate_to == "global" and d2.condition_prior is False
    d3 = from_dict({**old, "version": FORMAT_VERSION})
    assert d3.truncate_to == "region" and d3.condition_prior is True
    d = from_dict({**old, "version": FORMAT_VERSION, "truncate_to": "global"})
    assert from_dict(to_dict(d)).truncate_to == "global"
    assert from_dict(to_dict(d2)).condition_prior is False  # and stay so once re-saved
    with pytest.raises(UserInputError, match="truncate_to"):
        from_dict({**old, "version": FORMAT_VERSION, "truncate_to": "middle"})


def test_noise_mode_defaults_by_format_version() -> None:
    """New designs draw their noise from their seed; projects made before format 4 keep the
    shared constant noise, so their pixels do not change."""
    assert Design().noise_mode == "seeded"
    old = {"format": "wenyang-project", "version": 3, "region": "hakka", "seed": 3}
    assert from_dict(old).noise_mode == "const"
    assert from_dict({**old, "version": 4}).noise_mode == "seeded"
    kept = from_dict({**old, "noise_mode": "const"})
    assert from_dict(to_dict(kept)).noise_mode == "const"  # and stays so once re-saved
    with pytest.raises(UserInputError, match="noise_mode"):
        from_dict({**old, "version": 4, "noise_mode": "loud"})


def test_region_prior_defaults_by_format_version() -> None:
    """New designs' prior draws among their region's tiles; projects made before format 5
    drew from the whole bank and keep doing so, so their pixels do not change."""
    d = Design(region="miao")
    assert d.prior_by_region is True and d.prior_region == "miao"
    old = {"format": "wenyang-project", "version": 4, "region": "hakka", "seed": 3}
    d4 = from_dict(old)
    assert d4.prior_by_region is False and d4.prior_region is None
    assert from_dict(to_dict(d4)).prior_by_region is False  # and stays so once re-saved
    assert from_dict({**old, "version": 5}).prior_region == "hakka"
    with pytest.raises(UserInputError, match="prior_by_region"):
        from_dict({**old, "version": 5, "prior_by_region": "yes"})


def test_faithful_prior_defaults_by_format_version() -> None:
    """New designs' prior draws among the tiles the generator draws faithfully; projects made
    before format 6 drew among all of them and keep doing so, so their pixels do not change."""
    assert Design().prior_faithful is True
    old = {"format": "wenyang-project", "version": 5, "region": "hakka", "seed": 3}
    d5 = from_dict(old)
    assert d5.prior_faithful is False and d5.prior_by_region is True
    assert from_dict(to_dict(d5)).prior_faithful is False  # and stays so once re-saved
    assert from_dict({**old, "version": 6}).prior_faithful is True
    with pytest.raises(UserInputError, match="prior_faithful"):
        from_dict({**old, "version": 6, "prior_faithful": 1})


def test_layout_noise_seed_round_trips() -> None:
    d = Design(region="miao", seed=5)
    assert d.noise_seed is None and from_dict(to_dict(d)).noise_seed is None
    d.noise_seed = 1234
    assert from_dict(to_dict(d)).noise_seed == 1234
    with pytest.raises(UserInputError, match="noise_seed"):
        from_dict({**to_dict(d), "noise_seed": "north"})
