import json
from pathlib import Path

import numpy as np
import pytest

from engine.evaluation.metrics import frechet_distance, mean_pairwise_distance
from engine.evaluation.prompts import build_prompts

REGION_KEYS_OVERALL = {
    "tiles",
    "indep_accuracy",
    "indep_accuracy_ci95",
    "clip_accuracy_ci95",
    "seam_ratio",
    "seam_ok_share",
    "grid_ratio",
    "clip_accuracy",
    "clip_score",
    "fd_clip",
    "diversity",
    "diversity_share",
}
# per region, also where the independent classifier's misses went
REGION_KEYS = REGION_KEYS_OVERALL | {"indep_mistaken_for"}


def test_grouped_bootstrap_interval() -> None:
    from engine.evaluation.metrics import grouped_bootstrap_ci

    # 10 prompts x 8 tiles: half the prompts all right, half all wrong
    ok = np.repeat(np.arange(10) % 2, 8)
    groups = np.repeat(np.arange(10), 8)
    lo, hi = grouped_bootstrap_ci(ok, groups)
    assert lo < 0.5 < hi
    assert hi - lo > 0.4  # ten independent draws, not eighty
    assert (lo, hi) == grouped_bootstrap_ci(ok, groups)  # seeded
    # the same 80 outcomes as 80 independent prompts: a much narrower interval
    lo2, hi2 = grouped_bootstrap_ci(ok, np.arange(80))
    assert hi2 - lo2 < 0.3
    # all right: no spread at all
    assert grouped_bootstrap_ci(np.ones(12), np.repeat(np.arange(3), 4)) == (1.0, 1.0)
    with pytest.raises(ValueError, match="one group per value"):
        grouped_bootstrap_ci(np.ones(3), np.arange(2))


def test_frechet_and_diversity() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(400, 4))
    assert frechet_distance(a, a) < 1e-3
    assert frechet_distance(a, a + 2.0) == pytest.approx(16.0, rel=0.05)
    same = np.ones((5, 3))
    assert mean_pairwise_distance(same) == pytest.approx(0.0)
    assert mean_pairwise_distance(np.eye(3)) == pytest.approx(1.0)


def test_prompts_cover_regions_and_languages() -> None:
    recs = [
        {"id": f"{r}-{i}", "region": r, "caption_en": f"{r} en {i}", "caption_zh": f"{r} 中 {i}"}
        for r in ("miao", "hakka")
        for i in range(4)
    ]
    ps = build_prompts(recs, descriptors_per_region=2)
    assert ps == build_prompts(recs, descriptors_per_region=2)  # deterministic
    assert {p.region for p in ps} == {
        "dunhuang",
        "miao",
        "tibetan",
        "mongolian",
        "jiangnan",
        "lingnan",
        "hakka",
        "xinjiang",
    }
    miao = [p for p in ps if p.region == "miao"]
    assert [(p.lang, p.kind) for p in miao].count(("zh", "descriptor")) == 2
    assert {p.lang for p in miao} == {"en", "zh"}


def test_cross_region_prompts_pick_another_region_for_each_caption() -> None:
    from engine.culture import REGION_IDS
    from engine.evaluation.gen_eval import cross_region_prompts

    recs = [
        {"id": f"{r}-0", "region": r, "caption_en": f"{r} words", "caption_zh": f"{r} 词"}
        for r in REGION_IDS
    ]
    ps = build_prompts(recs, descriptors_per_region=1)
    crossed = cross_region_prompts(ps)
    assert len(crossed) == 16  # the captions only, not the region names
    for p in crossed:
        home = p.text.split()[0]  # the region the words came from
        assert p.region != home and p.kind == "cross"
        assert REGION_IDS.index(p.region) == (REGION_IDS.index(home) + 3) % 8
    assert {p.region for p in crossed} == set(REGION_IDS)


