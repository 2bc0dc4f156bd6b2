"""`wenyang eval gen`: how regional, faithful, varied and seamless a generator's tiles are.

For a fixed prompt set (engine.evaluation.prompts) each prompt renders `per_prompt` tiles
(fixed seeds); per region and overall we report cultural accuracy by the CLIP region
classifier and by the independent colour/texture classifier, CLIP score, Fréchet distance
in CLIP image space to the held-out database, diversity as a share of the database's own,
and the seam error ratio. The same for a random (untrained) generator gives the floor.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine.evaluation.features import batch_features
from engine.evaluation.independent_classifier import IndependentClassifier
from engine.evaluation.metrics import (
    frechet_distance,
    grouped_bootstrap_ci,
    mean_pairwise_distance,
)
from engine.evaluation.prompts import Prompt

Progress = Callable[[str, int, int], None]
HELDOUT_SEED = 777001
SPLIT_GROUPS = ("colour", "texture")  # `--feature-split`: classifiers on one group alone
TARGETS = {
    "clip_accuracy_overall": 0.90,
    "clip_accuracy_region": 0.80,
    "indep_accuracy_overall": 0.90,
    "indep_accuracy_region": 0.80,
    "seam_ratio_max": 1.10,
}


@dataclass
class Reference:
    """What the held-out database contributes: its records, CLIP embeddings per region and
    the classifier trained on it."""

    records: list[dict]
    embeddings: dict[str, np.ndarray] | None  # region -> [N, D] (None without CLIP)
    classifier: IndependentClassifier
    figures: dict[str, Any] | None = None  # the database's own CLIP accuracy and seams
    # feature group -> a classifier on that group alone ("colour", "texture"), when asked for
    groups: dict[str, IndependentClassifier] | None = None


def heldout_database(path: Path | None, resolution: int, per_region: int = 40) -> Path:
    """The held-out database: `path`, or one built once in the user cache (seed 777001)."""
    from engine.database import build_database
    from engine.paths import user_cache_dir

    if path is not None:
        return Path(path)
    size = int(min(256, max(64, resolution)))
    out = user_cache_dir() / "evaluation" / f"heldout-{HELDOUT_SEED}-{per_region}-{size}px"
    if not (out / "manifest.jsonl").is_file():
        build_database(out, per_region=per_region, size=size, seed=HELDOUT_SEED)
    return out


def load_reference(db_dir: Path, encoder: Any | None, feature_split: bool = False) -> Reference:
    """The held-out database's records, CLIP embeddings and classifier(s); `feature_split`
    adds classifiers on colour and texture features alone, and how well each feature group
    tells the database's own tiles apart (10-fold cross-validated) as the yardstick."""
    from engine.culture import REGION_IDS
    from engine.database import load_image, read_manifest
    from engine.evaluation.independent_classifier import (
        classifier_for_database,
        cross_validated_accuracies,
    )
    from engine.seam import grid_ratio, seam_error

    recs = read_manifest(db_dir)
    emb = None
    seams: list[float] = []
    grids: list[float] = []
    correct: list[bool] = []
    tiles: list[np.ndarray] = []
    labels: list[str] = []
    for r in sorted({x["region"] for x in recs}):
        imgs = np.stack([load_image(db_dir, x) for x in recs if x["region"] == r])
        seams += [min(seam_error(t).ratio, 1e6) for t in imgs]
        grids += [grid_ratio(t) for t in imgs]
        if feature_split:
            tiles += list(imgs)
            labels += [r] * len(imgs)
        if encoder is not None:
            emb = emb if emb is not None else {}
            emb[r] = encoder.encode_image(imgs).detach().cpu().numpy()
            pred = encoder.classify(imgs).cpu().numpy().argmax(1)
            correct += list(pred == REGION_IDS.index(r))
    figures: dict[str, Any] = {
        "tiles": len(recs),
        "seam_ratio": _r(np.mean(seams)),
        "grid_ratio": _r(np.mean(grids)),
        "clip_accuracy": _r(np.mean(correct)) if correct else None,
    }
    groups = None
    if feature_split:
        groups = {g: classifier_for_database(db_dir, group=g) for g in SPLIT_GROUPS}
        cv = cross_validated_accuracies(tiles, labels, ("all", *SPLIT_GROUPS))
        for g, acc in cv.items():
            key = "indep_accuracy_cv" if g == "all" else f"indep_{g}_accuracy_cv"
            figures[key] = _r(acc)
    return Reference(recs, emb, classifier_for_database(db_dir), figures, groups)


