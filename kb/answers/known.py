"""Sentences that answered a known question: the tune split's questions and their evidence.

Matching a new question to an old one is easier than matching it to a sentence
(two questions share their wording and shape), so a sentence that answered a
question like the one asked is a strong candidate for the lead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from kb.core.text import fold

__all__ = ["KnownAnswers"]

# A sentence this short inside a quote is too generic to say it answered the question.
MIN_PART_WORDS = 6


class KnownAnswers:
    """Known questions, their evidence quotes and (embedded on first use) their vectors."""

    def __init__(
        self, questions: Sequence[dict[str, Any]], embed_texts: Callable[[list[str]], Any]
    ) -> None:
        self.questions = [str(q["question"]) for q in questions]
        self.quotes = [[fold(e) for e in q.get("evidence") or () if fold(e)] for q in questions]
        self._embed = embed_texts
        self._vectors: np.ndarray | None = None
        self._matches: dict[str, tuple[int, ...]] = {}
        self._lock = threading.Lock()

    def vectors(self) -> np.ndarray:
        with self._lock:
            if self._vectors is None:
                if self.questions:
                    v = np.asarray(self._embed(self.questions), dtype=np.float32)
                    self._vectors = v / np.linalg.norm(v, axis=1, keepdims=True)
                else:
                    self._vectors = np.zeros((0, 1), dtype=np.float32)
            return self._vectors

    def answered_by(self, sentence: str) -> tuple[int, ...]:
        """The known questions whose evidence holds the sentence, or is held by it."""
        found = self._matches.get(sentence)
        if found is None:
            text = fold(sentence)
            whole = len(text.split()) >= MIN_PART_WORDS
            found = tuple(
                i
                for i, quotes in enumerate(self.quotes)
                if any(q in text or (whole and text in q) for q in quotes)
            )
            self._matches[sentence] = found
        return found

    def closeness(self, qvec: np.ndarray, sentences: Sequence[str]) -> list[float]:
        """Per sentence, the best cosine between the question and a question it answered."""
        matches = [self.answered_by(s) for s in sentences]
        if not any(matches):
            return [0.0] * len(sentences)
        sims = self.vectors() @ qvec
        return [float(sims[list(m)].max()) if m else 0.0 for m in matches]
