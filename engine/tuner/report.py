"""The tuning report: report.json (all figures), arms.csv, two PNG charts and index.html."""

from __future__ import annotations

import csv
import html
import json
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING

from engine.atomic import atomic_dir
from engine.tuner.plots import bar_chart, line_chart

if TYPE_CHECKING:
    from engine.tuner.pipeline import TuneResult


def report_dict(r: TuneResult) -> dict:
    """Everything the report shows, as plain JSON-able data."""
    return {
        "format": "wenyang-tune-report",
        "version": 1,
        "policy_id": r.policy.meta.get("policy_id"),
        "data_hash": r.data_hash,
        "variants": len(r.batch),
        "arms_with_traffic": len(r.figures.ids),
        "results_files": [f.__dict__ for f in r.imported.files],
        "test_window": r.imported.window,
        "index": {"baseline": r.figures.baseline, "weights": r.figures.weights},
        "surrogate": {
            "spearman_holdout": r.surrogate.spearman,
            "lambda": r.surrogate.lam,
            "members": int(r.surrogate.G.shape[0]),
            "n_train": r.surrogate.n_train,
            "n_holdout": r.surrogate.n_holdout,
            "uses_clip_embedding": r.surrogate.beta_e is not None,
        },
        "latent_space": {"k": r.space_k, "explained_variance": r.space_explained},
        "fidelity": {"name": r.fidelity_name, "description": r.fidelity_description},
        "regions": r.regions,
        "power": r.power,
        "training": {
            "updates": len(r.ppo.history),
            "seconds": r.ppo.seconds,
            "stopped_early_on_kl": r.ppo.stopped_early,
            "history": r.ppo.history,
        },
        "timings_s": r.timings,
        "notes": r.notes,
        "hyperparameters": r.policy.meta.get("hyperparameters"),
    }


def write_report(out_dir: str | Path, r: TuneResult) -> Path:
    data = report_dict(r)
    with atomic_dir(out_dir) as tmp:
        os.chmod(tmp, 0o755)  # a report folder others may open (mkdtemp makes it private)
        (tmp / "report.json").write_text(
            json.dumps(_clean(data), indent=2, ensure_ascii=False, default=_nan_safe),
            encoding="utf-8",
        )
        with open(tmp / "arms.csv", "w", encoding="utf-8", newline="") as fh:
            rows = r.figures.rows()
            wr = csv.DictWriter(fh, fieldnames=list(rows[0].keys()))
            wr.writeheader()
            wr.writerows(rows)
        h = r.ppo.history
        line_chart(
            {
                "reward (sampled)": [x["reward"] for x in h],
                "surrogate at policy mean": [x["surrogate_at_mean"] for x in h],
            },
            "Reward during PPO training (index points)",
            "update",
        ).save(tmp / "reward.png")
        regs = r.regions
        bar_chart(
            [x["region"] for x in regs],
            [x["uplift"] for x in regs],
            [x["uplift_lo"] for x in regs],
            [x["uplift_hi"] for x in regs],
            "Predicted uplift of the dissemination index, tuned vs untuned (95%)",
        ).save(tmp / "uplift.png")
        (tmp / "index.html").write_text(_html(data), encoding="utf-8")
    return Path(out_dir)


def _clean(o: object) -> object:
    """JSON has no NaN/inf: write null instead."""
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if isinstance(o, dict):
        return {k: _clean(v) for k, v in o.items()}
    if isinstance(o, list | tuple):
        return [_clean(v) for v in o]
    if hasattr(o, "item"):
        return _clean(o.item())  # type: ignore[union-attr]
    return o


def _nan_safe(o: object) -> object:
    if hasattr(o, "item"):
        return o.item()  # type: ignore[union-attr]
    return str(o)


def _f(v: object, nd: int = 2) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    if isinstance(v, float):
        return f"{v:.{nd}f}"
    return html.escape(str(v))