def render_prompts(
    renderer: Any,
    encoder: Any | None,
    prompts: list[Prompt],
    per_prompt: int,
    truncation: float,
    progress: Progress | None = None,
    w_avgs: dict[str, np.ndarray] | None = None,
    truncate_to: str = "global",
    noise_mode: str = "const",
    prior_by_region: bool = True,
) -> tuple[list[np.ndarray], np.ndarray | None]:
    """Tiles [len(prompts) * per_prompt] in prompt order, and each prompt's text embedding.

    `w_avgs` (region -> mean w) truncates toward the prompt's region mean instead of the
    global mean; without it, `truncate_to="region"` uses the means the model ships (as the
    studio and `wenyang generate` do). `prior_by_region`: the condition prior draws among the
    prompt's region's tiles, as the studio does (False: the whole bank, as before session 7)."""
    from engine.stylegan.render import RenderRequest

    c_dim = renderer.info.c_dim
    text_emb = None
    if encoder is not None:
        text_emb = encoder.encode_text([p.text for p in prompts]).embeddings.cpu().numpy()
    if c_dim > 0 and text_emb is None:
        from engine.errors import UserInputError

        raise UserInputError("this generator is CLIP-conditioned: give --clip", field="--clip")
    tiles: list[np.ndarray] = []
    for i, _p in enumerate(prompts):
        c = text_emb[i] if (c_dim > 0 and text_emb is not None) else None
        region = _p.region if prior_by_region else None
        avg: np.ndarray | None
        if w_avgs is not None:
            avg = w_avgs[_p.region]
            reqs = [
                RenderRequest(
                    ws=renderer.mapping(s, c, truncation, w_avg=avg, region=region),
                    seed=s,
                    noise_mode=noise_mode,
                )
                for s in range(per_prompt)
            ]
        else:
            centre_of = getattr(renderer, "truncation_centre", None)
            avg = centre_of(_p.region, truncate_to) if centre_of is not None else None
            reqs = [
                RenderRequest(
                    c=c,
                    seed=s,
                    truncation=truncation,
                    w_avg=avg,
                    noise_mode=noise_mode,
                    region=region,
                )
                for s in range(per_prompt)
            ]
        tiles += [r.image for r in renderer.render_batch(reqs)]
        if progress:
            progress("rendering", i + 1, len(prompts))
    return tiles, text_emb


