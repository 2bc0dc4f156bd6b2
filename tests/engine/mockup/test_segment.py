"""Segmentation models: the cloths_segmentation checkpoint format and our own folder."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.errors import UserInputError
from engine.mockup.segment import (
    CLOTHS_ENCODER,
    DEFAULT_CONFIG,
    Segmenter,
    build_model,
    load_cloths_checkpoint,
    save_model,
)


@pytest.mark.slow  # builds two EfficientNet-B3 Unets (~30 s on a busy 2-core CPU)
def test_cloths_segmentation_checkpoint_loads(tmp_path):
    import segmentation_models_pytorch as smp

    torch.manual_seed(0)
    # written exactly as the public release is: a Lightning dict, keys prefixed "model."
    net = smp.Unet(encoder_name=CLOTHS_ENCODER, encoder_weights=None, classes=1)
    ck = {
        "epoch": 3,
        "global_step": 1000,
        "pytorch-lightning_version": "1.0.4",
        "state_dict": {f"model.{k}": v for k, v in net.state_dict().items()},
    }
    path = tmp_path / "2020-10-30.ckpt"
    torch.save(ck, path)
    model, cfg = load_cloths_checkpoint(path)
    assert cfg["source"] == "cloths_segmentation"
    for k, v in net.state_dict().items():
        assert torch.equal(model.state_dict()[k], v)
    seg = Segmenter(path)  # a file path selects the cloths format
    img = np.random.default_rng(0).integers(0, 256, (40, 56, 3), dtype=np.uint8)
    seg.config["input_size"] = 64
    p = seg.predict(img)
    assert p.shape == (40, 56) and p.dtype == np.float32
    assert p.min() >= 0.0 and p.max() <= 1.0


def test_wrong_checkpoint_is_a_user_error(tmp_path):
    path = tmp_path / "other.ckpt"
    torch.save({"state_dict": {"model.conv.weight": torch.zeros(1)}}, path)
    with pytest.raises(UserInputError, match="cloths_segmentation"):
        load_cloths_checkpoint(path)
    junk = tmp_path / "junk.ckpt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(UserInputError):
        load_cloths_checkpoint(junk)


def test_own_model_folder_round_trips(tmp_path):
    cfg = {**DEFAULT_CONFIG, "input_size": 64}
    net = build_model(cfg).eval()
    save_model(net, cfg, tmp_path)
    seg = Segmenter(tmp_path)
    img = np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    with torch.no_grad():
        from engine.mockup.segment import to_tensor

        ref = torch.sigmoid(net(to_tensor(img[None], cfg)))[0, 0].numpy()
    assert np.allclose(seg.predict(img, tta=False), ref, atol=1e-4)
    both = seg.predict(img)  # mirror-averaged: symmetric for a symmetric photo
    sym = np.ascontiguousarray(np.concatenate([img[:, :32], img[:, :32][:, ::-1]], 1))
    p = seg.predict(sym)
    assert both.shape == (64, 64) and np.allclose(p, p[:, ::-1], atol=1e-5)


def test_missing_model_folder_is_a_user_error(tmp_path):
    with pytest.raises(UserInputError, match=r"config\.json"):
        Segmenter(tmp_path)


def test_garment_mask_keeps_the_garment_and_its_handle_loops():
    import cv2

    from engine.mockup.segment import garment_mask

    p = np.zeros((100, 100), np.float32)
    p[40:90, 20:80] = 0.9  # the bag
    cv2.ellipse(p, (50, 40), (20, 25), 0, 180, 360, 0.9, 4)  # a handle: a big loop
    p[60:62, 50:52] = 0.1  # a pinhole in the bag
    p[5:9, 85:95] = 0.8  # clutter
    m = garment_mask(p)
    assert m[61, 51] == 1 and m[7, 90] == 0
    assert m[30, 50] == 0  # inside the handle loop stays background
    assert m[16, 50] == 1  # the handle itself stays