@pytest.mark.slow
def test_eval_gen_end_to_end(
    tmp_path: Path,
    tiny_cond_model_dir: Path,
    tiny_clip_dir: Path,
    tiny_heldout: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:

    from engine.cli import main

    mdir = tiny_cond_model_dir
    gallery = tmp_path / "docs" / "gallery.png"
    out = tmp_path / "report.json"
    rc = main(
        [
            "eval",
            "gen",
            "--model",
            str(mdir),
            "--clip",
            str(tiny_clip_dir),
            "--heldout",
            str(tiny_heldout),
            "--per-prompt",
            "2",
            "--descriptors",
            "1",
            "--floor",
            "--gallery",
            str(gallery),
            "--out",
            str(out),
            "--json",
            "--prompt-db",  # a validation prompt set: another seed's captions
            str(tiny_heldout),
            "--prompt-seed",
            "3",
        ]
    )
    assert rc == 0
    printed = json.loads(capsys.readouterr().out)
    report = json.loads(out.read_text(encoding="utf-8"))
    assert printed["generator"] == report["generator"]
    assert report["settings"]["prompts"] == 8 * 4  # name en/zh + one caption en/zh
    from engine.database import read_manifest

    expect = build_prompts(read_manifest(tiny_heldout), 1, seed=3)
    assert report["prompts"] == [p.__dict__ for p in expect]
    assert report["settings"]["prompt_seed"] == 3 and report["settings"]["prior_by_region"]
    for which in ("generator", "floor"):
        res = report[which]
        assert set(res["overall"]) == REGION_KEYS_OVERALL
        assert len(res["per_region"]) == 8
        for name, r in res["per_region"].items():
            assert set(r) == REGION_KEYS
            missed = r["indep_mistaken_for"]
            assert name not in missed and set(missed) <= set(res["per_region"])
            assert abs(sum(missed.values()) - (1 - r["indep_accuracy"])) < 1e-3
            assert r["grid_ratio"] > 0
            assert r["tiles"] == 8
            assert 0 <= r["indep_accuracy"] <= 1 and 0 <= r["clip_accuracy"] <= 1
            for key in ("indep_accuracy", "clip_accuracy"):
                lo, hi = r[f"{key}_ci95"]
                assert 0 <= lo <= r[key] <= hi <= 1
            assert r["fd_clip"] >= 0 and r["seam_ratio"] > 0
    hr_keys = {"tiles", "seam_ratio", "grid_ratio", "clip_accuracy"}
    assert set(report["heldout_reference"]) == hr_keys
    assert set(report["generator"]["meets_targets"]) == {"clip_accuracy", "indep_accuracy", "seam"}
    from PIL import Image

    with Image.open(gallery) as im:
        assert im.size[1] > 8 * 96
    assert "sliders" not in report and "generator_region_truncation" not in report
    # the readable table, with region-mean truncation and shipped named sliders
    from engine.directions.base import Direction
    from engine.directions.store import DirectionFile, save_directions
    from engine.stylegan.checkpoint import read_config

    vec = np.ones(32, dtype=np.float32) / np.sqrt(32)
    named = [Direction(a, "named", vec, 1.0, (0, 3), "coarse") for a in ("warmth", "gold")]
    save_directions(mdir, DirectionFile(read_config(mdir)["sha256"], named))
    argv = ["eval", "gen", "--model", str(mdir), "--clip", str(tiny_clip_dir)]
    argv += ["--heldout", str(tiny_heldout), "--per-prompt", "2", "--descriptors", "1"]
    argv += ["--region-truncation", "--sliders", "1", "--out", str(out), "--cross-region"]
    argv += ["--feature-split"]
    assert main(argv) == 0
    table = capsys.readouterr().out
    assert "overall" in table and "miao" in table and "CLIP acc" in table and "grid 8px" in table
    assert "95% interval (prompts resampled)" in table
    assert "region mean" in table and "warmth" in table
    assert "indep acc on colour features alone: dunhuang" in table
    assert "texture alone" in table  # the held-out tiles' own cross-validated figures
    report = json.loads(out.read_text(encoding="utf-8"))
    split = {"indep_colour_accuracy", "indep_texture_accuracy"}
    for which in ("generator", "generator_region_truncation", "cross_region"):
        assert set(report[which]["overall"]) == REGION_KEYS_OVERALL | split
        for r in report[which]["per_region"].values():
            assert set(r) == REGION_KEYS | split
            assert 0 <= r["indep_colour_accuracy"] <= 1 and 0 <= r["indep_texture_accuracy"] <= 1
    hr = report["heldout_reference"]
    for key in ("indep_accuracy_cv", "indep_colour_accuracy_cv", "indep_texture_accuracy_cv"):
        assert 0 <= hr[key] <= 1
    # colour tells the regions' own tiles apart on unseen ones (the palettes differ)
    assert hr["indep_colour_accuracy_cv"] > 0.5
    assert "another region's words" in table
    assert report["cross_region"]["overall"]["tiles"] == 8 * 2 * 2  # 2 captions x 2 seeds
    n_prompts = len(report["prompts"])
    per_prompt = report["generator"]["per_prompt_correct"]
    assert len(per_prompt["clip"]) == len(per_prompt["indep"]) == n_prompts
    tiles = report["generator"]["overall"]["tiles"]
    assert tiles == n_prompts * 2
    acc = report["generator"]["overall"]["indep_accuracy"]
    assert sum(per_prompt["indep"]) == round(acc * tiles)
    # the same network again, paired with that report: the same tiles, so no difference at all
    argv = ["eval", "gen", "--model", str(mdir), "--clip", str(tiny_clip_dir)]
    argv += ["--heldout", str(tiny_heldout), "--per-prompt", "2", "--descriptors", "1"]
    assert main([*argv, "--compare", str(out), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    for key in ("clip_accuracy", "indep_accuracy"):
        assert again["compare"][key] == {"difference": 0.0, "ci95": [0.0, 0.0]}
    # another prompt sample cannot be paired with it
    assert main([*argv, "--compare", str(out), "--prompt-seed", "5"]) == 2
    assert "prompt_seed" in capsys.readouterr().err
    assert set(report["sliders"]["sliders"]) == {"warmth", "gold"}
    assert "indep_accuracy_min" in report["sliders"]["sliders"]["gold"]


def test_eval_gen_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from engine.cli import main

    assert main(["eval", "gen", "--model", str(tmp_path / "none")]) == 2
    assert main(["eval", "gen", "--model", str(tmp_path), "--per-prompt", "1"]) == 2
    assert main(["eval", "gen", "--model", str(tmp_path), "--region-k", "0"]) == 2
    assert "--region-k" in capsys.readouterr().err
    assert main(["eval", "gen", "--model", str(tmp_path), "--prompt-db", str(tmp_path)]) == 2
    assert "no manifest.jsonl" in capsys.readouterr().err
    bad = tmp_path / "report.json"
    bad.write_text("{not json", encoding="utf-8")
    assert main(["eval", "gen", "--model", str(tmp_path), "--compare", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "report.json" in err and "eval gen --out" in err


def test_compare_reports_pairs_prompts() -> None:
    from engine.evaluation.gen_eval import compare_reports

    def report(clip: list[int], indep: list[int], per_prompt: int = 4) -> dict:
        return {
            "prompts": [{"text": f"p{i}"} for i in range(len(clip))],
            "settings": {"per_prompt": per_prompt},
            "generator": {"per_prompt_correct": {"clip": clip, "indep": indep}},
        }

    # prompts of very different difficulty, the new network one tile better on each
    old = report([0, 4, 1, 3, 0, 2], [1, 1, 1, 1, 1, 1])
    new = report([1, 4, 2, 4, 1, 3], [1, 1, 1, 1, 1, 1])
    res = compare_reports(new, old)
    clip = res["clip_accuracy"]
    assert clip["difference"] == pytest.approx(5 / 24, abs=1e-4)
    assert 0 < clip["ci95"][0] <= clip["difference"] <= clip["ci95"][1]
    assert res["indep_accuracy"] == {"difference": 0.0, "ci95": [0.0, 0.0]}
    with pytest.raises(ValueError, match="different prompts"):
        compare_reports(new, report([0] * 5, [0] * 5))
    with pytest.raises(ValueError, match="tiles per prompt"):
        compare_reports(new, report([0] * 6, [0] * 6, per_prompt=8))
    with pytest.raises(ValueError, match="no per-prompt results"):
        compare_reports(new, {**old, "generator": {"overall": {}}})


def test_paired_difference_interval() -> None:
    from engine.evaluation.metrics import grouped_bootstrap_ci, paired_difference_ci

    rng = np.random.default_rng(2)
    b = rng.random(40)  # prompt difficulty varies a lot
    a = np.clip(b + 0.05 + rng.normal(0, 0.01, 40), 0, 1)
    diff, lo, hi = paired_difference_ci(a, b)
    assert diff == pytest.approx(0.05, abs=0.01) and 0.03 < lo < diff < hi < 0.07
    # unpaired, each network's own interval is far wider than the paired difference's
    lo_a, hi_a = grouped_bootstrap_ci(a, np.arange(40))
    assert hi_a - lo_a > 5 * (hi - lo)
    with pytest.raises(ValueError, match="paired values"):
        paired_difference_ci(a, b[:3])