def score(
    tiles: list[np.ndarray],
    prompts: list[Prompt],
    per_prompt: int,
    text_emb: np.ndarray | None,
    encoder: Any | None,
    ref: Reference,
) -> dict[str, Any]:
    """Per-region and overall figures of rendered tiles (see module doc)."""
    from engine.culture import REGION_IDS
    from engine.seam import grid_ratio, seam_error

    regions = [p.region for p in prompts for _ in range(per_prompt)]
    prompt_idx = np.repeat(np.arange(len(prompts)), per_prompt)
    truth = np.asarray([REGION_IDS.index(r) for r in regions])
    feats = batch_features(tiles)
    predicted = ref.classifier.predict(feats)
    indep = predicted == truth
    by_group = {g: clf.predict(feats) == truth for g, clf in (ref.groups or {}).items()}
    seams = np.asarray([min(seam_error(t).ratio, 1e6) for t in tiles])
    grids = np.asarray([grid_ratio(t) for t in tiles])
    img_emb = clip_ok = clip_score = None
    if encoder is not None and text_emb is not None:
        stack = np.stack(tiles)
        img_emb = encoder.encode_image(stack).detach().cpu().numpy()
        clip_ok = encoder.classify(stack).cpu().numpy().argmax(1) == truth
        clip_score = (img_emb * text_emb[prompt_idx]).sum(1)

    def block(mask: np.ndarray, region: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "tiles": int(mask.sum()),
            "indep_accuracy": _r(indep[mask].mean()),
            "indep_accuracy_ci95": _ci(indep[mask], prompt_idx[mask]),
            "seam_ratio": _r(seams[mask].mean()),
            "seam_ok_share": _r((seams[mask] <= TARGETS["seam_ratio_max"]).mean()),
            "grid_ratio": _r(grids[mask].mean()),
            **{f"indep_{g}_accuracy": _r(ok[mask].mean()) for g, ok in by_group.items()},
            "clip_accuracy": None,
            "clip_accuracy_ci95": None,
            "clip_score": None,
            "fd_clip": None,
            "diversity": None,
            "diversity_share": None,
        }
        if region is not None:  # where the independent classifier's misses go
            wrong = predicted[mask & ~indep]
            ids, counts = np.unique(wrong, return_counts=True)
            out["indep_mistaken_for"] = {
                REGION_IDS[int(i)]: _r(n / mask.sum())
                for i, n in sorted(zip(ids, counts, strict=True), key=lambda p: -p[1])
            }
        if img_emb is None or clip_ok is None or clip_score is None or ref.embeddings is None:
            return out
        out["clip_accuracy"] = _r(clip_ok[mask].mean())
        out["clip_accuracy_ci95"] = _ci(clip_ok[mask], prompt_idx[mask])
        out["clip_score"] = _r(clip_score[mask].mean())
        refs = (
            ref.embeddings[region]
            if region is not None
            else np.concatenate(list(ref.embeddings.values()))
        )
        out["fd_clip"] = _r(frechet_distance(img_emb[mask], refs))
        divs = [
            mean_pairwise_distance(img_emb[mask & (prompt_idx == j)])
            for j in np.unique(prompt_idx[mask])
        ]
        ref_div = (
            mean_pairwise_distance(refs)
            if region is not None
            else float(np.mean([mean_pairwise_distance(e) for e in ref.embeddings.values()]))
        )
        out["diversity"] = _r(np.mean(divs))
        out["diversity_share"] = _r(np.mean(divs) / ref_div) if ref_div > 0 else None
        return out

    regs = np.asarray(regions)
    per_region = {r: block(regs == r, r) for r in REGION_IDS if (regs == r).any()}
    # tiles right per prompt, in prompt order: what a paired comparison of two reports needs
    per_prompt_ok = {"indep": np.bincount(prompt_idx, weights=indep).astype(int).tolist()}
    if clip_ok is not None:
        per_prompt_ok["clip"] = np.bincount(prompt_idx, weights=clip_ok).astype(int).tolist()
    return {
        "overall": block(np.ones(len(tiles), dtype=bool), None),
        "per_region": per_region,
        "per_prompt_correct": per_prompt_ok,
    }


def compare_reports(
    report: dict[str, Any], other: dict[str, Any], which: str = "generator"
) -> dict[str, Any]:
    """This report's accuracies minus `other`'s on the same prompts and seeds, with 95%
    intervals that resample the prompts in pairs: whether a change (a snapshot, a setting)
    moved the figures beyond what the prompt sample explains.

    Raises ValueError when the two reports did not render the same prompts × seeds."""
    from engine.evaluation.metrics import paired_difference_ci

    if other.get("prompts") != report.get("prompts"):
        raise ValueError(
            "the reports were made on different prompts (--descriptors, --prompt-db, --prompt-seed)"
        )
    n, n_other = report["settings"]["per_prompt"], other["settings"]["per_prompt"]
    if n != n_other:
        raise ValueError(f"the reports rendered {n} and {n_other} tiles per prompt (--per-prompt)")
    mine = report[which].get("per_prompt_correct") or {}
    theirs = (other.get(which) or {}).get("per_prompt_correct") or {}
    out: dict[str, Any] = {}
    for key in ("clip", "indep"):
        if key not in mine or key not in theirs:
            continue
        diff, lo, hi = paired_difference_ci(np.asarray(mine[key]) / n, np.asarray(theirs[key]) / n)
        out[f"{key}_accuracy"] = {"difference": _r(diff), "ci95": [_r(lo), _r(hi)]}
    if not out:
        raise ValueError("the other report has no per-prompt results (made before session 9?)")
    return out


def _r(x: Any) -> float:
    return round(float(x), 4)


