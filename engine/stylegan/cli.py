"""`wenyang generate` and `wenyang import-pkl` (names fixed by DESIGN §5)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from engine.errors import UserInputError
from engine.stylegan.region_truncation import add_truncate_to_argument


def register(sub: argparse._SubParsersAction) -> None:
    g = sub.add_parser(
        "generate",
        help="render pattern tiles for a region and descriptors",
        description="Render N seamless tiles; writes PNGs and manifest.json "
        "(with the w latents, so each image re-renders exactly).",
    )
    g.add_argument("--region", required=True, help="region id, e.g. dunhuang, miao")
    g.add_argument("--text", default="", help="cultural descriptors (English or Chinese)")
    g.add_argument("--seed", type=int, default=0, help="first seed (default 0)")
    g.add_argument("-n", type=int, default=4, help="number of images (default 4)")
    g.add_argument("--truncation", type=float, default=0.7, help="truncation psi (default 0.7)")
    add_truncate_to_argument(g)
    g.add_argument("--policy", type=Path, help="tuned policy file from `wenyang tune`")
    g.add_argument(
        "--policy-strength", type=float, default=1.0, help="0..1 (default 1): share of the offset"
    )
    g.add_argument("--out", type=Path, required=True, help="output folder")
    g.add_argument("--model", type=Path, help="generator folder (default: shipped model)")
    g.add_argument("--clip-model", type=Path, help="CLIP folder (default: shipped model)")
    g.add_argument("--device", default="auto", help="auto, cpu or cuda")
    g.add_argument(
        "--noise-mode",
        default="seeded",
        choices=("seeded", "const", "none", "random"),
        help="synthesis noise: seeded (default, as the studio: drawn from each tile's seed), "
        "const (one shared noise: how designs before session 6 rendered), none, random",
    )
    g.set_defaults(func=run_generate)

    p = sub.add_parser(
        "import-pkl",
        help="convert an official StyleGAN2-ADA pickle safely",
        description="Read network-snapshot-*.pkl with a restricted unpickler "
        "(no embedded code runs) and write safetensors + config.",
    )
    p.add_argument("pkl", type=Path, help="NETWORK.pkl")
    p.add_argument("--out", type=Path, required=True, help="MODEL_DIR to write")
    p.add_argument(
        "--tileable",
        action="store_true",
        help="render the imported weights with wrap-around padding",
    )
    p.add_argument("--model-id", help="model id to record (default: derived from the hash)")
    p.set_defaults(func=run_import_pkl)


def run_import_pkl(args: argparse.Namespace) -> int:
    from engine.stylegan.pkl_import import import_pkl

    out = import_pkl(args.pkl, args.out, tileable=args.tileable, model_id=args.model_id)
    print(f"wrote {out}")
    return 0


def _condition(
    region: str, text: str, c_dim: int, clip_dir: Path | None, model_clip_hash: str = ""
) -> tuple[Any, str, list[str]]:
    """(c or None, prompt, notes): the unit CLIP embedding of region + descriptors."""
    from engine.culture import REGION_IDS, get_region, parse_descriptors

    if region not in REGION_IDS:
        raise UserInputError(
            f"unknown region {region!r}; expected one of {', '.join(REGION_IDS)}", field="--region"
        )
    reg = get_region(region)
    parsed = parse_descriptors(text) if text else None
    english = parsed.english if parsed is not None else ""
    prompt = f"{reg.name_en} pattern" + (f", {english}" if english else "")
    notes = [f"not understood: {', '.join(parsed.unknown)}"] if parsed and parsed.unknown else []
    if c_dim == 0:
        return None, prompt, notes
    from engine.clip import load_encoder

    try:
        enc = load_encoder(clip_dir)
    except UserInputError as exc:
        if clip_dir is not None:
            raise
        notes.append(f"no CLIP model ({exc}); rendering with a neutral condition")
        return None, prompt, notes
    from engine.stylegan.pairing import condition_mismatch

    mismatch = condition_mismatch(model_clip_hash, getattr(enc, "model_hash", ""))
    if mismatch:
        notes.append(mismatch)
    emb = enc.encode_text([prompt]).embeddings[0].detach().cpu().numpy()
    if emb.shape[0] != c_dim:
        raise UserInputError(
            f"the CLIP model gives {emb.shape[0]}-wide embeddings but the "
            f"generator expects {c_dim}",
            field="--clip-model",
        )
    return emb, prompt, notes


def load_policy_offset(path: Path, num_ws: int, w_dim: int) -> Any:
    """A bare w offset [w_dim] or [num_ws, w_dim] (safetensors tensor `policy_offset` or
    .npy); tuner policy files go through engine.abtest.conditioning.load_policy_offset."""
    import numpy as np

    if not path.is_file():
        raise UserInputError("policy file not found", path=str(path))
    try:
        if path.suffix == ".npy":
            arr = np.load(path, allow_pickle=False)
        else:
            from safetensors.numpy import load_file

            data = load_file(str(path))
            key = next((k for k in ("policy_offset", "offset", "w_offset") if k in data), None)
            if key is None:
                raise UserInputError("expected a tensor named policy_offset", path=str(path))
            arr = data[key]
    except (ValueError, OSError) as exc:
        raise UserInputError(f"cannot read the policy ({exc})", path=str(path)) from exc
    if arr.shape not in ((w_dim,), (num_ws, w_dim)):
        raise UserInputError(
            f"policy offset has shape {arr.shape}, expected ({w_dim},) or ({num_ws}, {w_dim})",
            path=str(path),
        )
    return arr.astype(np.float32)


def _policy(args: argparse.Namespace, num_ws: int, w_dim: int, c: Any) -> tuple[Any, str | None]:
    """(w offset, policy id) of --policy at --policy-strength: a tuner policy file (the
    region's offset for this condition), or a plain offset tensor; (None, None) without one."""
    if args.policy is None:
        return None, None
    if not 0.0 <= args.policy_strength <= 1.0:
        raise UserInputError(
            f"{args.policy_strength}: expected a number from 0 to 1", field="--policy-strength"
        )
    from engine.abtest.conditioning import load_policy_offset as tuned_offset

    try:
        return tuned_offset(args.policy, args.region, c, args.policy_strength)
    except UserInputError as exc:
        if not Path(args.policy).is_file():
            raise
        try:  # not a tuner policy: maybe a bare offset tensor
            return load_policy_offset(args.policy, num_ws, w_dim) * args.policy_strength, None
        except UserInputError:
            raise exc from None


def run_generate(args: argparse.Namespace) -> int:
    import numpy as np
    from PIL import Image

    from engine.atomic import atomic_dir
    from engine.stylegan.render import Renderer, RenderRequest

    if args.n < 1:
        raise UserInputError("must be at least 1", field="-n")
    r = Renderer(args.model, device=args.device)
    info = r.info
    c, prompt, notes = _condition(
        args.region, args.text, info.c_dim, args.clip_model, info.clip_hash
    )
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    policy, policy_id = _policy(args, info.num_ws, info.w_dim, c)
    w_avg = r.truncation_centre(args.region, args.truncate_to)
    records = []
    with atomic_dir(args.out) as tmp:
        for i in range(args.n):
            seed = args.seed + i
            req = RenderRequest(
                c=c,
                seed=seed,
                truncation=args.truncation,
                noise_mode=args.noise_mode,
                policy_offset=policy,
                w_avg=w_avg,
                region=args.region,  # the prior draws among the region's tiles
            )
            res = r.render(req)
            name = f"{args.region}_{seed:06d}.png"
            Image.fromarray(res.image).save(tmp / name)
            records.append({"file": name, "seed": seed, "ws": res.ws.tolist()})
        manifest = {
            "model_id": info.model_id,
            "model_hash": info.model_hash,
            "resolution": info.resolution,
            "region": args.region,
            "text": args.text,
            "prompt": prompt,
            "truncation": args.truncation,
            "truncate_to": "region" if w_avg is not None else "global",
            "noise_mode": args.noise_mode,
            "prior_by_region": True,
            "policy": str(args.policy) if args.policy else None,
            "policy_id": policy_id,
            "policy_strength": args.policy_strength if args.policy else None,
            "c": c.astype(np.float32).tolist() if c is not None else None,
            "images": records,
        }
        (tmp / "manifest.json").write_text(
            json.dumps(manifest, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    print(f"wrote {args.n} images and manifest.json to {args.out}")
    return 0
