"""A synthetic market with known preferences, for tests and `wenyang bench tune`.

Variants' w come from a Gaussian with a mild spectrum; in Dunhuang a "gold" direction raises
CTR, in Miao a "complexity" direction lowers shares. A/B results are simulated with binomial
noise and written as A/B batches (one folder per region) + results CSVs in assorted styles.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.abtest.batch import MANIFEST_COLUMNS


@dataclass
class Market:
    batch_dirs: list[Path]
    csvs: list[Path]
    ids: list[str]
    regions: list[str]
    w_mean: np.ndarray  # [N, w_dim]
    directions: dict[str, np.ndarray]  # region -> unit w direction that raises the index
    effects: dict[str, tuple[str, float]]  # region -> (metric, log-effect per std)
    base_ctr: float
    base_share: float
    dir_std: dict[str, float] = field(default_factory=dict)

    def true_rates(self, region: str, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Expected (CTR, share rate) of variants of `region` with mean-w `w` [N, w_dim]."""
        ctr = np.full(len(w), self.base_ctr)
        share = np.full(len(w), self.base_share)
        if region in self.directions:
            u = self.directions[region]
            metric, beta = self.effects[region]
            proj = (w - self.w_mean.mean(0)) @ u / self.dir_std[region]
            factor = np.exp(beta * np.clip(proj, -4, 4))
            if metric == "ctr":
                ctr = ctr * factor
            else:
                share = share * factor
        return np.minimum(ctr, 0.99), np.minimum(share, 0.99)


STYLES = ("template", "semicolon_decimal_comma", "bom_thousands", "chinese", "daily")


def make_market(
    out: str | Path,
    n: int = 1000,
    regions: tuple[str, ...] = ("dunhuang", "miao"),
    w_dim: int = 32,
    num_ws: int = 4,
    impressions: int = 3000,
    n_csv: int = 1,
    seed: int = 0,
    ctr_effect: float = 0.15,
    share_effect: float = -0.2,
    base_ctr: float = 0.032,
    base_share: float = 0.008,
    dwell_mean: float = 20.0,
    styles: tuple[str, ...] = STYLES,
) -> Market:
    from safetensors.numpy import save_file

    out = Path(out)
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(w_dim, w_dim)))
    spectrum = 1.0 / (1.0 + np.arange(w_dim) / 8.0)
    centre = rng.normal(size=w_dim).astype(np.float32)
    region_of = [regions[i % len(regions)] for i in range(n)]
    offsets = {r: 0.3 * rng.normal(size=w_dim) for r in regions}
    g = rng.normal(size=(n, w_dim)) * spectrum
    w_mean = (centre + g @ q.T + np.array([offsets[r] for r in region_of])).astype(np.float32)
    directions: dict[str, np.ndarray] = {}
    effects: dict[str, tuple[str, float]] = {}
    pref = {"dunhuang": ("ctr", ctr_effect), "miao": ("share", share_effect)}
    for j, r in enumerate(regions):
        if r in pref:
            mix = rng.normal(size=4)
            u = q[:, 4 * j : 4 * j + 4] @ (mix / np.linalg.norm(mix))  # within the top directions
            directions[r] = (u / np.linalg.norm(u)).astype(np.float32)
            effects[r] = pref[r]
    m = Market(
        [],
        [],
        [f"v{i:05d}" for i in range(n)],
        region_of,
        w_mean,
        directions,
        effects,
        base_ctr,
        base_share,
    )
    for r, u in directions.items():
        mask = np.array(region_of) == r
        m.dir_std[r] = float(((w_mean[mask] - w_mean.mean(0)) @ u).std())
    # ---- batches, one folder per region
    created = dt.datetime(2024, 5, 1, 9, 0, tzinfo=dt.UTC).isoformat()
    for r in regions:
        d = out / f"batch_{r}"
        d.mkdir(parents=True, exist_ok=True)
        idx = [i for i in range(n) if region_of[i] == r]
        layer_noise = rng.normal(scale=0.05, size=(len(idx), num_ws, w_dim)).astype(np.float32)
        layer_noise -= layer_noise.mean(1, keepdims=True)
        save_file(
            {
                m.ids[i]: np.ascontiguousarray(w_mean[i][None] + layer_noise[k])
                for k, i in enumerate(idx)
            },
            str(d / "latents.safetensors"),
        )
        with open(d / "manifest.csv", "w", encoding="utf-8", newline="") as fh:
            wr = csv.writer(fh)
            wr.writerow(MANIFEST_COLUMNS)
            for i in idx:
                wr.writerow(
                    [
                        m.ids[i],
                        f"variants/{m.ids[i]}.png",
                        r,
                        "",
                        i,
                        0.7,
                        "synthetic",
                        "0" * 16,
                        "",
                        created,
                    ]
                )
        (d / "batch.json").write_text(
            json.dumps(
                {
                    "format": "wenyang-abtest",
                    "version": 1,
                    "region": r,
                    "text": "",
                    "c": None,
                    "model_id": "synthetic",
                    "n": len(idx),
                }
            ),
            encoding="utf-8",
        )
        m.batch_dirs.append(d)
    # ---- simulated traffic
    imp = rng.poisson(impressions, n).astype(np.int64) + 1
    clicks = np.empty(n, np.int64)
    shares = np.empty(n, np.int64)
    for r in regions:
        mask = np.array(region_of) == r
        ctr, sr = m.true_rates(r, w_mean[mask])
        clicks[mask] = rng.binomial(imp[mask], ctr)
        shares[mask] = rng.binomial(imp[mask], sr)
    dwell = rng.gamma(imp.astype(float), dwell_mean)
    parts = np.array_split(rng.permutation(n), n_csv)
    for k, part in enumerate(parts):
        style = styles[k % len(styles)]
        path = out / f"results_{k}_{style}.csv"
        _write_csv(
            path, style, [(m.ids[i], imp[i], clicks[i], shares[i], dwell[i]) for i in sorted(part)]
        )
        m.csvs.append(path)
    return m


