"""Garment segmentation models: ours (shipped) and the public cloths_segmentation Unet.

Both are segmentation_models_pytorch Unets with one logit channel. Ours lives in a folder
(model.safetensors + config.json); the cloths_segmentation release is a PyTorch Lightning
checkpoint whose `state_dict` keys carry a `model.` prefix. `Segmenter.predict` hides the
difference: RGB uint8 photo in, garment probability per pixel out.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from engine.errors import UserInputError
from engine.paths import MODELS_DIR

SEG_DIR = MODELS_DIR / "segmentation"
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
CLOTHS_ENCODER = "timm-efficientnet-b3"  # the name smp used when cloths_segmentation was made

DEFAULT_CONFIG: dict[str, Any] = {
    "arch": "Unet",
    "encoder_name": "mobilenet_v2",
    "decoder_channels": [64, 32, 24, 16, 8],
    "classes": 1,
    "input_size": 160,
    "mean": list(MEAN),
    "std": list(STD),
}


def build_model(config: dict[str, Any]) -> Any:
    """An smp model from a config dict; weights are initialised by us, never downloaded."""
    import segmentation_models_pytorch as smp

    if config.get("arch", "Unet") != "Unet":
        raise UserInputError(f"only Unet models are supported, got {config.get('arch')!r}")
    kwargs: dict[str, Any] = {}
    if "decoder_channels" in config:
        kwargs["decoder_channels"] = tuple(config["decoder_channels"])
    return smp.Unet(
        encoder_name=cloths_encoder_name(config["encoder_name"]),
        encoder_weights=None,
        classes=int(config.get("classes", 1)),
        **kwargs,
    )


def cloths_encoder_name(name: str) -> str:
    """Map encoder names smp renamed since; `timm-efficientnet-b3` still exists in smp 0.6."""
    import segmentation_models_pytorch as smp

    if name in smp.encoders.get_encoder_names():
        return name
    renamed = {"timm-efficientnet-b3": "tu-tf_efficientnet_b3"}
    return renamed.get(name, name)


def save_model(model: Any, config: dict[str, Any], out_dir: Path) -> None:
    """model.safetensors + config.json into an existing folder (callers make it atomic)."""
    from safetensors.torch import save_file

    sd = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(sd, str(Path(out_dir) / "model.safetensors"))
    (Path(out_dir) / "config.json").write_text(json.dumps(config, indent=2) + "\n", "utf-8")


def load_model_dir(model_dir: Path) -> tuple[Any, dict[str, Any]]:
    from safetensors.torch import load_file

    model_dir = Path(model_dir)
    cfg_path, w_path = model_dir / "config.json", model_dir / "model.safetensors"
    if not cfg_path.is_file() or not w_path.is_file():
        raise UserInputError(
            "expected a segmentation model folder with config.json and model.safetensors "
            "(train one with `wenyang train seg --out DIR`)",
            path=str(model_dir),
        )
    config = {**DEFAULT_CONFIG, **json.loads(cfg_path.read_text("utf-8"))}
    model = build_model(config)
    model.load_state_dict(load_file(str(w_path)))
    return model.eval(), config


def load_cloths_checkpoint(path: Path) -> tuple[Any, dict[str, Any]]:
    """The public cloths_segmentation weights (Lightning checkpoint, `model.` key prefix)."""
    import torch

    path = Path(path)
    try:
        ck = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # a pickle that is not plain tensors, or not a checkpoint at all
        raise UserInputError(f"cannot read a PyTorch checkpoint ({exc})", path=str(path)) from exc
    sd = ck.get("state_dict", ck) if isinstance(ck, dict) else None
    if not isinstance(sd, dict):
        raise UserInputError("expected a checkpoint dict with a 'state_dict'", path=str(path))
    sd = {(k[6:] if k.startswith("model.") else k): v for k, v in sd.items()}
    config = {
        **DEFAULT_CONFIG,
        "encoder_name": CLOTHS_ENCODER,
        "input_size": 512,
        "source": "cloths_segmentation",
    }
    config.pop("decoder_channels")
    model = build_model(config)
    missing, unexpected = model.load_state_dict(sd, strict=False)
    if missing or unexpected:
        raise UserInputError(
            f"not a cloths_segmentation Unet({CLOTHS_ENCODER}) checkpoint: "
            f"{len(missing)} missing keys (e.g. {missing[:2]}), {len(unexpected)} unexpected "
            f"(e.g. {unexpected[:2]})",
            path=str(path),
        )
    return model.eval(), config


def to_tensor(images: np.ndarray, config: dict[str, Any]) -> Any:
    """NHWC uint8 RGB -> normalised NCHW float tensor."""
    import torch

    x = torch.from_numpy(np.ascontiguousarray(images)).float().div_(255).permute(0, 3, 1, 2)
    mean = torch.tensor(config.get("mean", MEAN)).view(1, 3, 1, 1)
    std = torch.tensor(config.get("std", STD)).view(1, 3, 1, 1)
    return (x - mean) / std


class Segmenter:
    """Garment probability for a photo. `model_dir=None` loads the shipped model; a path to a
    `.ckpt`/`.pt` file is read as a cloths_segmentation checkpoint."""

    def __init__(self, model_dir: Path | None = None, device: str = "cpu") -> None:
        path = Path(model_dir) if model_dir is not None else SEG_DIR
        if path.is_file():
            self.model, self.config = load_cloths_checkpoint(path)
        else:
            self.model, self.config = load_model_dir(path)
        self.device = device
        self.model.to(device)

    def predict(self, image: np.ndarray, tta: bool = True) -> np.ndarray:
        """float32 HxW probabilities in [0, 1] at the photo's own size.

        tta: also run the mirror image and average (a garment is as likely either way round)."""
        import torch

        if image.ndim != 3 or image.shape[2] != 3:
            raise UserInputError(f"expected an RGB image, got shape {image.shape}")
        h, w = image.shape[:2]
        s = int(self.config.get("input_size", 160))
        # the long side to the training size, padded to a multiple of 32 (Unet's stride)
        k = s / max(h, w)
        nh, nw = max(1, round(h * k)), max(1, round(w * k))
        small = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA)
        ph, pw = -(-nh // 32) * 32, -(-nw // 32) * 32
        padded = cv2.copyMakeBorder(small, 0, ph - nh, 0, pw - nw, cv2.BORDER_REFLECT_101)
        batch = np.stack([padded, padded[:, ::-1]]) if tta else padded[None]
        x = to_tensor(batch, self.config).to(self.device)
        with torch.no_grad():
            out = self.model(x)[:, 0].float().cpu().numpy()
        if tta:  # the mirrored run, flipped back, over the same padded frame
            out = np.stack([out[0], out[1][:, ::-1]])
        logit = out.mean(0)[:nh, :nw]
        prob = 1.0 / (1.0 + np.exp(-logit))
        return cv2.resize(prob, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32)


def garment_mask(prob: np.ndarray, keep: float = 0.25, hole: float = 0.01) -> np.ndarray:
    """The model's mask as the designer gets it (uint8 HxW, 1 = garment): p >= 0.5, only
    the largest blob and blobs at least `keep` of its size (a garment is one piece, maybe cut
    by an occluder), small holes (< `hole` of the garment) filled; big holes such as a tote's
    handle loops stay open."""
    m = (prob >= 0.5).astype(np.uint8)
    n, lab, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=8)
    if n <= 1:
        return m
    areas = stats[1:, cv2.CC_STAT_AREA]
    big = areas.max()
    good = np.zeros(n, bool)
    good[1:] = areas >= keep * big
    m = good[lab].astype(np.uint8)
    inv = 1 - m
    n2, lab2, stats2, _ = cv2.connectedComponentsWithStats(inv, connectivity=4)
    h, w = m.shape
    limit = hole * m.sum()
    for i in range(1, n2):
        x, y, bw, bh, area = stats2[i]
        touches = x == 0 or y == 0 or x + bw == w or y + bh == h
        if not touches and area < limit:
            m[lab2 == i] = 1
    return m