def _ci(ok: np.ndarray, prompt_idx: np.ndarray) -> list[float]:
    """95% interval of an accuracy, prompts resampled (see grouped_bootstrap_ci)."""
    return [_r(v) for v in grouped_bootstrap_ci(ok, prompt_idx)]


def random_floor_renderer(renderer: Any) -> Any:
    """An untrained generator of the same config (seed 0), with its own w_avg estimated."""
    import torch

    from engine.directions.latents import sample_w
    from engine.stylegan.networks import Generator
    from engine.stylegan.render import Renderer

    kwargs = getattr(renderer.G, "init_kwargs", None)
    if not kwargs:
        raise ValueError("the generator has no init_kwargs (load it with load_generator)")
    torch.manual_seed(0)
    G = Generator(**kwargs).eval().requires_grad_(False)
    with torch.no_grad():
        G.mapping.w_avg.copy_(torch.from_numpy(sample_w(G, 1024).mean(0)))
    return Renderer.from_generator(G, device=renderer.device)


def _prior_settings(renderer: Any) -> dict[str, Any] | None:
    """The text -> condition prior the renderer applies (None: raw text embeddings)."""
    prior = getattr(renderer, "prior", None)
    if prior is None or not getattr(renderer, "use_prior", True):
        return None
    return {
        "k": prior.k,
        "text_weight": prior.text_weight,
        "tiles": len(prior.bank),
        "mode": prior.mode,
        "region_k": prior.region_k if getattr(prior, "regions", None) is not None else None,
    }


def evaluate_generator(
    renderer: Any,
    encoder: Any | None,
    ref: Reference,
    per_prompt: int = 8,
    descriptors_per_region: int = 2,
    truncation: float = 0.7,
    floor: bool = False,
    progress: Progress | None = None,
    region_truncation: bool = False,
    slider_seeds: int = 0,
    model_dir: Path | None = None,
    truncate_to: str = "global",
    noise_mode: str = "const",
    prior_by_region: bool = True,
    prompt_records: list[dict] | None = None,
    prompt_seed: int = 0,
    cross_region: bool = False,
) -> dict[str, Any]:
    """The full `eval gen` report (a JSON-ready dict).

    `region_truncation`: also score truncation toward each region's mean w (reported as
    "generator_region_truncation"); `slider_seeds` > 0: also evaluate the named sliders
    shipped in `model_dir` on that many seeds (reported as "sliders"); `cross_region`: also
    score the descriptor prompts with another region picked (reported as "cross_region")."""
    from engine.evaluation.prompts import build_prompts

    t0 = time.perf_counter()
    # the card's prompts: the held-out captions, seed 0; others make a validation set
    prompts = build_prompts(
        ref.records if prompt_records is None else prompt_records,
        descriptors_per_region,
        seed=prompt_seed,
    )
    info = renderer.info
    report: dict[str, Any] = {
        "model": {
            "model_id": info.model_id,
            "model_hash": info.model_hash,
            "resolution": info.resolution,
            "c_dim": info.c_dim,
        },
        "clip": None
        if encoder is None
        else {"name": getattr(encoder, "name", ""), "hash": getattr(encoder, "model_hash", "")},
        "settings": {
            "prompts": len(prompts),
            "per_prompt": per_prompt,
            "tiles": len(prompts) * per_prompt,
            "truncation": truncation,
            "heldout_tiles": len(ref.records),
            "descriptors_per_region": descriptors_per_region,
            "condition_prior": _prior_settings(renderer),
            "truncate_to": "region"
            if truncate_to == "region" and getattr(renderer, "region_means", None)
            else "global",
            "noise_mode": noise_mode,
            "prior_by_region": prior_by_region,
            "prompt_seed": prompt_seed,
        },
        "heldout_reference": ref.figures,
        "prompts": [p.__dict__ for p in prompts],
        "targets": TARGETS,
    }

    def render(
        r: Any,
        w_avgs: dict[str, np.ndarray] | None = None,
        prompts_: list[Prompt] | None = None,
        **kw: Any,
    ) -> Any:
        """The prompt set (or `prompts_`) through `r`, with this report's settings."""
        return render_prompts(
            r,
            encoder,
            prompts if prompts_ is None else prompts_,
            per_prompt,
            truncation,
            progress,
            w_avgs,
            noise_mode=noise_mode,
            prior_by_region=prior_by_region,
            **kw,
        )

    tiles, text_emb = render(renderer, truncate_to=truncate_to)
    report["generator"] = score(tiles, prompts, per_prompt, text_emb, encoder, ref)
    report["generator"]["meets_targets"] = meets_targets(report["generator"])
    if region_truncation:
        from engine.directions.region_mean import region_means, renderer_prior

        means = region_means(renderer.G, encoder, n=2048, prior=renderer_prior(renderer))
        rt, _ = render(renderer, means)
        report["generator_region_truncation"] = score(
            rt, prompts, per_prompt, text_emb, encoder, ref
        )
    crossed = cross_region_prompts(prompts) if cross_region else []
    if crossed:
        ct, cemb = render(renderer, truncate_to=truncate_to, prompts_=crossed)
        report["cross_region"] = score(ct, crossed, per_prompt, cemb, encoder, ref)
    if slider_seeds > 0:
        report["sliders"] = _slider_figures(
            renderer, encoder, ref, slider_seeds, model_dir, noise_mode
        )
    if floor:
        rnd = random_floor_renderer(renderer)
        ftiles, _ = render(rnd)
        report["floor"] = score(ftiles, prompts, per_prompt, text_emb, encoder, ref)
    report["seconds"] = round(time.perf_counter() - t0, 1)
    return report


