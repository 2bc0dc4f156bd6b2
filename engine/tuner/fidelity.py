"""Cultural-fidelity terms for the tuner's reward: pluggable, named in the report.

`MahalanobisFidelity` (default, fast): how well w stays inside its region's data support —
Mahalanobis distance to the logged w of that region. `ClassifierFidelity`: the CLIP region
classifier on rendered images (needs the generator and encoder; slow on a CPU).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np


class Fidelity(Protocol):
    """score: smooth per-sample fidelity in [0, 1] (reward term); accuracy: points 0–100."""

    name: str
    description: str

    def score(self, z: np.ndarray, region: np.ndarray, base_idx: np.ndarray) -> np.ndarray: ...

    def accuracy(self, z: np.ndarray, region: np.ndarray, base_idx: np.ndarray) -> float: ...


@dataclass
class MahalanobisFidelity:
    """Support of each region's logged w: a Gaussian with the region's mean and the pooled,
    shrunk within-region covariance. score = χ²_k survival of d²; accuracy = % of samples
    inside the region's 95% ellipsoid (≈ 95 for the logged variants themselves)."""

    means: np.ndarray  # [R, k]
    precision: np.ndarray  # [k, k]
    dof: int
    name: str = "mahalanobis"
    description: str = (
        "fidelity proxy: Mahalanobis distance of w to the logged variants of its "
        "region (% inside the region's 95% support ellipsoid)"
    )

    @staticmethod
    def fit(z: np.ndarray, region: np.ndarray, R: int, shrink: float = 0.1) -> MahalanobisFidelity:
        k = z.shape[1]
        means = np.zeros((R, k))
        resid = np.empty_like(z, dtype=np.float64)
        for j in range(R):
            m = region == j
            if m.any():
                means[j] = z[m].mean(0)
                resid[m] = z[m] - means[j]
        cov = resid.T @ resid / max(len(z) - len(np.unique(region)), 1)
        cov = (1 - shrink) * cov + shrink * np.diag(np.diag(cov)) + 1e-6 * np.eye(k)
        return MahalanobisFidelity(
            means.astype(np.float32), np.linalg.inv(cov).astype(np.float32), k
        )

    def d2(self, z: np.ndarray, region: np.ndarray) -> np.ndarray:
        d = z - self.means[region]
        return ((d @ self.precision) * d).sum(1)

    def score(self, z: np.ndarray, region: np.ndarray, base_idx: np.ndarray) -> np.ndarray:
        from scipy.special import gammaincc

        return gammaincc(self.dof / 2.0, self.d2(z, region) / 2.0)

    def accuracy(self, z: np.ndarray, region: np.ndarray, base_idx: np.ndarray) -> float:
        from scipy.stats import chi2

        return 100.0 * float(np.mean(self.d2(z, region) <= chi2.ppf(0.95, self.dof)))


@dataclass
class ClassifierFidelity:
    """The region classifier on rendered images: score = probability of the intended region,
    accuracy = % classified as it. `render(ws [B, num_ws, w_dim], base_idx [B]) -> uint8 NHWC`
    (base_idx: the logged variant each w moves from, whose noise it is rendered with),
    `classify(images) -> [B, 8]` probabilities in REGION_IDS order."""

    render: Callable[[np.ndarray, np.ndarray], np.ndarray]
    classify: Callable[[np.ndarray], np.ndarray]
    ws_base: Callable[[np.ndarray], np.ndarray]  # base_idx -> ws [B, num_ws, w_dim]
    z_base: np.ndarray  # [N, k] z of the logged variants
    to_w_offset: Callable[[np.ndarray], np.ndarray]  # z offsets [B, k] -> w offsets [B, w_dim]
    name: str = "classifier"
    description: str = "cultural accuracy: the CLIP region classifier on rendered images"

    def _probs(self, z: np.ndarray, base_idx: np.ndarray) -> np.ndarray:
        ws = self.ws_base(base_idx) + self.to_w_offset(z - self.z_base[base_idx])[:, None, :]
        return np.asarray(self.classify(self.render(ws.astype(np.float32), base_idx)))

    def score(self, z: np.ndarray, region: np.ndarray, base_idx: np.ndarray) -> np.ndarray:
        p = self._probs(z, base_idx)
        return p[np.arange(len(region)), region]

    def accuracy(self, z: np.ndarray, region: np.ndarray, base_idx: np.ndarray) -> float:
        p = self._probs(z, base_idx)
        return 100.0 * float(np.mean(p.argmax(1) == region))


