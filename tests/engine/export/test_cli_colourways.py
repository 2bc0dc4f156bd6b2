from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.cli import main
from engine.export.colour import srgb_to_lab
from engine.export.colourways import colourway_sheet, recolour, region_colourways, user_colourway
from engine.export.inks import reduce_inks
from engine.export.png_export import PrintSpec, export_png
from engine.export.provenance import Provenance, read_png_provenance


@pytest.fixture
def tile_png(tmp_path: Path, tile: np.ndarray) -> Path:
    p = tmp_path / "tile.png"
    export_png(
        tile,
        p,
        PrintSpec(64 * 25.4 / 300, 64 * 25.4 / 300, 300, "full", 64 * 25.4 / 300, "lanczos"),
        provenance=Provenance(region="jiangnan", descriptors="ice crack 冰裂", seed="9"),
    )
    return p


def test_recolour_keeps_structure_and_luminance_order(tile: np.ndarray) -> None:
    inks = reduce_inks(tile, 4)
    cw = user_colourway("mono", [(250, 250, 250), (10, 10, 10), (120, 120, 120), (60, 60, 60)])
    out = recolour(inks, cw)
    assert np.array_equal(out.labels, inks.labels)
    l_src = srgb_to_lab(inks.palette)[:, 0]
    l_dst = srgb_to_lab(out.palette)[:, 0]
    assert np.array_equal(np.argsort(l_src), np.argsort(l_dst))


def test_region_colourways_use_region_colours(tile: np.ndarray) -> None:
    cws = region_colourways("dunhuang", 5, 3)
    assert len(cws) == 3
    assert all(c.region == "dunhuang" for cw in cws for c in cw.colours)
    assert len({tuple(c.rgb for c in cw.colours) for cw in cws}) == 3
    sheet = colourway_sheet(reduce_inks(tile, 5), cws, cell=64)
    assert sheet.ndim == 3 and sheet.shape[0] > 64 and sheet.shape[1] >= 4 * 64


def test_cli_png_reads_provenance_from_the_tile(tmp_path: Path, tile_png: Path) -> None:
    out = tmp_path / "print.png"
    rc = main(
        [
            "export",
            "--input",
            str(tile_png),
            "--format",
            "png",
            "--width",
            "2cm",
            "--height",
            "1in",
            "--dpi",
            "100",
            "--repeat",
            "half-brick",
            "--repeat-size",
            "1cm",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    with Image.open(out) as im:
        assert im.size == (79, 100)
    prov = read_png_provenance(str(out))
    assert (prov.region, prov.descriptors, prov.seed) == ("jiangnan", "ice crack 冰裂", "9")


def test_cli_svg_with_snap_and_colourways(tmp_path: Path, tile_png: Path) -> None:
    out = tmp_path / "d.svg"
    rc = main(
        [
            "export",
            "--input",
            str(tile_png),
            "--width",
            "60mm",
            "--height",
            "60mm",
            "--inks",
            "4",
            "--snap",
            "region",
            "--colourways",
            "2",
            "--palette",
            "#000000,#FFFFFF",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    text = out.read_text(encoding="utf-8")
    assert text.count('inkscape:groupmode="layer"') >= 2
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "d-colourway1.svg",
        "d-colourway2.svg",
        "d-colourway3.svg",
        "d-colourways.png",
        "d.svg",
        "tile.png",
    ]


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--width", "60"], "--width"),
        (["--repeat", "zigzag"], "--repeat"),
        (["--inks", "40"], "--inks"),
        (["--lock", "red"], "--lock"),
        (["--format", "pdf"], "--format"),
    ],
)
def test_cli_user_errors_exit_2(
    tmp_path: Path, tile_png: Path, capsys: pytest.CaptureFixture, argv: list[str], needle: str
) -> None:
    base = {"--width": "5cm", "--height": "5cm"}
    for k, v in zip(argv[::2], argv[1::2], strict=True):
        base[k] = v
    args = ["export", "--input", str(tile_png), "--out", str(tmp_path / "x.svg")]
    for k, v in base.items():
        args += [k, v]
    rc = main(args)
    assert rc == 2
    assert needle in capsys.readouterr().err
    assert not (tmp_path / "x.svg").exists()


def test_cli_missing_input(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    rc = main(
        [
            "export",
            "--input",
            str(tmp_path / "none.png"),
            "--width",
            "1cm",
            "--height",
            "1cm",
            "--out",
            str(tmp_path / "o.png"),
        ]
    )
    assert rc == 2 and "none.png" in capsys.readouterr().err


def test_cli_png_with_locked_ink_keeps_it_exactly(tmp_path: Path, tile_png: Path) -> None:
    out = tmp_path / "l.png"
    rc = main(
        [
            "export",
            "--input",
            str(tile_png),
            "--width",
            "1cm",
            "--height",
            "1cm",
            "--dpi",
            "254",
            "--repeat-size",
            "5mm",
            "--inks",
            "4",
            "--lock",
            "#F5ECD7",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    img = np.asarray(Image.open(out).convert("RGB")).reshape(-1, 3)
    colours = {tuple(int(v) for v in c) for c in np.unique(img, axis=0)}
    assert (0xF5, 0xEC, 0xD7) in colours and len(colours) <= 4  # flat inks only
