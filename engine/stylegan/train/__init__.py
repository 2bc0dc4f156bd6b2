"""GAN training for the StyleGAN2 engine (`wenyang train gan`).

Public API: `TrainConfig` (options), `Trainer` (networks, optimisers, loop, snapshots),
`AugmentPipe` / `AdaController` (adaptive augmentation). Torch is imported by the submodules
only, so importing this package stays cheap.
"""

from __future__ import annotations

from engine.stylegan.train.options import TrainConfig

__all__ = ["TrainConfig"]