def fidelity_guard(
    fid: Fidelity,
    z: np.ndarray,
    region: np.ndarray,
    mu: np.ndarray,
    trained: np.ndarray,
    max_drop: float,
    seed: int = 0,
    sample: int = 4096,
) -> np.ndarray:
    """Per-region scale in (0, 1] of the policy mean so fidelity drops ≤ `max_drop` points.

    The reward already trades fidelity against the surrogate; this makes the promise hard.
    """
    rng = np.random.default_rng(seed)
    scale = np.ones(len(trained), np.float32)
    n = sample if is_fast(fid) else 128
    steps = 12 if is_fast(fid) else 5
    for j in np.flatnonzero(trained):
        idx = np.flatnonzero(region == j)
        if len(idx) > n:
            idx = rng.choice(idx, n, replace=False)
        r = region[idx]
        before = fid.accuracy(z[idx], r, idx)

        if before - fid.accuracy(z[idx] + mu[idx], r, idx) <= max_drop:
            continue
        lo, hi = 0.0, 1.0
        for _ in range(steps):
            mid = 0.5 * (lo + hi)
            ok = before - fid.accuracy(z[idx] + mid * mu[idx], r, idx) <= max_drop
            lo, hi = (mid, hi) if ok else (lo, mid)
        scale[j] = lo
    return scale


@dataclass
class DistilledFidelity:
    """The CLIP region classifier distilled into a softmax-linear model of z.

    The classifier itself renders every w it judges (tens of ms each), so a PPO run that asks
    it for every rollout takes tens of minutes on a CPU. This fits, once, a multinomial
    logistic model z → region probabilities to the classifier's own outputs on a few hundred
    renders around the logged variants (offsets up to a few standard deviations, the range
    the policy explores) and answers at the proxy's speed. `agreement` is the share of
    held-out renders on which the model and the classifier pick the same region.
    """

    weight: np.ndarray  # [k, R]
    bias: np.ndarray  # [R]
    agreement: float  # % of held-out renders, same argmax as the classifier
    samples: int  # renders fitted on (train + held-out)
    name: str = "classifier-distilled"
    description: str = (
        "cultural fidelity: the CLIP region classifier on rendered images, distilled into a "
        "softmax-linear model of the latent (probability of the intended region)"
    )

    def probs(self, z: np.ndarray) -> np.ndarray:
        logits = z.astype(np.float64) @ self.weight + self.bias
        logits -= logits.max(1, keepdims=True)
        e = np.exp(logits)
        return e / e.sum(1, keepdims=True)

    def score(self, z: np.ndarray, region: np.ndarray, base_idx: np.ndarray) -> np.ndarray:
        return self.probs(z)[np.arange(len(region)), region]

    def accuracy(self, z: np.ndarray, region: np.ndarray, base_idx: np.ndarray) -> float:
        return 100.0 * float(np.mean(self.probs(z).argmax(1) == region))

    @staticmethod
    def fit(
        teacher: ClassifierFidelity,
        z: np.ndarray,
        samples: int = 320,
        max_offset: float = 1.0,
        holdout: float = 0.2,
        l2: float = 1e-2,
        seed: int = 0,
        cancel: Callable[[], bool] | None = None,
    ) -> DistilledFidelity:
        """Render `samples` latents (logged z plus Gaussian offsets whose per-coordinate
        standard deviation is drawn up to `max_offset`, in the whitened z units), ask
        `teacher` for region probabilities, fit by L-BFGS on the soft cross-entropy with an
        L2 penalty, and measure agreement on a held-out share."""
        from scipy.optimize import minimize

        rng = np.random.default_rng(seed)
        n, k = z.shape
        base = rng.integers(0, n, samples)
        spread = rng.uniform(0.0, max_offset, (samples, 1))
        zs = (z[base] + rng.standard_normal((samples, k)) * spread).astype(np.float32)
        probs = []
        for s in range(0, samples, 32):
            if cancel is not None and cancel():
                raise InterruptedError("cancelled while distilling the region classifier")
            probs.append(teacher._probs(zs[s : s + 32], base[s : s + 32]))
        p = np.concatenate(probs).astype(np.float64)
        r = p.shape[1]
        n_hold = round(samples * holdout)
        tr, ho = slice(n_hold, None), slice(0, n_hold)
        x = zs.astype(np.float64)

        def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
            w, b = theta[: k * r].reshape(k, r), theta[k * r :]
            lg = x[tr] @ w + b
            lg -= lg.max(1, keepdims=True)
            q = np.exp(lg)
            q /= q.sum(1, keepdims=True)
            m = len(lg)
            ce = -float((p[tr] * np.log(q + 1e-12)).sum()) / m + 0.5 * l2 * float((w * w).sum())
            g = (q - p[tr]) / m
            return ce, np.concatenate([(x[tr].T @ g + l2 * w).ravel(), g.sum(0)])

        # start at the classifier's mean answer: bias = log mean probability
        theta0 = np.concatenate([np.zeros(k * r), np.log(p[tr].mean(0) + 1e-6)])
        sol = minimize(loss, theta0, jac=True, method="L-BFGS-B", options={"maxiter": 500})
        w, b = sol.x[: k * r].reshape(k, r), sol.x[k * r :]
        out = DistilledFidelity(w, b, 0.0, samples)
        if n_hold:
            agree = out.probs(x[ho]).argmax(1) == p[ho].argmax(1)
            out.agreement = 100.0 * float(agree.mean())
        return out


def is_fast(fid: object) -> bool:
    """Whether a fidelity answers without rendering (so it may score thousands of samples)."""
    return isinstance(fid, MahalanobisFidelity | DistilledFidelity)
