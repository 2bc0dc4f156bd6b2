"""Offline PPO tuner: A/B results → dissemination index → surrogate → PPO → policy file.

Public API (imports are lazy so `wenyang --help` and the GUI stay light):
  import_results(paths, variant_ids, ...) -> ImportedResults   (engine.tuner.csvimport)
  read_batches(dirs) -> Batch                                   (engine.tuner.batch)
  arm_figures(imported, weights, baseline) -> ArmFigures        (engine.tuner.reward)
  tune(variant_dirs, results, out, report_dir, config, progress, cancel) -> TuneResult
  load_policy(path) -> Policy ; Policy.offset(region_id, c, strength) -> np.ndarray [w_dim]
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "import_results": "engine.tuner.csvimport",
    "ImportedResults": "engine.tuner.csvimport",
    "read_batches": "engine.tuner.batch",
    "arm_figures": "engine.tuner.reward",
    "RewardWeights": "engine.tuner.reward",
    "power_guidance": "engine.tuner.reward",
    "tune": "engine.tuner.pipeline",
    "TuneConfig": "engine.tuner.pipeline",
    "TuneResult": "engine.tuner.pipeline",
    "PPOConfig": "engine.tuner.ppo",
    "Policy": "engine.tuner.policy",
    "load_policy": "engine.tuner.policy",
    "save_policy": "engine.tuner.policy",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    mod = _EXPORTS.get(name)
    if mod is None:
        raise AttributeError(f"module 'engine.tuner' has no attribute {name!r}")
    return getattr(importlib.import_module(mod), name)
