"""`wenyang export --input design.wenyang` re-renders the design with the generator."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from engine.cli import main
from engine.export.provenance import read_png_provenance


def test_export_from_project(tmp_path: Path) -> None:
    from engine.project import Design, save_project
    from engine.stylegan.checkpoint import save_generator
    from engine.stylegan.config import generator_kwargs
    from engine.stylegan.networks import Generator
    from engine.stylegan.render import Renderer, RenderRequest

    torch.manual_seed(0)
    G = Generator(**generator_kwargs("tiny", c_dim=0, resolution=16))
    gen = save_generator(G, tmp_path / "gen")
    proj = save_project(
        tmp_path / "d.wenyang",
        Design(region="hakka", text="土楼", seed=3, truncation=0.8, repeat="mirror"),
    )
    out = tmp_path / "p.png"
    # 16 px tile, repeat = 16 px at 100 DPI: the print is the raw tile, mirrored
    rc = main(
        [
            "export",
            "--input",
            str(proj),
            "--model",
            str(gen),
            "--width",
            "0.32in",
            "--height",
            "0.32in",
            "--dpi",
            "100",
            "--repeat-size",
            "0.16in",
            "--upscale",
            "lanczos",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    img = np.asarray(Image.open(out).convert("RGB"))
    tile = Renderer(gen, device="cpu").render(RenderRequest(seed=3, truncation=0.8)).image
    assert img.shape == (32, 32, 3)
    assert np.array_equal(img[:16, :16], tile)
    assert np.array_equal(img[:16, 16:], tile[:, ::-1])  # the project's mirror layout
    prov = read_png_provenance(str(out))
    assert (prov.region, prov.descriptors, prov.seed) == ("hakka", "土楼", "3")
    assert prov.model_hash == Renderer(gen, device="cpu").info.model_hash
