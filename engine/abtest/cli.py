"""`wenyang abtest export`: N variants of a prompt as an A/B batch folder for the tuner."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from engine.errors import UserInputError
from engine.stylegan.region_truncation import add_truncate_to_argument


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("abtest", help="A/B test batches")
    inner = p.add_subparsers(dest="abtest_cmd", metavar="export", parser_class=type(p))
    inner.required = True
    e = inner.add_parser(
        "export",
        help="render N variants + manifest.csv, latents, results template",
        description="Render N variants of a region/prompt into DIR (variants/*.png, "
        "manifest.csv, latents.safetensors, embeddings.safetensors, batch.json, "
        "results_template.csv) for an A/B test; import the results with `wenyang tune`.",
    )
    e.add_argument("--region", required=True, help="region id, e.g. dunhuang")
    e.add_argument("--text", default="", help="cultural descriptors (English or Chinese)")
    e.add_argument("-n", type=int, default=8, help="number of variants (default 8)")
    e.add_argument("--out", required=True, type=Path, help="new (or empty) output folder")
    e.add_argument("--seed", type=int, default=0, help="first seed (variants use seed+i)")
    e.add_argument("--truncation", type=float, default=0.7, help="truncation psi (0.7)")
    add_truncate_to_argument(e)
    e.add_argument("--policy", type=Path, default=None, help="tuned policy file")
    e.add_argument("--policy-strength", type=float, default=1.0, help="0..1 (default 1)")
    e.add_argument("--model", type=Path, default=None, help="generator folder (default: shipped)")
    e.add_argument("--clip", type=Path, default=None, help="CLIP folder (default: shipped)")
    e.add_argument("--device", default="auto", help="auto|cpu|cuda")
    e.add_argument(
        "--noise-mode",
        default="seeded",
        choices=("seeded", "const"),
        help="synthesis noise: seeded (default, as the studio: from each variant's seed) or "
        "const (one shared noise, as designs before session 6)",
    )
    e.add_argument(
        "--no-embeddings",
        action="store_true",
        help="skip embeddings.safetensors (CLIP image embeddings)",
    )
    e.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from engine.abtest.batch import BatchSpec, render_variants, write_batch
    from engine.abtest.conditioning import (
        check_region,
        condition_prompt,
        load_policy_offset,
        text_condition,
    )

    region = check_region(args.region)
    spec = BatchSpec(
        region,
        args.text,
        args.n,
        args.seed,
        args.truncation,
        truncate_to=args.truncate_to,
        noise_mode=args.noise_mode,
    )
    out = Path(args.out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UserInputError(
            "the output folder exists and is not empty; choose a new folder",
            path=str(out),
            field="--out",
        )
    try:
        from engine.stylegan.render import Renderer
    except ImportError as exc:
        raise UserInputError("this build has no generator renderer", field="--model") from exc
    renderer = Renderer(args.model, device=args.device)
    info = renderer.info
    encoder = None
    c = None
    if info.c_dim > 0:
        from engine.clip import load_encoder

        encoder = load_encoder(args.clip)
        from engine.stylegan.pairing import condition_mismatch

        mismatch = condition_mismatch(info.clip_hash, getattr(encoder, "model_hash", ""))
        if mismatch:
            print(f"note: {mismatch}", file=sys.stderr)
        c = text_condition(encoder, condition_prompt(region, args.text), info.c_dim)
    elif args.text:
        print(
            "note: the generator is unconditional; --text is recorded but not used", file=sys.stderr
        )
    policy_offset = None
    if args.policy is not None:
        policy_offset, pid = load_policy_offset(args.policy, region, c, args.policy_strength)
        spec = BatchSpec(
            region,
            args.text,
            args.n,
            args.seed,
            args.truncation,
            pid,
            args.truncate_to,
            noise_mode=args.noise_mode,
        )

    def progress(f: float) -> None:
        print(f"\rrendering {round(f * spec.n)}/{spec.n}", end="", file=sys.stderr, flush=True)

    variants = render_variants(renderer, spec, c, policy_offset, progress=progress)
    print(file=sys.stderr)
    emb: np.ndarray | None = None
    if encoder is not None and not args.no_embeddings:
        t = encoder.encode_image(np.stack([v.image for v in variants]))
        emb = t.detach().cpu().numpy().astype(np.float32)
    for note in getattr(renderer, "notices", []):
        print(f"note: {note}", file=sys.stderr)
    write_batch(
        out, spec, variants, model_id=info.model_id, model_hash=info.model_hash, c=c, embeddings=emb
    )
    print(f"wrote {out} ({len(variants)} variants)")
    return 0