def cross_region_prompts(prompts: list[Prompt]) -> list[Prompt]:
    """The descriptor prompts with another region picked (the one three places on in
    REGION_IDS): a designer who chose region R and typed words that belong to another
    region. Scored as R: the picked region is what the design must show."""
    from engine.culture import REGION_IDS

    n = len(REGION_IDS)
    return [
        Prompt(REGION_IDS[(REGION_IDS.index(p.region) + 3) % n], p.text, p.lang, "cross")
        for p in prompts
        if p.kind == "descriptor"
    ]


def _slider_figures(
    renderer: Any,
    encoder: Any | None,
    ref: Reference,
    seeds: int,
    model_dir: Path | None,
    noise_mode: str = "const",
) -> dict[str, Any] | None:
    """evaluate_sliders on the shipped named directions (None when there are none)."""
    from engine.directions.conditions import region_conditions
    from engine.directions.evaluate import evaluate_sliders
    from engine.directions.store import load_directions
    from engine.stylegan.render import DEFAULT_MODEL_DIR

    data = load_directions(model_dir or DEFAULT_MODEL_DIR, renderer.info.model_hash or None)
    named = [d for d in (data.directions if data else []) if d.kind == "named"]
    if not named:
        return None
    classify = None
    if encoder is not None:

        def classify(imgs: list[np.ndarray]) -> np.ndarray:
            return encoder.classify(np.stack(imgs)).cpu().numpy()

    conds = region_conditions(encoder, renderer.info.c_dim)
    return evaluate_sliders(
        renderer,
        named,
        conds,
        classify,
        seeds,
        independent=ref.classifier.predict_proba,
        noise_mode=noise_mode,
    )


def meets_targets(res: dict[str, Any]) -> dict[str, bool | None]:
    o, pr = res["overall"], res["per_region"].values()

    def ok(key: str, overall: float, region: float) -> bool | None:
        if o[key] is None:
            return None
        return bool(o[key] >= overall and all(r[key] >= region for r in pr))

    return {
        "clip_accuracy": ok(
            "clip_accuracy", TARGETS["clip_accuracy_overall"], TARGETS["clip_accuracy_region"]
        ),
        "indep_accuracy": ok(
            "indep_accuracy", TARGETS["indep_accuracy_overall"], TARGETS["indep_accuracy_region"]
        ),
        "seam": bool(o["seam_ratio"] <= TARGETS["seam_ratio_max"]),
    }


COLUMNS = (
    ("clip_accuracy", "CLIP acc"),
    ("indep_accuracy", "indep acc"),
    ("clip_score", "CLIP score"),
    ("fd_clip", "FD(CLIP)"),
    ("diversity_share", "diversity"),
    ("seam_ratio", "seam"),
    ("grid_ratio", "grid 8px"),
)


