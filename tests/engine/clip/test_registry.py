"""Config registration with open_clip, and a light `import engine.clip`."""

from __future__ import annotations

import subprocess
import sys

from engine.clip.registry import CONFIG_DIR, DEFAULT_MODEL_NAME, is_model_config


def _run(code: str) -> str:
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    return res.stdout.strip()


def test_import_registers_config_without_loading_torch() -> None:
    out = _run(
        "import sys, engine.clip\n"
        "print('torch' in sys.modules, 'open_clip' in sys.modules)\n"
        "import open_clip\n"
        f"print({DEFAULT_MODEL_NAME!r} in open_clip.list_models())\n"
    )
    assert out.splitlines() == ["False False", "True"]


def test_registers_when_open_clip_already_imported() -> None:
    out = _run(
        f"import open_clip, engine.clip\nprint({DEFAULT_MODEL_NAME!r} in open_clip.list_models())\n"
    )
    assert out == "True"


def test_project_config_is_small_open_clip_config() -> None:
    import json

    path = CONFIG_DIR / f"{DEFAULT_MODEL_NAME}.json"
    assert is_model_config(path)
    cfg = json.loads(path.read_text())
    assert cfg["embed_dim"] <= 512
    assert cfg["vision_cfg"]["image_size"] <= 128
    assert 32 <= cfg["text_cfg"]["context_length"] <= 77
    assert cfg["text_cfg"]["vocab_size"] == 49408  # open_clip's own BPE vocabulary


def test_default_config_is_a_resnet_tower_in_the_generators_condition_width() -> None:
    import torch

    from engine.clip.checkpoint import create_model
    from engine.clip.registry import model_config

    cfg = model_config(DEFAULT_MODEL_NAME)
    assert cfg["embed_dim"] == 256  # the generator's c_dim
    assert isinstance(cfg["vision_cfg"]["layers"], list)  # open_clip's ModifiedResNet
    model = create_model(DEFAULT_MODEL_NAME).eval()
    with torch.no_grad():
        emb = model.encode_image(torch.zeros(2, 3, 96, 96))
    assert emb.shape == (2, 256)
    assert is_model_config(CONFIG_DIR / "wenyang-clip-s.json")  # the earlier ViT stays loadable
