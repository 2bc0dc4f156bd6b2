"""Latent sliders: unsupervised (SeFa), named attribute (InterFaceGAN) and text (StyleCLIP
global) directions in W, plus truncation toward a region's own mean w.

Every direction is a `Direction`: a unit vector in W, the W distance of one slider step and
the w rows (layer range) it acts on; `Direction.offset(step)` is a `RenderRequest.offsets`
entry, so applying a slider is one synthesis pass through the shared renderer.
"""

from __future__ import annotations

from engine.directions.base import Direction, spearman

__all__ = ["Direction", "spearman"]
