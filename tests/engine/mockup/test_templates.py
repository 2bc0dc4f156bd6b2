"""The shipped garment templates are complete, valid and regenerate deterministically."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine.errors import UserInputError
from engine.mockup.shapes import GARMENTS
from engine.mockup.template import TEMPLATES_DIR, list_templates, load_template
from engine.mockup.templates_build import build_template

REQUIRED = ("tshirt", "qipao", "dress", "hoodie", "scarf", "tote", "phonecase")


def test_all_required_templates_ship():
    assert set(REQUIRED) <= set(list_templates())
    assert set(GARMENTS) == set(REQUIRED)


@pytest.mark.parametrize("name", REQUIRED)
def test_template_files_are_valid(name):
    folder = TEMPLATES_DIR / name
    meta = json.loads((folder / "template.json").read_text("utf-8"))
    assert meta["version"] == 1 and meta["name"] == name
    t = load_template(name)
    h, w = t.size
    assert min(h, w) >= 1024
    assert t.base.dtype == np.uint8 and t.base.shape == (h, w, 3)
    assert t.shading.min() >= 0.0 and t.shading.max() <= 1.0
    assert t.displacement.min() >= -1.0 and t.displacement.max() <= 1.0
    for r in t.regions:
        cov = (r.mask > 0.5).mean()
        assert 0.01 < cov < 0.8, (name, r.name, cov)
        soft = ((r.mask > 0.02) & (r.mask < 0.98)).sum()
        assert soft > 0  # anti-aliased edges
        assert r.print_size_cm[0] > 0 and r.px_per_cm > 0
    # the printable regions look like a plain white garment in the base
    main = t.regions[0].mask > 0.99
    assert t.base[main].mean() > 150
    total = sum(f.stat().st_size for f in folder.iterdir())
    assert total < 1.6e6


def test_regions_share_one_print_scale():
    for name in REQUIRED:
        scales = [r.px_per_cm for r in load_template(name).regions]
        assert max(scales) / min(scales) < 1.02, name


def test_unknown_template_lists_the_names():
    with pytest.raises(UserInputError) as e:
        load_template("kimono")
    assert "tshirt" in str(e.value) and "kimono" in str(e.value)


def test_generator_is_deterministic(tmp_path):
    a = build_template("tote", tmp_path / "a", size=96)
    b = build_template("tote", tmp_path / "b", size=96)
    for f in sorted(p.name for p in a.iterdir()):
        assert (a / f).read_bytes() == (b / f).read_bytes(), f
    t = load_template(a)
    assert t.size == (96, 96) and t.regions[0].name == "body"


def test_broken_template_is_a_user_error(tmp_path):
    d = build_template("phonecase", tmp_path, size=64)
    (d / "template.json").write_text('{"format": "something-else"}', "utf-8")
    with pytest.raises(UserInputError, match="format"):
        load_template(d)
