"""What the studio knows about its engine: model, encoder, directions, current image."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal


@dataclass
class Direction:
    """One slider the sliders panel shows: a w-space direction on a layer range."""

    id: str
    name: str
    group: str  # "attribute" | "coarse" | "middle" | "fine" | "text"
    layers: tuple[int, int]
    vector: np.ndarray
    # region id -> the slider's own vector there (a named slider may move each region's
    # designs along its own direction: engine.directions.base.Direction.by_region)
    by_region: dict[str, np.ndarray] = field(default_factory=dict)

    def vector_for(self, region: str) -> np.ndarray:
        """The vector this slider adds to a design of `region`."""
        return self.by_region.get(region, self.vector)


def _vector(v: Any) -> np.ndarray:
    if hasattr(v, "detach"):
        v = v.detach().cpu().numpy()
    return np.asarray(v, np.float32).reshape(-1)


def directions_from_engine(items: list[Any]) -> list[Direction]:
    """Accept engine direction objects, dicts or (name, group, layers, vector) tuples."""
    out: list[Direction] = []
    for it in items:
        by_region: Any = {}
        if isinstance(it, tuple | list):
            name, group, layers, vec = it[:4]
            by_region = it[4] if len(it) > 4 else {}
        elif isinstance(it, dict):
            name, group = it["name"], it.get("group", "middle")
            layers, vec = it.get("layers") or it.get("layer_range"), it["vector"]
            by_region = it.get("by_region") or {}
        else:
            name, group = it.name, getattr(it, "group", "middle")
            layers = getattr(it, "layers", None) or getattr(it, "layer_range", None)
            vec = it.vector
        did = f"attr:{name}" if group == "attribute" else f"dir:{group}:{name}"
        out.append(
            Direction(
                did,
                str(name),
                str(group),
                (int(layers[0]), int(layers[1])),
                _vector(vec),
                {str(r): _vector(v) for r, v in by_region.items()},
            )
        )
    return out


class StudioState(QObject):
    """Engine status the views show (banner, sliders, meter); changed only on the GUI thread."""

    modelChanged = Signal()
    directionsChanged = Signal()
    imageChanged = Signal(object, int)  # image HxWx3 uint8, request id
    probabilitiesChanged = Signal(object)  # np.ndarray [8] or None
    encoderChanged = Signal()
    policyChanged = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model_state = "loading"  # loading | ready | missing
        self.model_message = ""
        self.info: Any = None
        self.device = ""
        self.encoder_ready = False
        self.encoder_message = ""
        self.directions: list[Direction] = []
        self.image: np.ndarray | None = None
        self.image_id = 0
        self.probabilities: np.ndarray | None = None
        self.policy: Any = None  # loaded engine.tuner Policy (numpy only), if any

    def set_model(self, state: str, info: Any = None, device: str = "", message: str = "") -> None:
        self.model_state, self.info, self.device, self.model_message = state, info, device, message
        self.modelChanged.emit()

    def set_directions(self, dirs: list[Direction]) -> None:
        self.directions = dirs
        self.directionsChanged.emit()

    def set_image(self, image: np.ndarray | None, request_id: int) -> None:
        self.image, self.image_id = image, request_id
        self.imageChanged.emit(image, request_id)

    def set_probabilities(self, p: np.ndarray | None) -> None:
        self.probabilities = p
        self.probabilitiesChanged.emit(p)

    def set_policy(self, policy: Any) -> None:
        self.policy = policy
        self.policyChanged.emit()

    def set_encoder(self, ready: bool, message: str = "") -> None:
        self.encoder_ready, self.encoder_message = ready, message
        self.encoderChanged.emit()

    @property
    def num_ws(self) -> int:
        return int(getattr(self.info, "num_ws", 0) or 0)

    @property
    def layer_ranges(self) -> dict[str, tuple[int, int]]:
        return dict(getattr(self.info, "layer_ranges", {}) or {})
