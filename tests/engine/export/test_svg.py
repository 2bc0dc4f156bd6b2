from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import cairosvg
import numpy as np
import pytest
from PIL import Image

from engine.export.colour import ciede2000, srgb_to_lab
from engine.export.provenance import IPTC_SOURCE_TYPE, Provenance
from engine.export.repeat import tile_canvas
from engine.export.svg_export import SvgSpec, export_svg
from engine.seam import seam_error

NS = {
    "svg": "http://www.w3.org/2000/svg",
    "inkscape": "http://www.inkscape.org/namespaces/inkscape",
}


def _render(path: Path, w: int, h: int) -> np.ndarray:
    png = cairosvg.svg2png(url=str(path), output_width=w, output_height=h)
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def test_svg_structure_layers_pattern_metadata(tmp_path: Path, tile: np.ndarray) -> None:
    prov = Provenance(region="miao", descriptors="蝴蝶妈妈 butterfly", seed="4", model_id="m1")
    out = tmp_path / "d.svg"
    inks = export_svg(tile, out, SvgSpec(600, 300, "half-drop", 100), n_inks=5, provenance=prov)
    root = ET.parse(out).getroot()
    assert root.get("width") == "600mm" and root.get("height") == "300mm"
    assert root.get("viewBox", "").split()[:2] == ["0", "0"]
    layers = root.findall("svg:g[@inkscape:groupmode='layer']", NS)
    assert len(layers) == inks.n_inks
    labels = [g.get(f"{{{NS['inkscape']}}}label") for g in layers]
    assert all(re.fullmatch(r"Ink \d+ .*#[0-9A-F]{6}", lb or "") for lb in labels)
    pats = root.findall(".//svg:pattern", NS)
    assert pats and all(p.get("patternUnits") == "userSpaceOnUse" for p in pats)
    vb_w = float(root.get("viewBox", "").split()[2])
    assert float(pats[0].get("width", 0)) == pytest.approx(2 * 100 * vb_w / 600)  # 2 tiles
    text = out.read_text(encoding="utf-8")
    assert IPTC_SOURCE_TYPE in text and "蝴蝶妈妈 butterfly" in text
    assert root.find("svg:metadata", NS) is not None
    assert list(tmp_path.iterdir()) == [out]


@pytest.mark.parametrize("layout", ["full", "half-drop", "half-brick", "mirror", "center"])
def test_rendered_svg_matches_ink_raster(tmp_path: Path, tile: np.ndarray, layout: str) -> None:
    # tile 64 px as a 32 mm repeat, rendered at 4 px/mm: 2 render px per tile px
    spec = SvgSpec(96, 64, layout, 32)
    out = tmp_path / "f.svg"
    inks = export_svg(tile, out, spec, n_inks=6)
    r = _render(out, 384, 256)
    big = np.repeat(np.repeat(inks.image(), 2, axis=0), 2, axis=1)  # nearest: no blur
    ref = tile_canvas(big, 384, 256, layout)
    de = ciede2000(srgb_to_lab(r), srgb_to_lab(ref))
    assert de.mean() <= 3.0, de.mean()


def test_no_seam_between_rendered_repeats(tmp_path: Path, tile: np.ndarray) -> None:
    out = tmp_path / "s.svg"
    export_svg(tile, out, SvgSpec(64, 64, "full", 32), n_inks=6)
    r = _render(out, 256, 256)
    # one rendered repeat (32 mm at 4 px/mm) wraps onto itself like a seamless tile
    assert seam_error(r[:128, :128]).ratio < 1.5
    # the boundary rows between repeats differ no more than neighbouring rows elsewhere
    rows = r.astype(int)
    boundary = np.abs(rows[128] - rows[127]).mean()
    interior = np.abs(np.diff(rows, axis=0)).mean()
    assert boundary < 2.5 * interior + 1, (boundary, interior)
