"""The passages an answer draws on: the first stage's best, and the answer-sentence
stage's best passage when those leave it out."""

from __future__ import annotations

from dataclasses import replace

from kb.api import KnowledgeBase
from kb.retrieval.search import hybrid_search

QUESTION = "How long does it take to set up a shared service?"


def _view(kb: KnowledgeBase, question: str = QUESTION):  # type: ignore[no-untyped-def]
    answerer = kb.answerer
    cache = answerer.build_cache(kb.index)
    return answerer, answerer.assess(cache, kb.index, question)


def test_the_assessment_carries_the_answer_sentence_stages_best_passage(kb: KnowledgeBase) -> None:
    answerer, view = _view(kb)
    cache = answerer.build_cache(kb.index)
    staged = hybrid_search(
        kb.index,
        view.topic,
        view.qvec.tolist(),
        kb.settings,
        1,
        sentence_scores=cache.sentence_scores(view.topic),
    )
    assert [p.chunk.id for p in view.extra] == [staged[0].chunk.id]
    # The first stage's order is kept for the sources and for the refusal decision.
    first = hybrid_search(kb.index, view.topic, view.qvec.tolist(), kb.settings, 10)
    assert [p.chunk.id for p in view.passages] == [p.chunk.id for p in first]


def test_a_passage_the_first_stage_left_out_is_added_after_its_best(kb: KnowledgeBase) -> None:
    answerer, view = _view(kb)
    n = kb.settings.answer_source_passages
    outside = view.passages[n]  # ranked just below the sources
    sources = answerer.sources(replace(view, extra=(outside,)))
    assert [p.chunk.id for p in sources] == [p.chunk.id for p in view.passages[:n]] + [
        outside.chunk.id
    ]
    assert [p.rank for p in sources] == list(range(1, n + 2))


def test_a_passage_already_among_the_sources_is_not_added_twice(kb: KnowledgeBase) -> None:
    answerer, view = _view(kb)
    n = kb.settings.answer_source_passages
    sources = answerer.sources(replace(view, extra=(view.passages[2],)))
    assert [p.chunk.id for p in sources] == [p.chunk.id for p in view.passages[:n]]


def test_none_is_added_when_turned_off(kb: KnowledgeBase) -> None:
    off = KnowledgeBase(kb.settings.model_copy(update={"answer_rerank_extra": 0}))
    answerer, view = _view(off)
    assert view.extra == ()
    assert answerer.sources(view) == view.passages[: kb.settings.answer_source_passages]


# Tune questions whose best sentence, by the answer-sentence model, is in a passage the
# first stage ranks below the sources (few are: usually it is among them already).
LEFT_OUT = (
    "What dimensions of change does CIPFA say make the move to shared services hard?",
    "What did the Gateway Reviews say about data and contingency planning?",
    "Who are the partners in SouthWest One and what services does it provide?",
    "How much did shared service partnerships save in 2018/19 alone?",
)


def test_an_answer_may_lead_with_the_added_passage(kb: KnowledgeBase) -> None:
    led = 0
    for question in LEFT_OUT:
        answerer, view = _view(kb, question)
        sources = answerer.sources(view)
        if len(sources) <= kb.settings.answer_source_passages:
            continue
        answer = kb.answer(question)
        cited = {c.n: c.passage.chunk.id for c in answer.citations}
        led += cited[answer.sentences[0].n] == sources[-1].chunk.id
    assert led >= 2
