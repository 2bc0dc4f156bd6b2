"""Several databases as one training set, prompt-form captions and their region-level loss."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.errors import UserInputError


@pytest.fixture(scope="module")
def second_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Another tiny database built with a different seed (distinct record ids)."""
    from engine.database import build_database

    out = tmp_path_factory.mktemp("clipdb2") / "db"
    return Path(build_database(out, per_region=1, size=64, seed=8))


def test_load_databases_reads_folders_as_one(tiny_db: Path, second_db: Path) -> None:
    from engine.clip.data import load_database, load_databases
    from engine.clip.text import PROMPT_FORMS

    a = load_database(tiny_db, 32)
    b = load_database(second_db, 32)
    both = load_databases([tiny_db, second_db], 32)
    assert len(both) == len(a) + len(b) == 24
    assert both.images.shape == (24, 3, 32, 32)
    assert both.captions_en == a.captions_en + b.captions_en
    assert both.keys == a.keys + b.keys
    assert both.regions.tolist() == a.regions.tolist() + b.regions.tolist()
    assert all(len(forms) == PROMPT_FORMS for forms in both.captions_prompt)
    assert load_databases(str(tiny_db), 32).captions_en == a.captions_en


def test_load_databases_rejects_the_same_tiles_twice(tiny_db: Path) -> None:
    from engine.clip.data import load_databases

    with pytest.raises(UserInputError, match="different --seed"):
        load_databases([tiny_db, tiny_db], 32)


def test_prompt_captions_name_region_and_primary_motif() -> None:
    from engine.clip.text import PROMPT_FORMS, REGION_LEVEL_FORMS, prompt_captions, region_prompts
    from engine.culture import get_region

    region = get_region("miao")
    motif = region.motifs[0]
    forms = prompt_captions({"region": "miao", "motifs": [motif.id]})
    assert len(forms) == PROMPT_FORMS
    assert all("miao" in f.lower() for f in forms)
    assert all(f.isascii() for f in forms)  # Chinese forms went through the lexicon
    assert motif.name_en in forms[REGION_LEVEL_FORMS]
    assert motif.name_en not in " ".join(forms[:REGION_LEVEL_FORMS])
    assert forms[0] in region_prompts("miao")


def test_region_level_captions_spread_targets_over_their_region() -> None:
    import torch
    import torch.nn.functional as F

    from engine.clip.train import clip_loss

    g = torch.Generator().manual_seed(0)
    img = F.normalize(torch.randn(4, 8, generator=g), dim=-1)
    keys = torch.tensor([0, 1, 2, 3])
    regions = torch.tensor([0, 0, 1, 1])
    scale = torch.tensor(10.0)
    txt = img[[1, 0, 2, 3]]  # texts 0 and 1 point at the other tile of their region
    none = torch.zeros(4, dtype=torch.bool)
    flagged = torch.tensor([True, True, False, False])
    plain = clip_loss(img, txt, scale, keys, 0.0)
    assert clip_loss(img, txt, scale, keys, 0.0, regions, none) == pytest.approx(float(plain))
    # as region-level captions, matching either tile of the region is right: lower loss
    assert clip_loss(img, txt, scale, keys, 0.0, regions, flagged) < plain


def test_train_cli_takes_several_data_folders(
    tiny_name: str,
    tiny_db: Path,
    second_db: Path,
    tmp_path: Path,
    train_cli: Callable[[list[str]], int],
) -> None:
    out = tmp_path / "run"
    rc = train_cli(
        [
            "--data",
            str(tiny_db),
            str(second_db),
            "--out",
            str(out),
            "--init",
            tiny_name,
            "--epochs",
            "1",
            "--batch",
            "8",
            "--threads",
            "1",
            "--val-fraction",
            "0.25",
            "--no-progress",
        ]
    )
    assert rc == 0
    summary = json.loads((out / "train_summary.json").read_text(encoding="utf-8"))
    assert summary["options"]["data"] == [str(tiny_db), str(second_db)]
    assert summary["options"]["threads"] == 1
    assert f"--data {tiny_db} {second_db}" in summary["options"]["extra"]["command"]
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "16 tiles" in card and "8 tiles" in card
