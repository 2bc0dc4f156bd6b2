"""`wenyang abtest export` end to end with a tiny random generator saved in a temp dir."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.numpy import load_file

from engine.cli import main


def _save_tiny(path: Path, c_dim: int) -> Path:
    from engine.stylegan.checkpoint import save_generator
    from engine.stylegan.config import generator_kwargs
    from engine.stylegan.networks import Generator

    torch.manual_seed(0)
    G = Generator(**generator_kwargs("tiny", c_dim=c_dim, resolution=16))
    save_generator(G, path)
    return path


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("models")
    return {"uncond": _save_tiny(root / "uncond", 0), "cond": _save_tiny(root / "cond", 4)}


class FakeEncoding:
    def __init__(self, e: torch.Tensor) -> None:
        self.embeddings = e
        self.unknown_words: list[list[str]] = [[]]


class FakeEncoder:
    """Stands in for engine.clip's CulturalEncoder (4-d embeddings)."""

    embed_dim = 4
    seen: ClassVar[list[str]] = []

    def encode_text(self, texts: list[str]) -> FakeEncoding:
        FakeEncoder.seen.extend(texts)
        e = torch.tensor([[0.5, 0.5, 0.5, 0.5]] * len(texts))
        return FakeEncoding(e)

    def encode_image(self, images: np.ndarray) -> torch.Tensor:
        m = torch.as_tensor(images.reshape(len(images), -1, 3).mean(1), dtype=torch.float32)
        return torch.nn.functional.normalize(torch.cat([m, torch.ones(len(m), 1)], 1), dim=1)