def format_table(report: dict[str, Any]) -> str:
    """A readable table: one row per region and overall, generator (and floor) figures."""
    lines = []
    titles = {
        "generator": "generator",
        "generator_region_truncation": "generator, truncation toward the region mean",
        "cross_region": "generator, another region's words (accuracy = the picked region)",
        "floor": "random generator (floor)",
    }
    for which, title in titles.items():
        if which not in report:
            continue
        res = report[which]
        lines.append(f"{title}: {report['model']['model_id']}")
        lines.append(f"{'region':<11}" + "".join(f"{h:>11}" for _, h in COLUMNS))
        rows = [*res["per_region"].items(), ("overall", res["overall"])]
        for name, r in rows:
            cells = "".join(
                f"{'-':>11}" if r.get(k) is None else f"{r[k]:>11.3f}" for k, _ in COLUMNS
            )
            lines.append(f"{name:<11}{cells}")
        o = res["overall"]
        ci = [
            f"{label} {o[key][0]:.3f}-{o[key][1]:.3f}"
            for key, label in (
                ("clip_accuracy_ci95", "CLIP acc"),
                ("indep_accuracy_ci95", "indep acc"),
            )
            if o.get(key) is not None
        ]
        if ci:
            lines.append("overall, 95% interval (prompts resampled): " + ", ".join(ci))
        for g in SPLIT_GROUPS:
            key = f"indep_{g}_accuracy"
            if key in res["overall"]:
                cells = ", ".join(f"{n} {r[key]:.2f}" for n, r in rows)
                lines.append(f"indep acc on {g} features alone: {cells}")
        misses = [
            f"{n} -> " + " ".join(f"{m} {v:.2f}" for m, v in r["indep_mistaken_for"].items())
            for n, r in res["per_region"].items()
            if r.get("indep_mistaken_for")
        ]
        if misses:
            lines.append("indep misses (share of the region's tiles): " + "; ".join(misses))
        if "meets_targets" in res:
            lines.append(f"targets met: {res['meets_targets']}")
        lines.append("")
    cmp = report.get("compare")
    if cmp:
        diffs = [
            f"{label} {c['difference']:+.3f} ({c['ci95'][0]:+.3f} to {c['ci95'][1]:+.3f})"
            for key, label in (("clip_accuracy", "CLIP acc"), ("indep_accuracy", "indep acc"))
            if (c := cmp.get(key))
        ]
        lines.append(f"against {cmp['against']}, same prompts (95% paired): " + ", ".join(diffs))
        lines.append("")
    sl = report.get("sliders")
    if sl:
        from engine.directions.evaluate import region_spearman_line

        lines.append(f"named sliders, steps -3..+3, {sl['n_seeds']} seeds:")
        for name, e in sl["sliders"].items():
            acc, ind = e.get("accuracy_min"), e.get("indep_accuracy_min")
            lines.append(
                f"  {name:<11} {e['layer_range']:<7} spearman {e['spearman_mean']:+.3f}  "
                f"min accuracy CLIP {'-' if acc is None else f'{acc:.3f}'}, "
                f"independent {'-' if ind is None else f'{ind:.3f}'}"
            )
            by_region = region_spearman_line(e)
            if by_region:
                lines.append(by_region)
        lines.append("")
    hr = report.get("heldout_reference") or {}
    if hr:
        acc = hr.get("clip_accuracy")
        lines.append(
            f"held-out database itself: CLIP acc {'-' if acc is None else f'{acc:.3f}'}, "
            f"seam {hr['seam_ratio']:.3f}"
            + (f", grid 8px {hr['grid_ratio']:.3f}" if hr.get("grid_ratio") is not None else "")
        )
        if "indep_accuracy_cv" in hr:
            lines.append(
                "  its own tiles by the independent classifier (10-fold cross-validated): "
                f"all features {hr['indep_accuracy_cv']:.3f}, colour alone "
                f"{hr['indep_colour_accuracy_cv']:.3f}, texture alone "
                f"{hr['indep_texture_accuracy_cv']:.3f}"
            )
    s = report["settings"]
    lines.append(
        f"{s['prompts']} prompts x {s['per_prompt']} tiles, truncation {s['truncation']}, "
        f"held-out database of {s['heldout_tiles']} tiles; {report.get('seconds', 0)} s"
    )
    return "\n".join(lines)
