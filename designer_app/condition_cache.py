"""Text conditions (CLIP embeddings of a design's prompt) cached on disk between launches.

The first frame of a text-conditioned generator needs the condition vector of the design's
prompt, and loading the CLIP model (torch + open_clip) costs seconds. With the vector cached,
the first frame renders while the encoder still loads in the background. Entries are keyed by
the CLIP weights' content hash, the text pipeline (engine/clip/text.py and the culture lexicon
data) and the prompt, so a new model or lexicon never reuses an old vector. Numpy only: the
look-up runs on the GUI thread (one small file), writes happen on a worker thread.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

import numpy as np

VERSION = 1
SHIPPED = "conditions.npz"  # beside the CLIP model: the regions' default prompts, encoded


def _sha(h: hashlib._Hash, path: Path) -> None:
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)


def _pipeline_files() -> list[Path]:
    """Sources whose change changes prompt -> embedding (besides the CLIP weights)."""
    import engine.clip.text as text
    from engine.culture.loader import DATA_DIR

    return [Path(text.__file__), *sorted(Path(DATA_DIR).glob("*.json"))]


class ConditionCache:
    """(embedding, unknown words) per prompt for one CLIP model folder."""

    def __init__(self, clip_dir: Path | None, root: Path | None = None) -> None:
        from engine.paths import MODELS_DIR, user_cache_dir

        self.clip_dir = Path(clip_dir) if clip_dir is not None else MODELS_DIR / "clip"
        self._root = root
        self._root_fn = user_cache_dir
        self._key: str | None = None
        self._lock = threading.Lock()
        self._shipped: dict[str, tuple[np.ndarray, list[str]]] | None = None

    @property
    def root(self) -> Path:
        return (self._root or self._root_fn() / "conditions") / f"v{VERSION}"

    def model_key(self) -> str:
        """Content hash of the CLIP weights and the text pipeline ("" when there is no model).

        The weights' hash is remembered per (path, size, mtime) so later launches only stat
        the files; the first one reads them once (~10 MB)."""
        with self._lock:
            if self._key is not None:
                return self._key
            weights = sorted(self.clip_dir.glob("*.safetensors")) if self.clip_dir.is_dir() else []
            if not weights:
                self._key = ""
                return ""
            files = [*weights, *sorted(self.clip_dir.glob("*.json")), *_pipeline_files()]
            stat_key = hashlib.sha256()
            for f in files:
                st = f.stat()
                stat_key.update(f"{f.resolve()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
            memo = self.root / "identity.json"
            known: dict[str, str] = {}
            try:
                known = json.loads(memo.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                known = {}
            sk = stat_key.hexdigest()
            key = known.get(sk) if isinstance(known, dict) else None
            if not isinstance(key, str) or not key:
                content = hashlib.sha256()
                for f in files:
                    content.update(f.name.encode() + b"\0")
                    _sha(content, f)
                key = content.hexdigest()[:24]
                known = {sk: key}  # one model folder per cache: keep the newest only
                self._write_json(memo, known)
            self._key = key
            return key

    def _file(self, prompt: str) -> Path | None:
        key = self.model_key()
        if not key:
            return None
        h = hashlib.sha256(prompt.encode("utf-8")).hexdigest()[:24]
        return self.root / key / f"{h}.npz"

    def shipped(self) -> dict[str, tuple[np.ndarray, list[str]]]:
        """Prompt -> (embedding, unknown words) shipped beside the CLIP model (see
        `write_shipped`), so even the first launch on a new machine draws its first frame
        before CLIP loads; empty when missing or made for another model key."""
        if self._shipped is not None:
            return self._shipped
        out: dict[str, tuple[np.ndarray, list[str]]] = {}
        try:
            key = self.model_key()
            with np.load(self.clip_dir / SHIPPED, allow_pickle=False) as z:
                if key and str(z["key"]) == key:
                    for p, c, u in zip(z["prompts"], z["c"], z["unknown"], strict=True):
                        words = [w for w in str(u).split("\n") if w]
                        out[str(p)] = (np.asarray(c, np.float32), words)
        except (OSError, ValueError, KeyError):
            out = {}
        self._shipped = out
        return out

    def lookup(self, prompt: str) -> tuple[np.ndarray, list[str]] | None:
        """The cached (embedding float32 [D], unknown words), or None."""
        try:
            f = self._file(prompt)
            if f is None or not f.is_file():
                return self.shipped().get(prompt)
            with np.load(f, allow_pickle=False) as z:
                if str(z["prompt"]) != prompt:
                    return None  # a hash collision: never show another prompt's design
                c = np.asarray(z["c"], np.float32)
                unknown = [str(w) for w in z["unknown"]]
            return c, unknown
        except (OSError, ValueError, KeyError):
            return None

    def store(self, prompt: str, c: np.ndarray, unknown: list[str]) -> None:
        """Remember one encoding (atomic write; failures only cost the next launch time)."""
        from engine.atomic import atomic_path

        try:
            f = self._file(prompt)
            if f is None:
                return
            with atomic_path(f, suffix=".npz") as tmp, open(tmp, "wb") as fh:
                np.savez(
                    fh,
                    c=np.asarray(c, np.float32),
                    unknown=np.asarray(list(unknown), dtype=str),
                    prompt=np.asarray(prompt),
                )
        except OSError:
            pass

    @staticmethod
    def _write_json(path: Path, obj: object) -> None:
        from engine.atomic import atomic_open

        try:
            with atomic_open(path, encoding="utf-8") as fh:
                json.dump(obj, fh)
        except OSError:
            pass


def default_prompts() -> list[str]:
    """The prompt of each region's default design (a region picked, no descriptors yet)."""
    from designer_app import lexicon
    from engine.culture import REGION_IDS
    from engine.project import Design

    return [lexicon.prompt_for(r, Design(region=r).text) for r in REGION_IDS]


def write_shipped(clip_dir: Path, prompts: list[str], encode: object) -> Path:
    """Encode `prompts` with `encode(list[str]) -> (embeddings [N, D], unknown words per
    prompt)` and write CLIP_DIR/conditions.npz for the model key of `clip_dir` now."""
    import tempfile

    from engine.atomic import atomic_path

    with tempfile.TemporaryDirectory() as memo:  # model_key memoises; not beside the model
        key = ConditionCache(clip_dir, root=Path(memo)).model_key()
    if not key:
        raise ValueError(f"{clip_dir}: no CLIP weights (*.safetensors) to key the conditions by")
    emb, unknown = encode(prompts)  # type: ignore[operator]
    out = Path(clip_dir) / SHIPPED
    with atomic_path(out, suffix=".npz") as tmp, open(tmp, "wb") as fh:
        np.savez(
            fh,
            key=np.asarray(key),
            prompts=np.asarray(prompts),
            c=np.asarray(emb, np.float32),
            unknown=np.asarray(["\n".join(u) for u in unknown]),
        )
    return out


def main() -> int:
    """`python -m designer_app.condition_cache`: (re)write the shipped default conditions
    after the CLIP model, the lexicon or engine/clip/text.py changed (runs CLIP: not GUI)."""
    from engine.clip import load_encoder
    from engine.paths import MODELS_DIR

    clip_dir = MODELS_DIR / "clip"
    enc = load_encoder(clip_dir, device="cpu")

    def encode(prompts: list[str]) -> tuple[np.ndarray, list[list[str]]]:
        res = enc.encode_text(prompts)
        uw = getattr(res, "unknown_words", None) or [[] for _ in prompts]
        return res.embeddings.detach().cpu().numpy(), [list(u) for u in uw]

    path = write_shipped(clip_dir, default_prompts(), encode)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
