"""`tune`: A/B batch + results CSVs → policy file (+ report). Used by the CLI, bench and GUI.

Nothing is written unless every step succeeded: the policy and report are written atomically
at the very end, after import, validation and training.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from engine.errors import UserInputError
from engine.tuner.batch import Batch, read_batches, region_ids
from engine.tuner.csvimport import ImportedResults, import_results
from engine.tuner.estimates import region_estimates
from engine.tuner.features import EmbeddingSpace, LatentSpace, one_hot
from engine.tuner.fidelity import (
    DistilledFidelity,
    Fidelity,
    MahalanobisFidelity,
    fidelity_guard,
    is_fast,
)
from engine.tuner.policy import Policy, policy_means, save_policy
from engine.tuner.ppo import Env, PPOConfig, PPOResult, train_ppo
from engine.tuner.reward import POOLED, ArmFigures, RewardWeights, arm_figures, power_guidance
from engine.tuner.surrogate import Surrogate, fit_surrogate

Progress = Callable[[str, float], None]


@dataclass
class TuneConfig:
    weights: RewardWeights = field(default_factory=RewardWeights)
    baseline: str = POOLED  # arm scaled to 100 ("pooled" = all traffic together)
    duplicates: str = "error"  # or "sum" (same variant in several channel files)
    max_window_days: int = 90
    max_k: int = 64  # principal directions of w the policy may move along
    members: int = 16  # surrogate ensemble size
    min_arms_per_region: int = 5  # fewer arms with traffic: the region gets no offset
    max_fidelity_drop: float = 3.0  # guard: a region's offset is shrunk until it holds
    crossfit: bool = True  # also estimate uplift with policies scored on held-out folds
    ppo: PPOConfig = field(default_factory=PPOConfig)
    # "auto": when the generator and CLIP model are there, the region classifier distilled
    # on `distill_samples` renders in the reward and the classifier itself on rendered
    # images in the report; else the proxy. "classifier": the classifier itself in the
    # reward too (renders every rollout: slow). "proxy": never render.
    fidelity: str = "auto"
    distill_samples: int = 320
    clip_embed: bool = False  # embed variants/<id>.png with engine.clip when the batch has none
    model_dir: str | None = None  # generator for the classifier (None = shipped)
    clip_dir: str | None = None  # CLIP model (None = shipped)

    def as_dict(self) -> dict:
        d = asdict(self)
        d["weights"] = asdict(self.weights)
        return d


@dataclass
class TuneResult:
    policy: Policy
    batch: Batch
    imported: ImportedResults
    figures: ArmFigures
    surrogate: Surrogate
    ppo: PPOResult
    regions: list[dict]
    power: dict
    fidelity_name: str
    fidelity_description: str
    space_k: int
    space_explained: float
    data_hash: str
    timings: dict[str, float]
    notes: list[str]


def data_hash(batch: Batch, res: ImportedResults, cfg: TuneConfig) -> str:
    """Same variants + same traffic + same reward settings → same hash, whatever the CSV style."""
    h = hashlib.sha256(batch.latents_sha256.encode())
    for vid in sorted(res.arms):
        a = res.arms[vid]
        h.update(
            f"{vid}|{a.impressions}|{a.clicks}|{a.shares}|{a.dwell_total}|{a.dwell_n}\n".encode()
        )
    h.update(json.dumps({"w": asdict(cfg.weights), "b": cfg.baseline}, sort_keys=True).encode())
    return h.hexdigest()


def tune(
    variant_dirs: Sequence[str | Path],
    results: Sequence[str | Path],
    out: str | Path | None,
    report_dir: str | Path | None = None,
    config: TuneConfig | None = None,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    fidelity: Fidelity | None = None,
) -> TuneResult:
    """Run the whole tuner. `out=None` trains and estimates without writing a policy."""
    with _one_blas_thread():
        return _tune(variant_dirs, results, out, report_dir, config, progress, cancel, fidelity)


@contextlib.contextmanager
def _one_blas_thread() -> Iterator[None]:
    """The tuner's matrices are small: BLAS threads only fight other work for the cores."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: without it BLAS keeps its default threads
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _tune(
    variant_dirs: Sequence[str | Path],
    results: Sequence[str | Path],
    out: str | Path | None,
    report_dir: str | Path | None,
    config: TuneConfig | None,
    progress: Progress | None,
    cancel: Callable[[], bool] | None,
    fidelity: Fidelity | None,
) -> TuneResult:
    cfg = config or TuneConfig()
    say = progress or (lambda _m, _f: None)
    t: dict[str, float] = {}
    t0 = time.perf_counter()
    if not variant_dirs:
        raise UserInputError("--variants: expected at least one A/B batch folder")
    if not results:
        raise UserInputError("--results: expected at least one results CSV")
    say("reading the A/B batch", 0.0)
    batch = read_batches(list(variant_dirs))
    t["read_batch"] = time.perf_counter() - t0
    extra = [cfg.baseline] if cfg.baseline not in (POOLED, *batch.ids) else []
    t1 = time.perf_counter()
    imported = import_results(
        results,
        batch.ids,
        extra_arms=extra,
        created=batch.created,
        duplicates=cfg.duplicates,
        max_window_days=cfg.max_window_days,
    )
    t["import"] = time.perf_counter() - t1
    notes = list(imported.notes)

    t1 = time.perf_counter()
    say("dissemination index per arm", 0.1)
    figs = arm_figures(imported, cfg.weights, cfg.baseline, seed=cfg.ppo.seed)
    notes += figs.notes
    pos = {v: i for i, v in enumerate(batch.ids)}
    logged_ids = [v for v in figs.ids if v in pos]
    fig_row = {v: i for i, v in enumerate(figs.ids)}
    logged = np.array(sorted(pos[v] for v in logged_ids), np.int64)
    rows = np.array([fig_row[batch.ids[i]] for i in logged], np.int64)
    y = figs.index[rows, 0]
    y_sd = figs.index_sd[rows]
    t["reward"] = time.perf_counter() - t1

    t1 = time.perf_counter()
    say("surrogate reward model", 0.2)
    R = len(region_ids())
    space = LatentSpace.fit(batch.w_mean, max_k=cfg.max_k)
    z_all = space.to_z(batch.w_mean)
    e_all = None
    if batch.emb is None and cfg.clip_embed:
        from engine.tuner.classifier import clip_embeddings

        say("CLIP image embeddings", 0.15)
        batch.emb, why = clip_embeddings(batch, cfg.clip_dir)
        notes.append(why)
    if batch.emb is not None:
        e_all = EmbeddingSpace.fit(batch.emb).to_e(batch.emb)
    else:
        notes.append(
            "no embeddings.safetensors in the batch: the surrogate uses w and region "
            "only (no CLIP image embedding)"
        )
    if len(logged) < 10:
        raise UserInputError(
            f"the results cover {len(logged)} variants with impressions: "
            "expected at least 10 to fit a reward model"
        )
    sur = fit_surrogate(
        z_all[logged],
        batch.region_idx[logged],
        None if e_all is None else e_all[logged],
        y,
        y_sd,
        R,
        members=cfg.members,
        seed=cfg.ppo.seed,
    )
    fixed_all = sur.fixed_part(batch.region_idx, e_all)
    t["surrogate"] = time.perf_counter() - t1

    counts = np.bincount(batch.region_idx[logged], minlength=R)
    trained = counts >= cfg.min_arms_per_region
    for j in np.flatnonzero((counts > 0) & ~trained):
        notes.append(
            f"{region_ids()[j]}: only {counts[j]} arms with traffic (< "
            f"{cfg.min_arms_per_region}): no offset for this region"
        )
    if not trained.any():
        raise UserInputError(
            f"no region has {cfg.min_arms_per_region} or more arms with "
            "impressions: expected more variants in the results"
        )
    fid: Fidelity = fidelity or MahalanobisFidelity.fit(z_all, batch.region_idx, R)
    culture: Fidelity | None = None
    if fidelity is None and cfg.fidelity in ("auto", "classifier"):
        from engine.tuner.classifier import classifier_fidelity

        cf, why = classifier_fidelity(batch, space, z_all, cfg.model_dir, cfg.clip_dir)
        notes.append(why)
        if cfg.fidelity == "classifier":
            if cf is None:
                raise UserInputError(f"--fidelity classifier: {why}")
            fid = cf
        elif cf is not None:  # auto: the classifier's judgement at the proxy's speed
            say("distilling the region classifier", 0.25)
            dist = DistilledFidelity.fit(
                cf, z_all, samples=cfg.distill_samples, seed=cfg.ppo.seed, cancel=cancel
            )
            notes.append(
                f"fidelity term: the region classifier distilled on {dist.samples} renders "
                f"(held-out agreement with the classifier {dist.agreement:.0f}%)"
            )
            fid = dist
        culture = cf
    elif cfg.fidelity not in ("auto", "classifier", "proxy"):
        raise UserInputError(f"--fidelity {cfg.fidelity}: expected auto, proxy or classifier")
    c_all = batch.c if batch.c is not None else np.zeros((len(batch), 0), np.float32)
    state_all = np.concatenate([one_hot(batch.region_idx, R), c_all], 1)
    base = np.flatnonzero(trained[batch.region_idx])
    env = Env(z_all[base], batch.region_idx[base], state_all[base], fixed_all[:, base], sur, fid)

    t1 = time.perf_counter()
    ppo = train_ppo(env, cfg.ppo, progress=lambda m, f: say(m, 0.3 + 0.6 * f), cancel=cancel)
    t["ppo"] = time.perf_counter() - t1

    t1 = time.perf_counter()
    c_mean = np.zeros((R, c_all.shape[1]), np.float32)
    for q in range(R):
        if (batch.region_idx == q).any():
            c_mean[q] = c_all[batch.region_idx == q].mean(0)
    policy = Policy(
        weights=ppo.actor,
        basis=space.basis * space.scale[:, None],
        region_ids=region_ids(),
        trained=trained,
        c_mean=c_mean,
        num_ws=batch.num_ws,
    )
    mu_all = policy_means(policy.weights, state_all)
    mu_all[~trained[batch.region_idx]] = 0.0
    say("fidelity guard", 0.91)
    policy.region_scale = fidelity_guard(
        fid, z_all, batch.region_idx, mu_all, trained, cfg.max_fidelity_drop, seed=cfg.ppo.seed
    )
    mu_all *= policy.region_scale[batch.region_idx][:, None]
    for j in np.flatnonzero(policy.region_scale < 1.0):
        notes.append(
            f"{region_ids()[j]}: offset scaled to {policy.region_scale[j]:.2f} to keep "
            f"{fid.name} fidelity within {cfg.max_fidelity_drop:g} points"
        )
    say("estimating uplift", 0.92)
    regions = region_estimates(
        region_ids(),
        trained,
        z_all,
        batch.region_idx,
        mu_all,
        fixed_all,
        sur,
        fid,
        logged,
        y,
        seed=cfg.ppo.seed,
        # the proxy is cheap: all variants; a classifier renders, so a sample
        fidelity_sample=4096 if is_fast(fid) else 256,
        culture=culture,
    )
    if cfg.crossfit:
        from engine.tuner.crossfit import crossfit_uplift

        say("cross-fitted uplift", 0.93)
        t2 = time.perf_counter()
        xfit = crossfit_uplift(
            z_all,
            batch.region_idx,
            e_all,
            state_all,
            logged,
            y,
            y_sd,
            trained,
            fid,
            cfg.ppo,
            cfg.members,
            cfg.max_fidelity_drop,
            cfg.min_arms_per_region,
            sur.lam,
            cancel,
        )
        for reg in regions:
            got = xfit.get(region_ids().index(reg["region"]), {})
            for key in ("uplift", "uplift_lo", "uplift_hi"):
                reg[f"crossfit_{key}"] = got.get(key, float("nan"))
        t["crossfit"] = time.perf_counter() - t2
    mean_rel = float(np.mean([r["uplift_rel"] for r in regions])) if regions else None
    power = power_guidance(figs, mean_rel)
    dh = data_hash(batch, imported, cfg)
    policy.meta = {
        "policy_id": dh[:16],
        "data_hash": dh,
        "created": dt.datetime.now(dt.UTC).isoformat(),
        "model_ids": batch.model_ids,
        "model_hashes": batch.model_hashes,
        "k": space.k,
        "explained_variance": space.explained,
        "fidelity": fid.name,
        "hyperparameters": cfg.as_dict(),
        "figures": {
            "surrogate_spearman_holdout": sur.spearman,
            "surrogate_lambda": sur.lam,
            "arms": len(figs.ids),
            "fidelity_guard_scale": {
                region_ids()[j]: float(policy.region_scale[j]) for j in np.flatnonzero(trained)
            },
            "variants": len(batch),
            "regions": {
                r["region"]: {
                    k: r[k]
                    for k in (
                        "uplift",
                        "uplift_lo",
                        "uplift_hi",
                        "crossfit_uplift",
                        "crossfit_uplift_lo",
                        "crossfit_uplift_hi",
                        "fidelity_before",
                        "fidelity_after",
                    )
                    if k in r
                }
                for r in regions
            },
        },
    }
    t["estimates"] = time.perf_counter() - t1 - t.get("crossfit", 0.0)
    result = TuneResult(
        policy,
        batch,
        imported,
        figs,
        sur,
        ppo,
        regions,
        power,
        fid.name,
        fid.description,
        space.k,
        space.explained,
        dh,
        t,
        notes,
    )
    t1 = time.perf_counter()
    if report_dir is not None:
        from engine.tuner.report import write_report

        say("writing the report", 0.96)
        write_report(report_dir, result)
    if out is not None:
        save_policy(out, policy)
    t["write"] = time.perf_counter() - t1
    t["total"] = time.perf_counter() - t0
    say("done", 1.0)
    return result