def _manifest(out: Path) -> list[dict[str, str]]:
    with open(out / "manifest.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_abtest_export_unconditional(tmp_path: Path, models: dict[str, Path]) -> None:
    from engine.stylegan.render import Renderer, RenderRequest
    from engine.tuner.batch import read_batches

    out = tmp_path / "batch"
    rc = main(
        [
            "abtest",
            "export",
            "--region",
            "miao",
            "--text",
            "蝴蝶妈妈",
            "-n",
            "3",
            "--seed",
            "5",
            "--truncation",
            "0.5",
            "--model",
            str(models["uncond"]),
            "--device",
            "cpu",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    rows = _manifest(out)
    assert [r["seed"] for r in rows] == ["5", "6", "7"]
    assert {r["descriptors"] for r in rows} == {"蝴蝶妈妈"}
    r = Renderer(models["uncond"], device="cpu")
    assert {row["model_hash"] for row in rows} == {r.info.model_hash}
    lat = load_file(str(out / "latents.safetensors"))
    first = rows[0]
    ws = lat[first["variant_id"]]
    assert ws.shape == (r.info.num_ws, r.info.w_dim)
    again = r.render(RenderRequest(ws=ws)).image  # the stored w re-renders the variant
    assert np.array_equal(again, np.asarray(Image.open(out / first["file"]).convert("RGB")))
    assert not (out / "embeddings.safetensors").exists()
    assert json.loads((out / "batch.json").read_text(encoding="utf-8"))["c"] is None
    assert read_batches([out]).ids == [row["variant_id"] for row in rows]


def test_abtest_export_conditional_with_policy(
    tmp_path: Path, models: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import engine.clip
    from engine.culture import REGION_IDS
    from engine.tuner.policy import Policy, save_policy

    monkeypatch.setattr(engine.clip, "load_encoder", lambda *a, **k: FakeEncoder())
    rng = np.random.default_rng(0)
    R, h, k, w_dim = len(REGION_IDS), 6, 3, 32
    pol = Policy(
        weights={
            "l0.weight": rng.standard_normal((h, R + 4)).astype(np.float32),
            "l0.bias": np.zeros(h, np.float32),
            "l1.weight": rng.standard_normal((h, h)).astype(np.float32),
            "l1.bias": np.zeros(h, np.float32),
            "l2.weight": rng.standard_normal((k, h)).astype(np.float32),
            "l2.bias": np.ones(k, np.float32),
        },
        basis=rng.standard_normal((k, w_dim)).astype(np.float32),
        region_ids=tuple(REGION_IDS),
        trained=np.ones(R, bool),
        c_mean=np.zeros((R, 4), np.float32),
        num_ws=6,
        meta={"policy_id": "pol-test-1"},
    )
    pfile = tmp_path / "policy.safetensors"
    save_policy(pfile, pol)
    args = [
        "abtest",
        "export",
        "--region",
        "dunhuang",
        "--text",
        "飞天",
        "-n",
        "2",
        "--model",
        str(models["cond"]),
        "--device",
        "cpu",
    ]
    assert main([*args, "--out", str(tmp_path / "plain")]) == 0
    assert main([*args, "--policy", str(pfile), "--out", str(tmp_path / "tuned")]) == 0
    assert any("飞天" in t and "Dunhuang" in t for t in FakeEncoder.seen)
    plain, tuned = _manifest(tmp_path / "plain"), _manifest(tmp_path / "tuned")
    assert {r["policy_id"] for r in tuned} == {"pol-test-1"}
    assert {r["policy_id"] for r in plain} == {""}
    lp = load_file(str(tmp_path / "plain" / "latents.safetensors"))
    lt = load_file(str(tmp_path / "tuned" / "latents.safetensors"))
    c = np.full(4, 0.5, np.float32)
    expected = pol.offset("dunhuang", c, 1.0)
    diff = lt[tuned[0]["variant_id"]] - lp[plain[0]["variant_id"]]
    assert np.allclose(diff, np.broadcast_to(expected, diff.shape), atol=1e-4)
    # `wenyang generate --policy` applies the same tuned offset (at its strength)
    import json

    gen = ["generate", "--region", "dunhuang", "--text", "飞天", "-n", "1", "--device", "cpu"]
    gen += ["--model", str(models["cond"])]
    assert main([*gen, "--out", str(tmp_path / "g0")]) == 0
    half = ["--policy", str(pfile), "--policy-strength", "0.5"]
    assert main([*gen, *half, "--out", str(tmp_path / "g1")]) == 0
    m0, m1 = (json.loads((tmp_path / d / "manifest.json").read_text()) for d in ("g0", "g1"))
    assert m1["policy_id"] == "pol-test-1" and m1["policy_strength"] == 0.5
    ws0, ws1 = (np.asarray(m["images"][0]["ws"], np.float32) for m in (m0, m1))
    want = pol.offset("dunhuang", c, 0.5)
    assert np.allclose(ws1 - ws0, np.broadcast_to(want, ws0.shape), atol=1e-4)
    bad = ["--policy", str(pfile), "--policy-strength", "2"]
    assert main([*gen, *bad, "--out", str(tmp_path / "g2")]) == 2
    assert not (tmp_path / "g2").exists()
    emb = load_file(str(tmp_path / "tuned" / "embeddings.safetensors"))
    assert emb[tuned[1]["variant_id"]].shape == (4,)
    meta = json.loads((tmp_path / "tuned" / "batch.json").read_text(encoding="utf-8"))
    assert meta["c"] == pytest.approx([0.5] * 4)


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--region", "atlantis"], "--region"),
        (["--region", "miao", "-n", "0"], "-n"),
        (["--region", "miao", "--policy", "/nonexistent/p.safetensors"], "--policy"),
    ],
)
def test_abtest_user_errors(
    tmp_path: Path,
    models: dict[str, Path],
    capsys: pytest.CaptureFixture,
    extra: list[str],
    needle: str,
) -> None:
    rc = main(
        [
            "abtest",
            "export",
            *extra,
            "--model",
            str(models["uncond"]),
            "--device",
            "cpu",
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert rc == 2
    assert needle in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_abtest_missing_model_is_a_user_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[Any]
) -> None:
    rc = main(
        [
            "abtest",
            "export",
            "--region",
            "miao",
            "--model",
            str(tmp_path / "none"),
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert rc == 2 and "none" in capsys.readouterr().err
