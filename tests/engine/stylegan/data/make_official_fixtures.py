"""Regenerate the official-parity fixtures (run by hand, never by the tests).

Needs a local checkout of NVIDIA's StyleGAN2-ADA PyTorch release (not part of this project,
its licence forbids copying): OFFICIAL_DIR=/path/to/stylegan2-ada-pytorch python this_file.py
It records facts only: state-dict names/shapes, and the outputs of the official forward pass
for seeded random weights, so our networks can be checked against them.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file

HERE = Path(__file__).resolve().parent

G_KWARGS = dict(
    z_dim=16,
    c_dim=8,
    w_dim=16,
    img_resolution=32,
    img_channels=3,
    mapping_kwargs=dict(num_layers=2),
    synthesis_kwargs=dict(channel_base=512, channel_max=32, num_fp16_res=0, conv_clamp=256),
)
D_KWARGS = dict(
    c_dim=8,
    img_resolution=32,
    img_channels=3,
    channel_base=512,
    channel_max=32,
    mapping_kwargs=dict(num_layers=2),
)


def main() -> None:
    sys.path.insert(0, os.environ["OFFICIAL_DIR"])
    from training.networks import Discriminator, Generator  # the official classes

    torch.manual_seed(123)
    G = Generator(**G_KWARGS).eval()
    D = Discriminator(**D_KWARGS).eval()
    with torch.no_grad():  # make every parameter and buffer matter (noise, w_avg, biases)
        for name, t in [*G.named_parameters(), *G.named_buffers(), *D.named_parameters()]:
            if "resample_filter" in name:
                continue
            t.copy_(torch.randn_like(t) * (0.5 if t.ndim <= 1 else 1.0))
    z = torch.randn(3, 16)
    c = torch.randn(3, 8)
    img = torch.randn(4, 3, 32, 32)
    cd = torch.randn(4, 8)
    with torch.no_grad():
        ws = G.mapping(z, c, truncation_psi=0.7)
        out = {
            "in.z": z,
            "in.c": c,
            "in.img": img,
            "in.cd": cd,
            "out.ws_psi07": ws,
            "out.img_psi07_const": G(z, c, truncation_psi=0.7, noise_mode="const"),
            "out.img_psi1_none": G(z, c, noise_mode="none"),
            "out.img_unfused": G.synthesis(ws, noise_mode="const", fused_modconv=False),
            "out.logits": D(img, cd),
        }
    tensors = {f"G.{k}": v.contiguous() for k, v in G.state_dict().items()}
    tensors.update({f"D.{k}": v.contiguous() for k, v in D.state_dict().items()})
    tensors.update({k: v.contiguous() for k, v in out.items()})
    save_file(tensors, str(HERE / "official_parity.safetensors"))
    layout = {
        "G_kwargs": G_KWARGS,
        "D_kwargs": D_KWARGS,
        "G": [[k, list(v.shape)] for k, v in G.state_dict().items()],
        "D": [[k, list(v.shape)] for k, v in D.state_dict().items()],
    }
    (HERE / "official_layout.json").write_text(json.dumps(layout, indent=1) + "\n")


if __name__ == "__main__":
    main()
