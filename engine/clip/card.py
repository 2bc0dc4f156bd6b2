"""Model card (README.md) for a CLIP model folder: data, command, time, machine, figures.

Written at the end of `wenyang train clip` from the run summary; rewritten with held-out
figures when `wenyang eval clip --card` is run on the folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine.atomic import atomic_open


def _data_line(db: str | list[str]) -> str:
    """Describe a database from its manifest (records, regions, seeds, tile size)."""
    if isinstance(db, list):
        return " + ".join(_data_line(d) for d in db)
    from engine.database import read_manifest

    try:
        recs = read_manifest(Path(db))
    except Exception:  # the card must not fail because the data moved
        return f"`{db}` (no longer readable)"
    seeds = [int(r["seed"]) for r in recs if isinstance(r.get("seed"), int)]
    regions = sorted({str(r.get("region")) for r in recs})
    seed_txt = f", sample seeds {min(seeds)}…{max(seeds)}" if seeds else ""
    return f"`{db}`: {len(recs)} tiles, {len(regions)} regions{seed_txt}"


def render_card(
    summary: dict[str, Any], figures: dict[str, Any] | None = None, notes: str = ""
) -> str:
    opts = summary["options"]
    hist = summary.get("history") or []
    best = next((r for r in hist if r["epoch"] == summary.get("best_epoch")), None)
    cmd = opts.get("extra", {}).get("command") or "wenyang train clip --data DB --out DIR"
    recipe = f"fine-tuning {opts['pretrained']}" if opts.get("pretrained") else "from scratch"
    lines = [
        f"# CLIP cultural encoder `{summary['model']}`",
        "",
        "An open_clip model trained contrastively on the Wenyang pattern database. Load it with "
        "`engine.clip.load_encoder(dir)`, or with plain open_clip once the config is registered "
        f"(`import engine.clip`): `open_clip.create_model_and_transforms('{summary['model']}', "
        f"pretrained='{summary['weights']}')`.",
        "",
        "## Training",
        f"- data: {_data_line(opts['data'])}; {opts['val_fraction']:.0%} held out for "
        "validation by a hash of the tile id",
        f"- command: `{cmd}`",
        f"- recipe: {recipe}, {summary['epochs_run']} epochs, batch {opts['batch']}, "
        f"AdamW lr {opts['lr']:g} "
        f"(cosine, warm-up {opts['warmup_epochs']:g} epoch), weight decay {opts['weight_decay']:g},"
        f" seed {opts['seed']}; captions: English, Chinese through the lexicon, terse "
        "descriptor, prompt forms",
        f"- wall time: {summary['wall_s'] / 60:.1f} min on {summary['machine']}",
        f"- weights: {'float16' if opts.get('half') else 'float32'} safetensors; "
        "probe.safetensors: linear region probe on the training tiles",
    ]
    if best:
        lines += [
            f"- best validation epoch {best['epoch']}: zero-shot {best['zero_shot_acc']:.3f}, "
            f"R@1 text→image {best['t2i_R@1']:.3f}, precision@10 en {best['p@10_en']:.3f} / "
            f"zh {best['p@10_zh']:.3f}; linear probe {summary.get('probe_val_acc', 0):.3f}",
        ]
    if figures:
        lines += [
            "",
            "## Held-out figures (`wenyang eval clip --json`)",
            "",
            f"Database {_data_line(figures['data'])} (seeds never used in training).",
            "",
            "| figure | value |",
            "|---|---|",
        ]
        rows = [
            ("zero-shot region accuracy", figures.get("zero_shot_region_accuracy")),
            ("linear-probe region accuracy", figures.get("probe_region_accuracy")),
        ]
        for lang in ("en", "zh"):
            rows.append(
                (
                    f"text→image precision@10 (region, primary motif), {lang} captions",
                    figures.get(f"t2i_precision@10_{lang}"),
                )
            )
            rows.append(
                (
                    f"… with local alignment (weight {figures['local_alignment']['weight']})",
                    figures.get(f"t2i_precision@10_{lang}_local"),
                )
            )
            for m, v in (figures.get(f"t2i_{lang}") or {}).items():
                rows.append((f"text→image {m} (exact tile), {lang}", v))
        rows.append(("image→image precision@10", figures.get("i2i_precision@10")))
        for name, v in rows:
            if v is not None:
                lines.append(f"| {name} | {v:.3f} |")
        t = figures.get("timings")
        if t:
            lines += [
                "",
                f"Speed ({figures.get('machine')}, {t['torch_threads']} torch thread, "
                f"load average {t['load_average_1min']} at the time): classify "
                f"{t['classify_ms']:.1f} ms wall / {t['classify_cpu_ms']:.1f} ms CPU per "
                f"256² image; encode_text {t['encode_text_ms']:.2f} ms wall / "
                f"{t['encode_text_cpu_ms']:.2f} ms CPU per new descriptor, "
                f"{t['encode_text_cached_ms']:.3f} ms cached.",
            ]
        per = figures.get("zero_shot_per_region") or {}
        if per:
            lines += [
                "",
                "Zero-shot accuracy per region: "
                + ", ".join(f"{k} {v:.2f}" for k, v in per.items())
                + ".",
            ]
    if notes:
        lines += ["", "## Notes", "", notes.strip()]
    return "\n".join(lines) + "\n"


def write_card(
    model_dir: str | Path, figures: dict[str, Any] | None = None, notes: str = ""
) -> Path:
    """(Re)write `README.md` in a trained model folder from its `train_summary.json`."""
    d = Path(model_dir)
    summary = json.loads((d / "train_summary.json").read_text(encoding="utf-8"))
    path = d / "README.md"
    with atomic_open(path, encoding="utf-8") as fh:
        fh.write(render_card(summary, figures, notes))
    return path
