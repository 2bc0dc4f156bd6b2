"""Text → condition prior: the generator's condition for a prompt, taken from the CLIP image
embeddings it was trained on.

The generator is trained on CLIP *image* embeddings (LAFITE's language-free training); at use
time it gets a CLIP *text* embedding. With our small CLIP the two modalities sit apart, so a
raw text embedding is an out-of-distribution condition. The prior closes that gap without
another network (a retrieval prior, in the spirit of DALL-E 2's and kNN-Diffusion's): the
condition is the normalised mean of the k training-tile embeddings nearest to the text, plus
`text_weight` × the text itself. Measured with k = 16 (`wenyang eval gen`, held-out prompts,
CLIP-classifier / independent accuracy): the 22 kimg generator 0.32 / 0.27 → 0.40 / 0.32
with text weight 0.5 (0.37 / 0.35 with 0); the 311 kimg one 0.33 / 0.29 → 0.42 / 0.38
(0.45 / 0.39 with 0). Text weight 0.5 also keeps CLIP score and FD at least as good.

Two modes. "mean" (the first): the normalised mean of the k nearest embeddings, the same
condition for every seed. "sample" (session 5's default for new priors): each seed takes one
of the k nearest, chosen by the seed, plus the text. The mean of k embeddings is an average
tile that no training tile looks like, so every seed of a prompt drew much the same pattern;
a real neighbour per seed is what the generator saw in training. On the 256 px generator
(k = 16): diversity within a prompt 0.29 → 0.57, FD 0.244 → 0.231, CLIP accuracy
0.779 → 0.745, independent 0.596 → 0.568. Files written before carry no mode: "mean".

Region (session 7, file version 2): the bank carries each tile's region, and a condition for
a design of a known region draws its neighbours only among that region's tiles (the
`region_k` nearest, 16). The designer picks the region; a neighbour of another region is
never what they asked for. When the words belong to another region ("flying apsaras" with
Miao picked), the whole bank conditions on that other region's tiles: with another region
picked for each held-out caption (`eval gen --cross-region`, 128 tiles) the tiles showed
the picked region 8% of the time by the CLIP classifier (13% independent); drawn among the
picked region's tiles, 63% (43%). When words and region agree, the 16 nearest are the
region's anyway, and the figures are those of the whole bank. A wider choice within the
region (region_k 32 / 64) raised diversity (0.48 → 0.59 / 0.78 of the database's) but cost
CLIP score (0.500 → 0.490 / 0.470) and gained no accuracy (0.809 → 0.796 / 0.792; validation
prompts from another database, 960 tiles), so the default stays at 16.
Without a region, or with a version 1 file, the bank is searched whole with `k`.

Faithful tiles (session 9, file version 3): a bank may mark the tiles the generator draws
faithfully (`faithful`, from `train gan-prior --fidelity-keep`, engine.stylegan.prior_fidelity);
conditions then draw only among those unless a design asks for the whole bank (designs saved
before, so that they keep their pixels).

The bank ships beside the generator (`condition_prior.safetensors`); numpy only, so the
first-frame helper applies it exactly as the Renderer does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import UserInputError

FILE = "condition_prior.safetensors"
FORMAT = "wenyang-condition-prior"
VERSION = 3
DEFAULT_K = 16
DEFAULT_REGION_K = 16
DEFAULT_TEXT_WEIGHT = 0.5
MODES = ("mean", "sample")
SEED_SALT = 17  # the neighbour draw must not share a stream with the seed's z


@dataclass
class ConditionPrior:
    """k nearest neighbours in a bank of unit CLIP image embeddings [N, D]: their mean, or
    (mode "sample") one of them picked by the seed."""

    bank: np.ndarray
    k: int = DEFAULT_K
    text_weight: float = DEFAULT_TEXT_WEIGHT
    meta: dict[str, Any] | None = None
    mode: str = "mean"  # "mean" of the k nearest, or "sample": one of them per seed
    regions: np.ndarray | None = None  # [N] region id of each bank row (None: unknown)
    region_k: int = DEFAULT_REGION_K  # neighbours considered within a named region
    faithful: np.ndarray | None = None  # [N] bool: tiles the generator draws faithfully

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode is {self.mode!r}, expected one of {', '.join(MODES)}")
        bank = np.asarray(self.bank, dtype=np.float32)
        if bank.ndim != 2 or len(bank) == 0:
            raise ValueError(f"the condition bank must be [N, D] with N > 0, got {bank.shape}")
        self.bank = bank / np.maximum(np.linalg.norm(bank, axis=1, keepdims=True), 1e-8)
        self.k = max(1, min(int(self.k), len(bank)))
        self.region_k = max(1, int(self.region_k))
        if self.regions is not None:
            self.regions = np.asarray(self.regions).astype(str)
            if self.regions.shape != (len(bank),):
                raise ValueError(
                    f"{self.regions.shape[0] if self.regions.ndim else 0} region labels for "
                    f"{len(bank)} bank rows"
                )
        if self.faithful is not None:
            self.faithful = np.asarray(self.faithful).astype(bool)
            if self.faithful.shape != (len(bank),) or not self.faithful.any():
                raise ValueError(
                    f"the faithful mask must mark some of the {len(bank)} bank rows, got "
                    f"shape {self.faithful.shape}"
                )

    def _bank_for(self, region: str | None, faithful: bool = True) -> tuple[np.ndarray, int]:
        """The rows to search and k: the region's own rows when it is named and labelled;
        with `faithful` (and a mask in the file), only the faithfully drawn ones."""
        mask = self.faithful if faithful else None
        if region is None or self.regions is None:
            if mask is None:
                return self.bank, self.k
            return self.bank[mask], min(self.k, int(mask.sum()))
        in_region = self.regions == region
        if not in_region.any():  # a region the bank has no tile of: search everything
            return self._bank_for(None, faithful)
        if mask is not None and (in_region & mask).any():
            in_region = in_region & mask
        rows = self.bank[in_region]
        return rows, min(self.region_k, len(rows))

    @property
    def dim(self) -> int:
        return int(self.bank.shape[1])

    def __call__(
        self,
        c: np.ndarray,
        seed: int | None = None,
        region: str | None = None,
        faithful: bool = True,
    ) -> np.ndarray:
        """[D] or [N, D] conditions → the same shape, unit rows. An all-zero row (the neutral
        condition of an empty prompt) is passed through unchanged. In "sample" mode `seed`
        picks the neighbour (no seed: the mean, as in "mean" mode). `region`: neighbours
        only among that region's tiles (see the module doc)."""
        x = np.asarray(c, dtype=np.float32)
        rows = x.reshape(-1, self.dim)
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        q = rows / np.maximum(norms, 1e-8)
        bank, k = self._bank_for(region, faithful)
        sims = q @ bank.T  # [N, bank]
        if self.mode == "sample" and seed is not None:
            # the k nearest in a fixed order (ties by index), then the seed's pick among them
            top = np.argsort(-sims, axis=1, kind="stable")[:, :k]
            pick = np.random.RandomState((int(seed) + SEED_SALT) % (2**32)).randint(k)
            base = bank[top[:, pick]]
        else:
            top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
            base = bank[top].mean(axis=1)
        out = base + np.float32(self.text_weight) * q
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-8)
        out = np.where(norms > 0, out, rows).astype(np.float32)
        return out.reshape(x.shape)


