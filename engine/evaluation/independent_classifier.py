"""An independent region classifier: multinomial logistic regression on colour and texture
features (engine.evaluation.features), trained on a held-out procedural database.

It shares nothing with CLIP, so cultural accuracy measured by both is harder to game. The
fitted weights are cached per (database manifest, feature version, feature group) in the user
cache. Classifiers on one feature group alone (colour or texture) say which kind of evidence a
generator gets right or wrong (`wenyang eval gen --feature-split`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.evaluation.features import FEATURE_VERSION, batch_features, group_columns

Progress = Callable[[int, int], None]


@dataclass
class IndependentClassifier:
    """Standardised features → softmax over regions (in `regions` order)."""

    mean: np.ndarray  # [F]
    std: np.ndarray  # [F]
    weight: np.ndarray  # [K, F]
    bias: np.ndarray  # [K]
    regions: tuple[str, ...]
    group: str = "all"  # feature group it reads: "all", "colour" or "texture"

    def logits(self, feats: np.ndarray) -> np.ndarray:
        """[N, K] logits from full feature rows [N, F] (`batch_features`)."""
        x = np.asarray(feats)[:, group_columns(self.group)]
        return ((x - self.mean) / self.std) @ self.weight.T + self.bias

    def predict(self, feats: np.ndarray) -> np.ndarray:
        """[N] index into `regions` of the most likely region, from full feature rows."""
        return self.logits(feats).argmax(1)

    def predict_proba(self, images: list[np.ndarray] | np.ndarray) -> np.ndarray:
        """[N, K] region probabilities of uint8 HxWx3 tiles."""
        z = self.logits(batch_features(images))
        z -= z.max(1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(1, keepdims=True)

    def accuracy(self, images: list[np.ndarray], regions: list[str]) -> float:
        pred = self.predict_proba(images).argmax(1)
        return float(np.mean([self.regions[p] == r for p, r in zip(pred, regions, strict=True)]))

    def save(self, path: Path) -> None:
        from safetensors.numpy import save_file

        from engine.atomic import atomic_path

        arrays = {"mean": self.mean, "std": self.std, "weight": self.weight, "bias": self.bias}
        with atomic_path(path) as tmp:
            save_file(
                {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in arrays.items()},
                str(tmp),
                metadata={
                    "regions": ",".join(self.regions),
                    "features": str(FEATURE_VERSION),
                    "group": self.group,
                },
            )

    @classmethod
    def load(cls, path: Path) -> IndependentClassifier:
        from safetensors import safe_open

        with safe_open(str(path), "numpy") as fh:
            meta = fh.metadata() or {}
            t = {k: fh.get_tensor(k) for k in fh.keys()}  # noqa: SIM118
        regions = tuple(meta["regions"].split(","))
        return cls(t["mean"], t["std"], t["weight"], t["bias"], regions, meta.get("group", "all"))


def fit_logistic(
    X: np.ndarray, y: np.ndarray, n_classes: int, l2: float = 1e-2, max_iter: int = 500
) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression (L-BFGS on the mean cross-entropy + l2/2 |W|²)."""
    from scipy.optimize import minimize

    n, f = X.shape
    Y = np.eye(n_classes)[y]

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        W = theta[: n_classes * f].reshape(n_classes, f)
        b = theta[n_classes * f :]
        z = X @ W.T + b
        z -= z.max(1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(1, keepdims=True))
        P = np.exp(logp)
        value = -(Y * logp).sum() / n + 0.5 * l2 * (W * W).sum()
        G = (P - Y) / n
        gW = G.T @ X + l2 * W
        return float(value), np.concatenate([gW.reshape(-1), G.sum(0)])

    theta0 = np.zeros(n_classes * f + n_classes)
    res = minimize(loss, theta0, jac=True, method="L-BFGS-B", options={"maxiter": max_iter})
    W = res.x[: n_classes * f].reshape(n_classes, f)
    return W, res.x[n_classes * f :]