def _html(d: dict) -> str:
    rows = []
    for x in d["regions"]:
        ope = x.get("off_policy") or {}
        ope_txt = (
            f"{_f(ope.get('uplift'))} [{_f(ope.get('uplift_lo'))}, {_f(ope.get('uplift_hi'))}]"
            if ope
            else "–"
        )
        if ope and not ope.get("reliable"):
            ope_txt += " (too little overlap)"
        rows.append(
            f"<tr><td>{_f(x['region'])}</td><td>{x['arms_with_traffic']}</td>"
            f"<td>{_f(x['uplift'])} [{_f(x['uplift_lo'])}, {_f(x['uplift_hi'])}]</td>"
            f"<td>{_f(100 * x['uplift_rel'], 1)}%</td>"
            f"<td>{_f(x.get('crossfit_uplift'))} [{_f(x.get('crossfit_uplift_lo'))}, "
            f"{_f(x.get('crossfit_uplift_hi'))}]</td><td>{ope_txt}</td>"
            f"<td>{_f(ope.get('ess'), 0) if ope else '–'}</td>"
            f"<td>{_f(x['fidelity_before'], 1)} → {_f(x['fidelity_after'], 1)}</td>"
            f"<td>{_f(x.get('surrogate_spearman'))}</td>"
            f"<td>{_f(x.get('cultural_accuracy_before'), 1)} → "
            f"{_f(x.get('cultural_accuracy_after'), 1)}</td></tr>"
        )
    p = d["power"]
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in d["notes"]) or "<li>none</li>"
    s = d["surrogate"]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Wenyang tuner report</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}
td:first-child{{text-align:left}}</style></head><body>
<h1>Tuner report</h1>
<p>Policy {_f(d["policy_id"])} · data hash <code>{_f(d["data_hash"][:16])}…</code> ·
{d["variants"]} variants, {d["arms_with_traffic"]} with traffic · test window
{_f(d["test_window"])}</p>
<p>Dissemination index: baseline <b>{_f(d["index"]["baseline"])}</b> = 100, weights
{", ".join(f"{k} {v:.2f}" for k, v in d["index"]["weights"].items())}.</p>
<h2>Per region</h2>
<table><tr><th>region</th><th>arms</th><th>predicted uplift (index points, 95%)</th>
<th>relative</th><th>cross-fitted uplift (held-out folds)</th>
<th>off-policy uplift (SNIS, 95%)</th><th>ESS</th>
<th>{_f(d["fidelity"]["name"])} fidelity before → after</th>
<th>surrogate Spearman (held out)</th>
<th>cultural accuracy (classifier) before → after</th></tr>
{"".join(rows)}</table>
<p>Predicted uplift: the tuned policy's mean offset scored by the reward model that chose it
(optimistic: it also exploits noise). Cross-fitted: policies tuned on one half of the arms,
scored by a reward model of the other half (conservative). Off-policy: logged variants
re-weighted by how likely the tuned policy makes them (SNIS; ESS = effective sample size).</p>
<p>Fidelity: {_f(d["fidelity"]["description"])}.</p>
<img src="uplift.png" alt="uplift per region"><img src="reward.png" alt="training reward">
<h2>Reward model</h2>
<p>Ensemble of {s["members"]} ridge regressions on bootstraps; held-out Spearman rank
correlation {_f(s["spearman_holdout"])} ({s["n_holdout"]} held-out variants); CLIP image
embedding used: {s["uses_clip_embedding"]}. Policy moves along {d["latent_space"]["k"]}
principal directions of w ({_f(100 * d["latent_space"]["explained_variance"], 1)}% of its
variance).</p>
<h2>Was the test big enough?</h2>
<p>Pooled CTR {_f(100 * p["pooled_ctr"])}%, median {_f(p["median_impressions_per_arm"], 0)}
impressions per arm. Smallest CTR change detectable (α = 0.05, power 0.8) between two arms:
{_f(100 * p["mde_ctr_between_two_arms_abs"], 3)} points
({_f(100 * p["mde_ctr_between_two_arms_rel"], 1)}% relative); between two halves of all
traffic: {_f(100 * p["mde_ctr_half_vs_half_abs"], 3)} points
({_f(100 * p["mde_ctr_half_vs_half_rel"], 1)}% relative).
{
        (
            "Impressions per arm a follow-up test needs to confirm a CTR change as large as "
            + "the mean predicted index uplift: "
            + _f(p.get("impressions_per_arm_to_confirm_uplift"), 0)
            + "."
        )
        if p.get("impressions_per_arm_to_confirm_uplift")
        else ""
    }</p>
<h2>Notes</h2><ul>{notes}</ul>
<p>Per-arm figures with 95% intervals: <a href="arms.csv">arms.csv</a>; all figures:
<a href="report.json">report.json</a>.</p>
</body></html>
"""
