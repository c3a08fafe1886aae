"""Grounded, extractive answers: the retrieved sentences that best answer a question.

The answer is made of sentences copied from the retrieved passages, each
followed by ``[n]``, the number of the passage it was copied from
(:mod:`kb.answers.record` checks every one). Which sentences, in what order, is
:mod:`kb.answers.compose`; whether to answer at all is :mod:`kb.answers.abstain`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from kb.answers.abstain import Signals, closeness_of, should_abstain
from kb.answers.candidates import Candidate, context_texts
from kb.answers.compose import Scoring, compose, question_type
from kb.answers.currency import load_currency
from kb.answers.known import KnownAnswers
from kb.answers.question import (
    is_about_the_asker,
    join_names,
    retrieval_query,
    without_names,
)
from kb.answers.record import assemble, nearest_topics
from kb.answers.sentences import Sentence
from kb.answers.tools import AnswerTools, Assessment, BuildCache, unit
from kb.checklist.questions import load_checklist
from kb.core.questions import known_questions
from kb.core.results import Answer, Passage
from kb.core.settings import Settings
from kb.core.store import Index
from kb.retrieval.rerank import SentenceScores, rerank
from kb.retrieval.search import SearchQuery, focus_vector, fused_candidates, top_passages

__all__ = ["AnswerTools", "Answerer", "Assessment"]

_log = logging.getLogger(__name__)

# How many passages the closeness score looks at (answers draw on
# settings.answer_source_passages).
CLOSENESS_PASSAGES = 3


class Answerer:
    """Builds answers over one knowledge base; caches what each build needs across questions."""

    def __init__(self, settings: Settings, tools: AnswerTools) -> None:
        self.settings = settings
        self.tools = tools
        self._lock = threading.Lock()
        self._build: tuple[str, BuildCache] | None = None

    # -- caches ---------------------------------------------------------------------
    def build_cache(self, index: Index) -> BuildCache:
        with self._lock:
            if self._build is None or self._build[0] != index.build_id:
                self._build = (
                    index.build_id,
                    BuildCache(
                        index,
                        self.tools.embed_texts,
                        self.tools.embed_answer_texts,
                        self.tools.embed_answer_query,
                        self.tools.answer_model_id,
                    ),
                )
            return self._build[1]

    def forget_queries(self) -> None:
        """Forget the questions the answer-sentence model has embedded."""
        if self._build is not None:
            self._build[1].forget_queries()

    def sentences_of(self, cache: BuildCache, passage: Passage) -> list[Sentence]:
        return cache.sentences_of(passage.chunk)

    def sentence_scores(self, cache: BuildCache, query: str) -> SentenceScores | None:
        """Retrieval's answer-sentence signal for ``query`` (:mod:`kb.retrieval.rerank`);
        None when its weight is 0 or the build has no answer-sentence model."""
        if self.settings.rerank_answer_weight <= 0:
            return None
        return cache.sentence_scores(query)

    def warm(self) -> None:
        """Embed every sentence of the library and the checklist now, so asks stay fast."""
        index = self.tools.index()
        cache = self.build_cache(index)
        candidates = self.candidates(
            cache, [Passage(index.chunks[chunk_id], 0.0, 0) for chunk_id in index.order]
        )
        texts = [c.text for c in candidates] + context_texts(candidates)
        cache.sentence_vectors(texts)
        cache.answer_vectors(texts)
        if self.settings.rerank_answer_weight > 0 and cache.has_answer_model:
            # What retrieval scores a passage without a quotable sentence by: its text.
            cache.answer_vectors(
                [c.text for c in index.chunks.values() if not cache.sentences_of(c)]
            )
        if self.settings.answer_known_weight:
            self.known(cache).vectors()
        self.checklist().vectors(cache.sentence_vectors)
        cache.sentence_vectors.save()
        cache.answer_vectors.save()
        self.case_studies("sharing services between councils")  # loads the case library

    def known(self, cache: BuildCache) -> KnownAnswers:
        with self._lock:
            if cache.known is None:
                cache.known = KnownAnswers(known_questions(self.settings), cache.sentence_vectors)
            return cache.known

    def checklist(self) -> Any:
        return load_checklist(self.settings.corpus_dir / "checklist.yaml")

    # -- answering --------------------------------------------------------------------
    def answer(self, question: str, history: Sequence[Any] | None = None) -> Answer:
        """A grounded answer; see :meth:`kb.api.KnowledgeBase.answer`."""
        index = self.tools.index()
        cache = self.build_cache(index)
        try:
            return self._answer(question, history, index, cache)
        finally:
            cache.sentence_vectors.save()  # the next process loads what this one embedded
            cache.answer_vectors.save()

    def _answer(
        self, question: str, history: Sequence[Any] | None, index: Index, cache: BuildCache
    ) -> Answer:
        question = self.tools.clean_query(question)
        query = retrieval_query(question, history, self.settings.max_question_chars)
        view = self.assess(cache, index, query)
        passages, signals, set_aside, qvec = view.passages, view.signals, view.set_aside, view.qvec
        if not passages or self.should_abstain(signals):
            return self.abstention(question, passages, signals.closeness, list(view.names))
        sources = self.sources(view)
        answer = self.compose_answer(question, cache, qvec, sources, view.topic)
        answer.score = signals.closeness
        if set_aside:
            answer.scope_note = (
                f"The library does not mention {join_names(set_aside, query)} specifically; "
                "this is what it says in general."
            )
        if self.settings.llm_base_url and self.settings.llm_model:
            from kb.answers.llm import answer_with_llm

            answer = answer_with_llm(self.settings, question, sources, answer)
        self.attach_extras(answer, cache, query, qvec, passages)
        return answer

    def assess(self, cache: BuildCache, index: Index, query: str) -> Assessment:
        """Retrieve for a query and gather what the abstention decision rests on.

        Names the library never mentions (the asker's council, a supplier) are set
        aside: the question is retrieved and judged on what it asks about, read as
        any council's ("We're a council and have only talked to a council…").
        """
        names = cache.coverage.unknown_terms(query)
        set_aside = [n for n in names if is_about_the_asker(n, query)]
        topic = without_names(query, set_aside)
        qvec = np.asarray(self.tools.embed_query(topic), dtype=np.float32)
        qvec /= np.linalg.norm(qvec) or 1.0
        k = max(self.settings.top_k, self.settings.answer_source_passages)
        qlist = qvec.tolist()
        focus = focus_vector(topic, self.settings, self.tools.embed_query)
        search = SearchQuery(topic, qlist, k, focus_embedding=focus)
        fused = fused_candidates(index, search, self.settings)
        reordered = self.settings.answer_reranked_sources
        wanted = reordered or self.settings.answer_rerank_extra > 0
        scores = self.sentence_scores(cache, topic) if wanted else None
        passages = top_passages(
            index, rerank(index, qlist, fused, self.settings, scores if reordered else None), k
        )
        extra: list[Passage] = []
        if scores is not None and not reordered and self.settings.answer_rerank_extra:
            # The answer-sentence stage's best passages, for sources() to add when the
            # first stage's best leave them out.
            extra = top_passages(
                index,
                rerank(index, qlist, fused, self.settings, scores),
                self.settings.answer_rerank_extra,
            )
        # Judged on the names left once the asker's own are set aside (in ``topic``
        # they are gone, so they could no longer be told apart there).
        kept = [n for n in names if n not in set_aside]
        signals = self.signals(cache, topic, qvec, passages, kept)
        return Assessment(tuple(names), set_aside, topic, qvec, passages, signals, tuple(extra))

    def sources(self, view: Assessment) -> list[Passage]:
        """The passages an answer draws on: the first stage's best, then those of the
        answer-sentence stage's best they leave out (``answer_rerank_extra``)."""
        chosen = list(view.passages[: self.settings.answer_source_passages])
        for p in view.extra:
            # A chunk overlapping a source still adds the sentences beyond the overlap;
            # those both hold are one near-duplicate, quoted once (kb.answers.compose).
            if p.chunk.id not in {c.chunk.id for c in chosen}:
                chosen.append(replace(p, rank=len(chosen) + 1))
        return chosen

    def signals(
        self,
        cache: BuildCache,
        query: str,
        qvec: np.ndarray,
        passages: list[Passage],
        names: Sequence[str] | None = None,
    ) -> Signals:
        """What the abstention decision rests on (see :mod:`kb.answers.abstain`).

        Only names of later laws and years count as unknown: a council, place or
        product the library never mentions says who is asking, not what about.
        """
        names = cache.coverage.unknown_terms(query) if names is None else names
        signals = Signals(
            self.closeness(cache, qvec, passages),
            tuple(n for n in names if not is_about_the_asker(n, query)),
            tuple(cache.coverage.unfamiliar_words(without_names(query, names))),
        )
        if (
            self.tools.embed_stock is not None
            and self.settings.abstain_stock_threshold > 0
            and not signals.unknown_names
            and self.should_abstain(signals)
        ):
            # Only a question about to be refused is read again (the stock model is
            # loaded on first need, so most questions never pay for it).
            try:
                stock = self.stock_closeness(cache, query, passages)
            except (OSError, ValueError) as exc:  # the stock model is gone or unreadable
                _log.warning("Could not read the question with the stock model: %s", exc)
            else:
                signals = replace(signals, stock_closeness=stock)
        return signals

    def should_abstain(self, signals: Signals) -> bool:
        s = self.settings
        return should_abstain(
            signals,
            s.abstain_threshold,
            s.abstain_unknown_threshold,
            s.abstain_unfamiliar_threshold,
            s.abstain_stock_threshold,
        )

    def closeness(self, cache: BuildCache, qvec: np.ndarray, passages: list[Passage]) -> float:
        """Mean of the best passage cosine and the best sentence cosine in the top passages.

        The sentence half keeps the signal steady when chunks grow (a longer
        chunk's vector is further from any one question); together they
        separated out-of-scope questions better than either alone.
        """
        top = passages[:CLOSENESS_PASSAGES]
        rows = [cache.row[p.chunk.id] for p in top if p.chunk.id in cache.row]
        if not rows:
            return 0.0
        sentences = self._closeness_sentences(cache, top)
        return closeness_of(
            cache.vectors[rows] @ qvec,
            cache.sentence_vectors(sentences) @ qvec if sentences else None,
        )

    def stock_closeness(self, cache: BuildCache, query: str, passages: list[Passage]) -> float:
        """:meth:`closeness` with every vector taken from the stock model."""
        assert self.tools.embed_stock is not None
        top = passages[:CLOSENESS_PASSAGES]
        if not top:
            return 0.0
        sentences = self._closeness_sentences(cache, top)
        chunks = [p.chunk.text for p in top]
        new = [t for t in dict.fromkeys(chunks + sentences) if t not in cache.stock]
        vectors = self.tools.embed_stock([query, *new])
        for text, v in zip(new, vectors[1:], strict=True):
            cache.stock[text] = unit(v)
        q = unit(vectors[0])
        return closeness_of(
            np.array([cache.stock[t] for t in chunks]) @ q,
            np.array([cache.stock[t] for t in sentences]) @ q if sentences else None,
        )

    def _closeness_sentences(self, cache: BuildCache, top: list[Passage]) -> list[str]:
        # A list names many things at once ("council tax, benefits, …"): closeness is
        # judged on whole sentences, as it was calibrated.
        return [s.text for p in top for s in self.sentences_of(cache, p) if s.kind == "sentence"]

    def candidates(self, cache: BuildCache, passages: list[Passage]) -> list[Candidate]:
        return [
            Candidate(p, s.text, s.start, s.end, i, s.parts)
            for p in passages
            for i, s in enumerate(self.sentences_of(cache, p))
        ]

    def compose_answer(
        self,
        question: str,
        cache: BuildCache,
        qvec: np.ndarray,
        passages: list[Passage],
        topic: str | None = None,
    ) -> Answer:
        """The lead sentence and its support, numbered by source and verified.

        ``qvec`` is the build model's vector of ``topic`` (the question as retrieved,
        by default the question); the answer-sentence model, when there is one,
        reads ``topic`` itself.
        """
        s = self.settings
        candidates = self.candidates(cache, passages)
        texts = [c.text for c in candidates]
        vectors = cache.answer_vectors
        aq = cache.answer_query(topic or question)
        aq = qvec if aq is None else aq
        weights = Scoring(
            s.answer_rank_prior,
            s.answer_context_weight,
            s.answer_lexical_weight,
            s.answer_support_margin,
            s.answer_type_bonus,
            s.answer_known_weight,
        )
        composition = compose(
            question,
            candidates,
            vectors(texts),
            aq,
            s.answer_words,
            weights,
            context_vectors=vectors(context_texts(candidates)) if weights.context else None,
            # Read in its section: a case study's name in the heading is shared by every
            # sentence under it, so the question's other words decide between them.
            lexical=cache.terms.overlap(
                question, [f"{c.passage.chunk.section_label} {c.text}" for c in candidates]
            )
            if weights.lexical
            else None,
            known=self.known(cache).closeness(qvec, texts) if weights.known else None,
        )
        answer = assemble(
            question, composition.chosen, composition.more, about=self.tools.case_about
        )
        answer.support = composition.best
        answer.partial = not answer.abstained and composition.best < s.answer_weak_lead
        return answer

    def abstention(
        self, question: str, passages: list[Passage], closeness: float, unknown: list[str]
    ) -> Answer:
        topics = nearest_topics(passages)
        text = "The documents in this library do not cover that question"
        later = [n for n in unknown if not is_about_the_asker(n, question)]
        if later:
            text += f" (they never mention {', '.join(later[:3])})"
        text += "."
        return Answer(question=question, text=text, abstained=True, topics=topics, score=closeness)

    def attach_extras(
        self,
        answer: Answer,
        cache: BuildCache,
        query: str,
        qvec: np.ndarray,
        passages: list[Passage],
    ) -> None:
        """Currency notices, case studies and checklist items for an answer.

        Notices are about what the answer says: its own quoted sentences and the
        question, not everything a cited passage happens to mention.
        ``query`` is the retrieval query: a follow-up read with the turns before it.
        """
        facts = load_currency(self.settings.corpus_dir / "currency.yaml")
        said = [(s.n, s.text) for s in answer.sentences] + [(0, answer.question)]
        answer.notices += facts.notices_for(said)
        for item in answer.more:
            # A "more" sentence's notice sits beside it: the answer's own notices stay
            # about what the answer says, and no quoted sentence goes without its caveat.
            own = facts.notices_for([(int(item.get("n", 0)), str(item["text"]))])
            if own:
                item["notices"] = own
        cited = [c.passage for c in answer.citations] or passages[:3]
        answer.checklist = self.checklist().related(qvec, cited, cache.sentence_vectors)
        answer.case_studies = self.case_studies(query)
        # "Which councils…?" is answered first by the councils that did it.
        answer.cases_first = bool(answer.case_studies) and question_type(answer.question) == "which"

    def case_studies(self, question: str) -> list[dict[str, Any]]:
        if self.tools.match_cases is None:
            return []
        out = []
        for match in self.tools.match_cases(question[-self.settings.max_question_chars :], k=3):
            if match.score < self.settings.answer_case_min_score:
                break  # best first: the rest fit even less
            out.append({"id": match.record.id, "title": match.record.title, "reason": match.reason})
        return out
