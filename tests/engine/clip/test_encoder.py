"""CulturalEncoder: text (bilingual, unknown words, cache), images (uint8 and differentiable
[-1, 1] tensors), region classifier and local regions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from engine.errors import UserInputError


@pytest.fixture(scope="module")
def encoder(tiny_model_dir: Path):  # type: ignore[no-untyped-def]
    from engine.clip import load_encoder

    return load_encoder(tiny_model_dir)


def test_encode_text_unit_vectors_and_unknown_words(encoder) -> None:  # type: ignore[no-untyped-def]
    enc = encoder.encode_text(
        ["flying apsaras ribbons, golden accents", "飞天 飘带 金色", "蝴蝶 silver qwzxv"]
    )
    assert enc.embeddings.shape == (3, encoder.embed_dim)
    assert torch.allclose(enc.embeddings.norm(dim=1), torch.ones(3), atol=1e-5)
    assert enc.unknown_words[0] == [] and enc.unknown_words[1] == []
    assert "qwzxv" in enc.unknown_words[2]
    # Chinese is read through the lexicon's English, not as raw CJK bytes
    assert "apsaras" in enc.tokenizer_texts[1]
    assert "butterfly" in enc.tokenizer_texts[2]


def test_chinese_and_english_descriptor_map_to_same_text(encoder) -> None:  # type: ignore[no-untyped-def]
    enc = encoder.encode_text(["飞天 飘带", "flying apsaras ribbons"])
    assert enc.tokenizer_texts[0] == enc.tokenizer_texts[1]
    assert torch.allclose(enc.embeddings[0], enc.embeddings[1], atol=1e-5)


def test_text_cache_returns_same_embedding(encoder) -> None:  # type: ignore[no-untyped-def]
    a = encoder.encode_text(["miao butterfly, silver"]).embeddings
    assert "miao butterfly, silver" in encoder._cache
    b = encoder.encode_text(["miao butterfly, silver", "miao butterfly, silver"]).embeddings
    assert torch.equal(a[0], b[0]) and torch.equal(b[0], b[1])


def test_encode_image_uint8_and_tensor_agree(encoder) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (2, 64, 64, 3), dtype=np.uint8)
    a = encoder.encode_image(img)
    x = torch.from_numpy(img).permute(0, 3, 1, 2).float() / 127.5 - 1
    b = encoder.encode_image(x)
    assert a.shape == (2, encoder.embed_dim)
    assert torch.allclose(a.norm(dim=1), torch.ones(2), atol=1e-5)
    assert torch.allclose(a, b, atol=1e-4)


def test_encode_image_tensor_is_differentiable(encoder) -> None:  # type: ignore[no-untyped-def]
    x = (torch.rand(2, 3, 64, 64) * 2 - 1).requires_grad_(True)
    target = encoder.encode_text(["a miao pattern"]).embeddings
    loss = -(encoder.encode_image_tensor(x) @ target.T).sum()
    loss.backward()
    assert x.grad is not None and float(x.grad.abs().sum()) > 0
    feats = encoder.image_features(x)
    assert feats.shape[0] == 2 and feats.requires_grad
    assert all(not p.requires_grad for p in encoder.model.parameters())  # frozen


def test_classify_probabilities_in_region_order(encoder) -> None:  # type: ignore[no-untyped-def]
    from engine.culture import REGION_IDS

    img = np.zeros((3, 256, 256, 3), np.uint8)
    p = encoder.classify(img)
    assert p.shape == (3, len(REGION_IDS))
    assert torch.allclose(p.sum(dim=1), torch.ones(3), atol=1e-5)
    assert encoder.probe is not None  # training shipped a probe next to the model
    z = encoder.classify(img, use_probe=False)
    assert z.shape == p.shape and not torch.allclose(z, p)


def test_local_embeddings_shape(encoder) -> None:  # type: ignore[no-untyped-def]
    img = np.zeros((2, 64, 64, 3), np.uint8)
    loc = encoder.local_embeddings(img)
    assert loc.ndim == 3 and loc.shape[0] == 2 and loc.shape[2] == encoder.embed_dim
    assert loc.shape[1] >= 4
    assert torch.allclose(loc.norm(dim=-1), torch.ones(loc.shape[:2]), atol=1e-5)


def test_missing_model_is_user_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.paths
    from engine.clip import load_encoder

    with pytest.raises(UserInputError, match="no CLIP model"):
        load_encoder(tmp_path)
    monkeypatch.setattr(engine.paths, "MODELS_DIR", tmp_path / "models")
    with pytest.raises(UserInputError, match="shipped CLIP model"):
        load_encoder(None)


def test_trimmed_text_tower_matches_open_clip(encoder) -> None:  # type: ignore[no-untyped-def]
    import open_clip
    import torch.nn.functional as F

    from engine.clip.towers import encode_text_tokens

    tok = open_clip.get_tokenizer(encoder.name)(
        ["a miao pattern", "dunhuang caisson lotus, pearl roundel, cloud scroll, azurite blue"]
    )
    with torch.no_grad():
        fast = encode_text_tokens(encoder.model, tok)
        full = F.normalize(encoder.model.encode_text(tok), dim=-1)
    assert torch.allclose(fast, full, atol=1e-5)
