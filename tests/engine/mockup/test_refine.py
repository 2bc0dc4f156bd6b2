"""GrabCut refinement from a rough mask, strokes and a rectangle."""

from __future__ import annotations

import cv2
import numpy as np

from engine.mockup.refine import iou, refine_mask, stroke_mask


def scene(size: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """A textured red 'garment' on a textured blue-grey background, and its true mask."""
    rng = np.random.default_rng(0)
    img = np.empty((size, size, 3), np.float32)
    img[:] = (90, 110, 140)
    img += rng.normal(0, 12, img.shape)
    gt = np.zeros((size, size), np.uint8)
    cv2.ellipse(gt, (size // 2, size // 2), (size // 4, size // 3), 15, 0, 360, 1, -1)
    fg = np.array((200, 60, 50), np.float32) + rng.normal(0, 12, img.shape)
    img[gt > 0] = fg[gt > 0]
    return np.clip(img, 0, 255).astype(np.uint8), gt


def test_refinement_improves_a_rough_mask():
    img, gt = scene()
    rough = cv2.dilate(gt, np.ones((15, 15), np.uint8))  # a sloppy, too-big guess
    rough = np.roll(rough, 6, axis=1)
    prob = rough.astype(np.float32) * 0.8 + 0.1
    before = iou(rough, gt)
    after = iou(refine_mask(img, prob), gt)
    assert before < 0.8
    assert after > 0.9 and after > before + 0.1


def test_rectangle_alone_finds_the_garment():
    img, gt = scene()
    ys, xs = np.nonzero(gt)
    rect = (xs.min() - 6, ys.min() - 6, xs.max() + 7, ys.max() + 7)
    assert iou(refine_mask(img, None, rect), gt) > 0.85


def test_strokes_are_hard_constraints():
    img, gt = scene()
    prob = gt.astype(np.float32)
    exclude = stroke_mask(gt.shape, [(64, 40), (64, 90)], 3)  # cut a line through it
    include = stroke_mask(gt.shape, [(5, 5), (20, 5)], 2)  # claim a background corner
    out = refine_mask(img, prob, include=include, exclude=exclude)
    assert out[exclude].sum() == 0
    assert out[include].all()


def test_large_photos_run_downscaled_but_return_full_size():
    img, gt = scene(128)
    big = cv2.resize(img, (400, 400), interpolation=cv2.INTER_NEAREST)
    gbig = cv2.resize(gt, (400, 400), interpolation=cv2.INTER_NEAREST)
    out = refine_mask(big, gbig.astype(np.float32) * 0.9, max_side=128)
    assert out.shape == (400, 400)
    assert iou(out, gbig) > 0.85


def test_mask_png_round_trip():
    from engine.mockup.refine import mask_from_png, mask_to_png

    _, gt = scene(64)
    assert np.array_equal(mask_from_png(mask_to_png(gt)), gt)
