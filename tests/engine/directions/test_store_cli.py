import json
from pathlib import Path

import numpy as np
import pytest

from engine.directions.base import Direction
from engine.directions.store import DirectionFile, load_directions, save_directions


def test_store_roundtrip_and_hash_guard(tmp_path: Path) -> None:
    d = Direction("gold", "named", np.arange(4, dtype=np.float32), 2.5, (1, 3), "middle", {"x": 1})
    save_directions(tmp_path, DirectionFile("abc", [d], {"region_mean/miao": np.ones(4)}, {"m": 2}))
    back = load_directions(tmp_path, "abc")
    assert back is not None and back.meta == {"m": 2}
    (b,) = back.directions
    assert (b.name, b.kind, b.scale, b.layers, b.layer_range) == (
        "gold",
        "named",
        2.5,
        (1, 3),
        "middle",
    )
    np.testing.assert_array_equal(b.vector, d.vector)
    np.testing.assert_array_equal(back.arrays["region_mean/miao"], np.ones(4))
    assert load_directions(tmp_path, "other-weights") is None
    assert load_directions(tmp_path / "nothing") is None


def test_store_detects_mismatched_vectors(tmp_path: Path) -> None:
    from engine.errors import UserInputError

    save_directions(tmp_path, DirectionFile("abc", [], {"a": np.zeros(2)}))
    doc = json.loads((tmp_path / "directions.json").read_text())
    doc["vectors_sha256"] = "0" * 64
    (tmp_path / "directions.json").write_text(json.dumps(doc))
    with pytest.raises(UserInputError):
        load_directions(tmp_path, "abc")


@pytest.mark.slow
def test_cli_fit_then_sliders_load_them(
    tiny_G, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from engine.cli import main
    from engine.directions.sliders import Sliders
    from engine.stylegan.checkpoint import save_generator
    from engine.stylegan.render import Renderer

    mdir = save_generator(tiny_G, tmp_path / "gen")
    rc = main(
        [
            "directions",
            "fit",
            "--model",
            str(mdir),
            "--samples",
            "16",
            "--select-seeds",
            "1",
            "--clip",
            str(tmp_path / "missing-clip"),
        ]
    )
    assert rc == 2  # a named CLIP folder that does not exist is a user error
    rc = main(["directions", "fit", "--model", str(mdir), "--samples", "16", "--select-seeds", "1"])
    assert rc == 0
    doc = json.loads((mdir / "directions.json").read_text())
    named = [e for e in doc["directions"] if e["kind"] == "named"]
    assert [e["name"] for e in named] == ["complexity", "density", "gold", "warmth", "symmetry"]
    assert all(e["layer_range"] in ("coarse", "middle", "fine", "all") for e in named)
    capsys.readouterr()
    assert main(["directions", "eval", "--model", str(mdir), "--seeds", "2", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert set(rep["sliders"]) == {"complexity", "density", "gold", "warmth", "symmetry"}
    assert rep["n_seeds"] == 2 and rep["all_pass"] in (True, False)
    r = Renderer(mdir, device="cpu")
    sl = Sliders(r, None, model_dir=mdir)
    assert set(sl.named) == {"complexity", "density", "gold", "warmth", "symmetry"}
    assert sl.region_mean("miao").shape == (r.info.w_dim,)


@pytest.mark.slow
def test_fit_named_from_keeps_sliders_only_across_an_identical_synthesis(
    tiny_G, tmp_path: Path
) -> None:
    """After a mapping-only fine-tune the old named sliders are kept verbatim (region means
    and the rest refitted); a generator with other synthesis weights is refused."""
    import torch

    from engine.cli import main
    from engine.stylegan.checkpoint import save_generator
    from tests.engine.directions.conftest import make_generator

    src = save_generator(tiny_G, tmp_path / "src")
    fit = ["directions", "fit", "--samples", "16", "--select-seeds", "1"]
    assert main([*fit, "--model", str(src)]) == 0
    old = {d.name: d for d in load_directions(src).directions if d.kind == "named"}

    with torch.no_grad():  # a mapping-only change, as train gan-align makes
        tiny_G.mapping.fc0.weight.mul_(1.5)
    aligned = save_generator(tiny_G, tmp_path / "aligned")
    assert main([*fit, "--model", str(aligned), "--named-from", str(src)]) == 0
    doc = json.loads((aligned / "directions.json").read_text())
    back = load_directions(aligned, doc["model_hash"])
    assert back is not None and doc["model_hash"] != load_directions(src).model_hash
    kept = {d.name: d for d in back.directions if d.kind == "named"}
    assert set(kept) == set(old)
    for name, d in kept.items():
        np.testing.assert_array_equal(d.vector, old[name].vector)
        assert (d.scale, d.layers) == (old[name].scale, old[name].layers)
        assert d.meta["kept_from"] == load_directions(src).model_hash
    assert back.meta["named_kept_from"] == [load_directions(src).model_hash]

    other = save_generator(make_generator(0, seed=7), tmp_path / "other")
    before = (other / "directions.json").exists()
    assert main([*fit, "--model", str(other), "--named-from", str(src)]) == 2
    assert (other / "directions.json").exists() == before  # nothing written
