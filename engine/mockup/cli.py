"""`wenyang mockup --pattern PNG (--template NAME | --photo IMG) --out PNG` (DESIGN §5)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _positive_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not v > 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {v}")
    return v


def photo_mask(photo: object, args: argparse.Namespace) -> object:
    """The garment mask of a photo: a given mask file, or the segmentation model + GrabCut."""
    import numpy as np

    from engine.mockup.template import read_image

    if args.mask is not None:
        m = read_image(args.mask, 0)
        if m.shape != photo.shape[:2]:  # type: ignore[attr-defined]
            from engine.errors import UserInputError

            raise UserInputError(
                f"mask is {m.shape[1]}x{m.shape[0]} px; the photo is "
                f"{photo.shape[1]}x{photo.shape[0]}",  # type: ignore[attr-defined]
                path=str(args.mask),
            )
        return (m > 127).astype(np.float32)
    from engine.mockup.refine import refine_mask
    from engine.mockup.segment import Segmenter, garment_mask

    prob = Segmenter(args.seg_model).predict(photo)  # type: ignore[arg-type]
    if args.no_refine:
        return garment_mask(prob).astype(np.float32)
    return refine_mask(photo, prob).astype(np.float32)  # type: ignore[arg-type]


def _run(args: argparse.Namespace) -> int:
    import cv2

    from engine.atomic import atomic_path
    from engine.errors import UserInputError
    from engine.mockup.composite import MockupRenderer
    from engine.mockup.template import list_templates, load_template, read_image

    if args.list:
        for name in list_templates():
            print(name)
        return 0
    if args.pattern is None or args.out is None or (args.template is None) == (args.photo is None):
        raise UserInputError(
            "expected --pattern PNG, --out PNG and one of --template NAME or --photo IMG",
            field="wenyang mockup",
        )
    tile = read_image(args.pattern)
    if args.template is not None:
        template = load_template(args.template)
    else:
        from engine.mockup.photo import photo_template

        photo = read_image(args.photo)
        template = photo_template(photo, photo_mask(photo, args), args.photo_width_cm)  # type: ignore[arg-type]
    out = MockupRenderer(template).render(
        tile, args.repeat_cm, args.scale, args.rotation, tuple(args.offset), args.layout
    )
    with atomic_path(args.out, suffix=".png") as tmp:
        if not cv2.imwrite(str(tmp), cv2.cvtColor(out, cv2.COLOR_RGB2BGR)):
            raise UserInputError("cannot write the PNG", path=str(args.out))
    print(args.out, file=sys.stdout)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "mockup",
        help="show a pattern on a garment template or on your own garment photo",
        description="Lay a pattern repeat onto a built-in garment (--template) or onto a "
        "garment photo (--photo, segmented automatically or by --mask) at true physical "
        "scale, following its folds and light.",
    )
    p.add_argument("--pattern", type=Path, help="pattern tile (PNG/JPEG), one repeat")
    p.add_argument("--template", help="built-in template name (see --list)")
    p.add_argument("--photo", type=Path, help="your garment photo")
    p.add_argument("--out", type=Path, help="output PNG")
    p.add_argument(
        "--repeat-cm",
        type=_positive_float,
        default=20.0,
        help="printed width of one repeat in cm (default 20)",
    )
    p.add_argument("--scale", type=_positive_float, default=1.0, help="multiplies the repeat")
    p.add_argument("--rotation", type=float, default=0.0, help="degrees, counter-clockwise")
    p.add_argument(
        "--offset",
        type=float,
        nargs=2,
        default=(0.0, 0.0),
        metavar=("X", "Y"),
        help="shift of the print in repeats",
    )
    p.add_argument(
        "--layout",
        default="full",
        help="repeat layout: full, half-drop, half-brick, mirror, center",
    )
    p.add_argument("--mask", type=Path, help="garment mask for --photo (white = garment)")
    p.add_argument(
        "--seg-model",
        type=Path,
        default=None,
        help="segmentation model folder or cloths_segmentation .ckpt (default: the shipped model)",
    )
    p.add_argument("--no-refine", action="store_true", help="skip GrabCut after the model")
    p.add_argument(
        "--photo-width-cm",
        type=_positive_float,
        default=50.0,
        help="real width of the garment in the photo (sets the print scale)",
    )
    p.add_argument("--list", action="store_true", help="list the built-in templates")
    p.set_defaults(func=_run)
