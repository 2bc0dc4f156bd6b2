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

    def lookup(self, prompt: str) -> tuple[np.ndarray, list[str]] | None:
        """The cached (embedding float32 [D], unknown words), or None."""
        try:
            f = self._file(prompt)
            if f is None or not f.is_file():
                return None
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
