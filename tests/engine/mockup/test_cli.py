"""`wenyang mockup` end to end, and its errors (exit 2, one clear line)."""

from __future__ import annotations

import cv2
import numpy as np

from engine.cli import main


def _png(path, img) -> None:
    cv2.imwrite(str(path), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))


def test_template_mockup_end_to_end(tmp_path):
    tile = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    _png(tmp_path / "tile.png", tile)
    out = tmp_path / "out.png"
    rc = main(
        [
            "mockup",
            "--pattern",
            str(tmp_path / "tile.png"),
            "--template",
            "tote",
            "--out",
            str(out),
            "--repeat-cm",
            "10",
            "--rotation",
            "15",
            "--layout",
            "mirror",
        ]
    )
    assert rc == 0
    img = cv2.imread(str(out))
    assert img.shape[:2] == (1024, 1024)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_photo_mockup_with_a_mask(tmp_path):
    photo = np.full((120, 90, 3), 200, np.uint8)
    mask = np.zeros((120, 90), np.uint8)
    mask[20:100, 20:70] = 255
    photo[mask > 0] = (60, 90, 160)
    _png(tmp_path / "photo.png", photo)
    cv2.imwrite(str(tmp_path / "mask.png"), mask)
    tile = np.zeros((16, 16, 3), np.uint8)
    tile[:, :8] = (250, 250, 0)
    _png(tmp_path / "tile.png", tile)
    out = tmp_path / "m.png"
    rc = main(
        [
            "mockup",
            "--pattern",
            str(tmp_path / "tile.png"),
            "--photo",
            str(tmp_path / "photo.png"),
            "--mask",
            str(tmp_path / "mask.png"),
            "--out",
            str(out),
            "--photo-width-cm",
            "20",
        ]
    )
    assert rc == 0
    res = cv2.cvtColor(cv2.imread(str(out)), cv2.COLOR_BGR2RGB)
    assert np.array_equal(res[:10], photo[:10])  # background untouched
    inner = res[40:80, 30:60].reshape(-1, 3)
    assert inner[:, 0].max() > 150  # the yellow print is there


def test_errors_exit_2(tmp_path, capsys):
    tile = tmp_path / "tile.png"
    _png(tile, np.zeros((8, 8, 3), np.uint8))
    rc = main(
        ["mockup", "--pattern", str(tile), "--template", "kimono", "--out", str(tmp_path / "o.png")]
    )
    err = capsys.readouterr().err
    assert rc == 2 and "kimono" in err and "qipao" in err
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"nope")
    rc = main(
        ["mockup", "--pattern", str(bad), "--template", "tote", "--out", str(tmp_path / "o.png")]
    )
    err = capsys.readouterr().err
    assert rc == 2 and "bad.png" in err and "readable image" in err
    rc = main(["mockup", "--pattern", str(tile), "--out", str(tmp_path / "o.png")])
    assert rc == 2
    assert not (tmp_path / "o.png").exists()


def test_list_templates(capsys):
    assert main(["mockup", "--list"]) == 0
    names = capsys.readouterr().out.split()
    assert {"tshirt", "qipao", "dress", "hoodie", "scarf", "tote", "phonecase"} <= set(names)


def test_photo_mockup_with_the_shipped_segmentation_model(tmp_path):
    from engine.mockup.seg_data import PatternPool, composite

    # an end-to-end check of the path (model, GrabCut, photo maps, render), not of accuracy
    # (that is `wenyang eval seg`): a held-out composite the shipped model handles well
    photo, gt = composite(10_000_007, 160, PatternPool(2, 32))
    _png(tmp_path / "photo.png", photo)
    tile = np.full((16, 16, 3), (250, 250, 0), np.uint8)
    _png(tmp_path / "tile.png", tile)
    out = tmp_path / "m.png"
    rc = main(
        [
            "mockup",
            "--pattern",
            str(tmp_path / "tile.png"),
            "--photo",
            str(tmp_path / "photo.png"),
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    res = cv2.cvtColor(cv2.imread(str(out)), cv2.COLOR_BGR2RGB)
    changed = np.abs(res.astype(int) - photo.astype(int)).sum(-1) > 30
    # the print lands mostly on the garment, not on the background
    assert changed[gt == 1].mean() > 0.5
    assert changed[gt == 0].mean() < 0.2
