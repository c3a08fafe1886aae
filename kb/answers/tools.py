"""What the answer builder works with: the tools its owner hands in, what it keeps per
build, and a question as retrieved and judged.

:class:`AnswerTools` keeps :mod:`kb.answers.answerer` from reaching back into the
knowledge base (no import circle between api, answers and llm).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from kb.answers.abstain import Coverage, Signals
from kb.answers.known import KnownAnswers
from kb.answers.sentences import Sentence, TermWeights, quotable_sentences
from kb.answers.vectors import ANSWER_FILE, SentenceVectors
from kb.core.results import Passage
from kb.core.store import Index
from kb.retrieval.rerank import SentenceScores

__all__ = ["AnswerTools", "Assessment", "BuildCache", "unit"]


class BuildCache:
    """What answering needs from one build: vectors of its chunks and sentences (the
    build's model), its vocabulary, and the known questions' vectors when used."""

    def __init__(
        self,
        index: Index,
        embed_texts: Callable[[list[str]], Any],
        embed_answer_texts: Callable[[list[str]], Any] | None = None,
        embed_answer_query: Callable[[str], Any] | None = None,
        answer_model_id: str = "",
    ) -> None:
        self.chunks = index.chunks
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
            SentenceVectors(
                getattr(index, "path", None), embed_answer_texts, ANSWER_FILE, answer_model_id
            )
            if embed_answer_texts is not None
            else self.sentence_vectors
        )
        # Embeds a question by the answer-sentence model; None when there is none.
        self._embed_answer_query = embed_answer_query if embed_answer_texts else None
        # One question is embedded once, for search's second stage and the answer alike.
        self._answer_query = lru_cache(maxsize=256)(self._embed_answer)
        self.known: KnownAnswers | None = None
        self.stock: dict[str, np.ndarray] = {}  # texts embedded by the stock model

    def sentences_of(self, chunk: Any) -> list[Sentence]:
        """The chunk's quotable sentences (kb.answers.sentences), split once per build."""
        found = self.sentences.get(chunk.id)
        if found is None:
            found = quotable_sentences(chunk)
            self.sentences[chunk.id] = found
        return found

    @property
    def has_answer_model(self) -> bool:
        """Whether the build has an answer-sentence model (kb/tuning/answer_sentences.py)."""
        return self._embed_answer_query is not None

    def answer_query(self, text: str) -> np.ndarray | None:
        """``text`` embedded by the answer-sentence model (once), or None without one."""
        return self._answer_query(text) if self.has_answer_model else None

    def forget_queries(self) -> None:
        """Forget the questions embedded by the answer-sentence model (for timing runs)."""
        self._answer_query.cache_clear()

    def _embed_answer(self, text: str) -> np.ndarray:
        assert self._embed_answer_query is not None
        return unit(self._embed_answer_query(text))

    def sentence_scores(self, query: str) -> SentenceScores | None:
        """For each chunk, the cosine of its best quotable sentence with ``query`` under
        the answer-sentence model (its whole text when none is quotable): retrieval's
        second-stage signal (kb.retrieval.rerank). None without that model."""
        aq = self.answer_query(query)
        if aq is None:
            return None

        def scores(chunk_ids: Sequence[str]) -> np.ndarray:
            groups = [
                [s.text for s in self.sentences_of(self.chunks[cid])] or [self.chunks[cid].text]
                for cid in chunk_ids
            ]
            cosines = self.answer_vectors([t for g in groups for t in g]) @ aq
            ends = np.cumsum([len(g) for g in groups])
            return np.array(
                [cosines[end - len(g) : end].max() for g, end in zip(groups, ends, strict=True)]
            )

        return scores


@dataclass(frozen=True)
class Assessment:
    """A question as retrieved and judged: its set-aside names, passages and signals."""

    names: tuple[str, ...]
    set_aside: list[str]
    topic: str  # the query with the asker's own names set aside
    qvec: np.ndarray
    passages: list[Passage]
    signals: Signals
    # The answer-sentence stage's best passages (kb.answers.answerer.Answerer.sources).
    extra: tuple[Passage, ...] = ()


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
    answer_model_id: str = ""  # its training hash: which model the saved vectors are by
    # A chunk, where a quote starts in it and the quote → the case study it is from when
    # the quote does not name it (kb.cases.names.unnamed_source); None: no names.
    case_about: Callable[[Any, int, str], str] | None = None


def unit(v: Any) -> np.ndarray:
    a = np.asarray(v, dtype=np.float32)
    return a / (np.linalg.norm(a) or 1.0)