def save_prior(prior: ConditionPrior, model_dir: Path) -> Path:
    """Write the bank (float16) and its settings beside a generator, atomically."""
    from safetensors.numpy import save_file

    from engine.atomic import atomic_path

    meta = {
        "format": FORMAT,
        "version": str(VERSION),
        "k": str(prior.k),
        "text_weight": repr(float(prior.text_weight)),
        "mode": prior.mode,
        "region_k": str(prior.region_k),
        "info": json.dumps(prior.meta or {}, sort_keys=True),
    }
    tensors = {"bank": prior.bank.astype(np.float16)}
    if prior.regions is not None:
        names = sorted(set(prior.regions.tolist()))
        meta["region_names"] = json.dumps(names)
        index = {n: i for i, n in enumerate(names)}
        tensors["region_index"] = np.asarray([index[r] for r in prior.regions], dtype=np.int16)
    if prior.faithful is not None:
        tensors["faithful"] = prior.faithful.astype(np.uint8)
    path = Path(model_dir) / FILE
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata=meta)
    return path


def load_prior(model_dir: Path | str) -> ConditionPrior | None:
    """The prior shipped beside a generator, or None when the folder has none."""
    path = Path(model_dir) / FILE
    if not path.is_file():
        return None
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="numpy") as fh:
            meta = dict(fh.metadata() or {})
            bank = fh.get_tensor("bank")
            regions = None
            names_in_file = list(fh.keys())
            if "region_index" in names_in_file:  # version 2; version 1 files have no labels
                names = [str(n) for n in json.loads(meta["region_names"])]
                index = fh.get_tensor("region_index").astype(np.int64)
                if index.shape != (len(bank),) or index.min() < 0 or index.max() >= len(names):
                    raise ValueError("region_index does not match the bank and region_names")
                regions = np.asarray(names)[index]
            faithful = None
            if "faithful" in names_in_file:  # version 3
                faithful = fh.get_tensor("faithful").astype(bool)
        if meta.get("format") != FORMAT:
            raise ValueError(f"format is {meta.get('format')!r}, expected {FORMAT!r}")
        if int(meta.get("version", "0")) > VERSION:
            raise ValueError(f"version {meta.get('version')} is newer than this build reads")
        return ConditionPrior(
            bank=bank,
            k=int(meta.get("k", DEFAULT_K)),
            text_weight=float(meta.get("text_weight", DEFAULT_TEXT_WEIGHT)),
            meta=json.loads(meta.get("info", "{}")),
            mode=meta.get("mode", "mean"),  # files from before session 5: the mean
            regions=regions,
            region_k=int(meta.get("region_k", DEFAULT_REGION_K)),
            faithful=faithful,
        )
    except (OSError, ValueError, KeyError, TypeError, SafetensorError) as exc:
        raise UserInputError(
            f"unreadable condition prior ({exc}); rebuild it with `wenyang train gan-prior`",
            path=str(path),
        ) from exc