def _write_csv(path: Path, style: str, rows: list[tuple]) -> None:
    def th(x: int) -> str:
        return f"{x:,}"

    if style == "semicolon_decimal_comma":
        with open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write("Variation;Users;Clicks;Shares;Avg. time on page (s)\n")
            for v, i, c, s, d in rows:
                fh.write(f"{v};{i};{c};{s};{d / i:.3f}".replace(".", ",") + "\n")
    elif style == "bom_thousands":
        with open(path, "w", encoding="utf-8-sig", newline="") as fh:
            wr = csv.writer(fh)
            wr.writerow(["Arm", "Impressions", "Clicks", "CTR", "Shares", "Dwell total"])
            for v, i, c, s, d in rows:
                wr.writerow([v, th(i), th(c), f"{100 * c / i:.2f}%", th(s), f"{d:,.1f}"])
    elif style == "chinese":
        with open(path, "w", encoding="utf-8", newline="") as fh:
            wr = csv.writer(fh)
            wr.writerow(["变体", "曝光量", "点击量", "分享数", "总停留时长"])
            for v, i, c, s, d in rows:
                wr.writerow([v, i, c, s, f"{d:.1f}"])
    elif style == "daily":
        with open(path, "w", encoding="utf-8", newline="") as fh:
            wr = csv.writer(fh)
            wr.writerow(["date", "variant", "visitors", "clicks", "shares", "dwell_seconds_total"])
            for v, i, c, s, d in rows:
                i1, c1, s1 = i // 2, c // 2, s // 2
                c1, s1 = min(c1, i1), min(s1, i1)
                c2, s2 = min(c - c1, i - i1), min(s - s1, i - i1)
                wr.writerow(["2024-05-02", v, i1, c1, s1, f"{d / 2:.2f}"])
                wr.writerow(["2024-05-03", v, i - i1, c2, s2, f"{d / 2:.2f}"])
    else:
        with open(path, "w", encoding="utf-8", newline="") as fh:
            wr = csv.writer(fh)
            wr.writerow(["variant_id", "impressions", "clicks", "shares", "dwell_seconds_total"])
            for v, i, c, s, d in rows:
                wr.writerow([v, i, c, s, f"{d:.2f}"])
