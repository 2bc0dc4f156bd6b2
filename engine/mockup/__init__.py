"""Garment mockups: built-in templates, the designer's own photos, realistic compositing.

    from engine.mockup import MockupRenderer, list_templates
    MockupRenderer("qipao").render(tile, repeat_cm=20)          # uint8 HxWx3 RGB

Photos: `Segmenter().predict(photo)` -> probabilities, `refine_mask(photo, prob, rect,
include, exclude)` -> mask, `photo_template(photo, mask)` -> a Template for the renderer.
Heavy modules (torch) load only when a segmentation function is used.
"""

from __future__ import annotations

from engine.mockup.composite import MockupRenderer
from engine.mockup.photo import photo_template
from engine.mockup.refine import refine_mask, stroke_mask
from engine.mockup.template import Region, Template, list_templates, load_template

__all__ = [
    "MockupRenderer",
    "Region",
    "Template",
    "list_templates",
    "load_template",
    "photo_template",
    "refine_mask",
    "stroke_mask",
]
