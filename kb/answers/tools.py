"""What the answer builder works with: the tools its owner hands in, what it keeps per
build, and a question as retrieved and judged.

:class:`AnswerTools` keeps :mod:`kb.answers.answerer` from reaching back into the
knowledge base (no import circle between api, answers and llm).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from kb.answers.abstain import Coverage, Signals
from kb.answers.known import KnownAnswers
from kb.answers.sentences import Sentence, TermWeights
from kb.answers.vectors import ANSWER_FILE, SentenceVectors
from kb.core.results import Passage
from kb.core.store import Index

__all__ = ["AnswerTools", "Assessment", "BuildCache", "unit"]


class BuildCache:
    """What answering needs from one build: vectors of its chunks and sentences (the
    build's model), its vocabulary, and the known questions' vectors when used."""

    def __init__(
        self,
        index: Index,
        embed_texts: Callable[[list[str]], Any],
        embed_answer_texts: Callable[[list[str]], Any] | None = None,
    ) -> None:
        vectors = index.embeddings().astype(np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        self.vectors = vectors / np.where(norms == 0, 1, norms)
        self.row = {cid: i for i, cid in enumerate(index.order)}
        texts: list[str] = []
        for chunk in index.chunks.values():
            texts += [chunk.text, chunk.section_label]
        self.terms = TermWeights([c.text for c in index.chunks.values()])
        for record in index.documents.values():
            texts += [str(v) for v in record.meta.to_dict().values() if v]
        self.coverage = Coverage.from_texts(texts)
        self.sentences: dict[str, list[Sentence]] = {}
        self.sentence_vectors = SentenceVectors(getattr(index, "path", None), embed_texts)
        # What answers choose sentences by: the answer-sentence model's vectors, or the
        # build model's when there is none.
        self.answer_vectors = (
            SentenceVectors(getattr(index, "path", None), embed_answer_texts, ANSWER_FILE)
            if embed_answer_texts is not None
            else self.sentence_vectors
        )
        self.known: KnownAnswers | None = None
        self.stock: dict[str, np.ndarray] = {}  # texts embedded by the stock model


@dataclass(frozen=True)
class Assessment:
    """A question as retrieved and judged: its set-aside names, passages and signals."""

    names: tuple[str, ...]
    set_aside: list[str]
    topic: str  # the query with the asker's own names set aside
    qvec: np.ndarray
    passages: list[Passage]
    signals: Signals


@dataclass(frozen=True)
class AnswerTools:
    """What the answer builder uses, handed in by its owner (kb.api.KnowledgeBase).

    The builder never reaches back into the knowledge base: it gets the current
    build, a way to embed a question and a batch of texts, the search it answers
    from, and (optionally) case-study matching.
    """

    index: Callable[[], Index]
    embed_query: Callable[[str], list[float]]
    embed_texts: Callable[[list[str]], Any]
    clean_query: Callable[[str], str]
    match_cases: Callable[..., list[Any]] | None = None
    # Embeds texts with the stock model when the build uses an adapted one (a second
    # reading of a question about to be refused, kb.answers.abstain); None otherwise.
    embed_stock: Callable[[list[str]], Any] | None = None
    # The answer-sentence model (kb/tuning/answer_sentences.py), when the build's model has
    # one: it chooses what an answer quotes. Retrieval and refusals keep embed_query.
    embed_answer_texts: Callable[[list[str]], Any] | None = None
    embed_answer_query: Callable[[str], list[float]] | None = None


def unit(v: Any) -> np.ndarray:
    a = np.asarray(v, dtype=np.float32)
    return a / (np.linalg.norm(a) or 1.0)