def soften(image: np.ndarray) -> np.ndarray:
    """The tile as a generator at lower resolution would draw it: downsampled to half size
    and back, then a light blur. Training on both keeps the classifier from rejecting
    generated tiles for crispness alone, which says nothing about culture."""
    import cv2

    h, w = image.shape[:2]
    small = cv2.resize(image, (max(8, w // 2), max(8, h // 2)), interpolation=cv2.INTER_AREA)
    up = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    return cv2.GaussianBlur(up, (0, 0), sigmaX=max(0.5, w / 256), borderType=cv2.BORDER_WRAP)


def train_classifier(
    images: list[np.ndarray],
    regions: list[str],
    l2: float = 1e-2,
    augment: bool = True,
    group: str = "all",
) -> IndependentClassifier:
    """Fit on tiles and their region labels (all REGION_IDS must be present); `augment`
    adds a softened copy of every tile (see `soften`); `group`: the features it reads."""
    if augment:
        images = list(images) + [soften(im) for im in images]
        regions = list(regions) * 2
    return fit_on_features(batch_features(images), regions, l2, group)


def fit_on_features(
    feats: np.ndarray, regions: list[str], l2: float = 1e-2, group: str = "all"
) -> IndependentClassifier:
    """The classifier fitted on full feature rows [N, F] of tiles of the given regions."""
    from engine.culture import REGION_IDS

    order = tuple(REGION_IDS)
    y = np.asarray([order.index(r) for r in regions])
    F = np.asarray(feats, dtype=np.float64)[:, group_columns(group)]
    mean, std = F.mean(0), F.std(0) + 1e-6
    W, b = fit_logistic((F - mean) / std, y, len(order), l2=l2)
    return IndependentClassifier(
        mean.astype(np.float32),
        std.astype(np.float32),
        W.astype(np.float32),
        b.astype(np.float32),
        order,
        group,
    )


def cross_validated_accuracy(
    images: list[np.ndarray], regions: list[str], group: str = "all", folds: int = 10
) -> float:
    """Accuracy on real tiles the classifier did not see: each fold is scored by a classifier
    fitted (as `train_classifier` fits) on the other folds. The yardstick a generator's
    accuracy is read against: how well these features tell the regions' own tiles apart.
    Many folds, because the figure depends on the training set's size (held-out database,
    256 px, all features: 0.80 with 2 folds, 0.85 with 5, 0.97 with 10, which trains on
    nearly what the real classifier trains on)."""
    return cross_validated_accuracies(images, regions, (group,), folds)[group]


def cross_validated_accuracies(
    images: list[np.ndarray],
    regions: list[str],
    groups: tuple[str, ...] = ("all", "colour", "texture"),
    folds: int = 10,
) -> dict[str, float]:
    """`cross_validated_accuracy` for several feature groups, the features computed once."""
    n = len(images)
    if folds < 2 or n < folds:
        raise ValueError(f"need at least {folds} tiles and 2 folds, got {n} and {folds}")
    feats = batch_features(images)
    soft = batch_features([soften(im) for im in images])
    fold = np.arange(n) % folds
    regs = np.asarray(regions)
    out = {}
    for group in groups:
        correct = 0
        for k in range(folds):
            tr = fold != k
            clf = fit_on_features(
                np.concatenate([feats[tr], soft[tr]]), list(regs[tr]) * 2, group=group
            )
            pred = clf.predict(feats[~tr])
            correct += int(sum(clf.regions[p] == r for p, r in zip(pred, regs[~tr], strict=True)))
        out[group] = correct / n
    return out


def _db_key(db_dir: Path, group: str = "all") -> str:
    h = hashlib.sha256((db_dir / "manifest.jsonl").read_bytes())
    return f"{h.hexdigest()[:16]}-f{FEATURE_VERSION}-a1" + ("" if group == "all" else f"-{group}")


def classifier_for_database(
    db_dir: str | Path, cache: bool = True, group: str = "all"
) -> IndependentClassifier:
    """The classifier trained on a database folder (cached by its manifest hash), reading
    the feature `group` ("all", "colour" or "texture")."""
    from engine.database import load_image, read_manifest
    from engine.paths import user_cache_dir

    db_dir = Path(db_dir)
    group_columns(group)  # an unknown group fails before any work
    path = user_cache_dir() / "evaluation" / f"indep-{_db_key(db_dir, group)}.safetensors"
    if cache and path.is_file():
        return IndependentClassifier.load(path)
    recs = read_manifest(db_dir)
    clf = train_classifier(
        [load_image(db_dir, r) for r in recs], [r["region"] for r in recs], group=group
    )
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        clf.save(path)
    return clf
