"""Sentence vectors for one build, kept in memory and beside the build on disk.

Answers compare the question with every candidate sentence (and each read after
the one before it). Embedding them is most of a cold ``kb ask``; a file in the
build's folder lets the next process load them instead. Vectors belong to the
build's model, so each build has its own: a switch to the tuned build never
mixes them.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["ANSWER_FILE", "SentenceVectors"]

FILE = "sentence-vectors.npz"
# The same sentences by the answer-sentence model (kb/tuning/answer_sentences.py).
ANSWER_FILE = "answer-sentence-vectors.npz"


class SentenceVectors:
    """Unit vectors of sentences, embedding only those not seen before."""

    def __init__(
        self,
        folder: Path | None,
        embed_texts: Callable[[list[str]], Any],
        file: str = FILE,
        model_id: str = "",
    ) -> None:
        self.path = folder / file if folder is not None else None
        self._file = file
        # Which model made the vectors: a model retrained in the same folder (the
        # answer-sentence model, after a change to its own settings) must not be read
        # back with the old one's vectors.
        self._model_id = model_id
        self._embed = embed_texts
        self._lock = threading.Lock()
        self._vectors: dict[str, np.ndarray] = {}
        self._unsaved = 0
        if self.path is not None and self.path.exists():
            try:
                with np.load(self.path, allow_pickle=False) as data:
                    if str(data["model"]) == model_id:
                        self._vectors = dict(
                            zip(data["texts"].tolist(), data["vectors"], strict=True)
                        )
            except (OSError, ValueError, KeyError):
                self._vectors = {}  # a damaged cache is only a slower answer

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            vectors = np.asarray(self._embed(missing), np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            with self._lock:
                self._vectors.update(zip(missing, vectors, strict=True))
                self._unsaved += len(missing)
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        return np.vstack([self._vectors[t] for t in texts])

    def save(self) -> None:
        """Write the vectors beside the build, whole, if any are new (atomic rename)."""
        if self.path is None or not self._unsaved:
            return
        with self._lock:
            texts = list(self._vectors)
            vectors = np.vstack([self._vectors[t] for t in texts]).astype(np.float32)
            self._unsaved = 0
        tmp = self.path.with_name(f".{self._file}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            with open(tmp, "wb") as fh:
                np.savez(
                    fh,
                    texts=np.array(texts, dtype=str),
                    vectors=vectors,
                    model=np.array(self._model_id),
                )
            os.replace(tmp, self.path)
        except OSError:
            tmp.unlink(missing_ok=True)  # a read-only data folder: answers still work
