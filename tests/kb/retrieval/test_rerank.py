"""The second stage: re-ordering the first stage's best candidates by their best sentences."""

from __future__ import annotations

import numpy as np
import pytest

from kb.api import KnowledgeBase
from kb.retrieval.rerank import rerank
from kb.retrieval.search import hybrid_search


def _fused(kb: KnowledgeBase, query: str) -> list[tuple[str, float]]:
    ids = list(kb.index.chunks)[:40]
    return [(cid, 1.0 / (10 + i)) for i, cid in enumerate(ids)]


def test_weights_of_zero_leave_the_first_stage_alone(kb: KnowledgeBase) -> None:
    settings = kb.settings.model_copy(
        update={"rerank_chunk_weight": 0.0, "rerank_sentence_weight": 0.0}
    )
    fused = _fused(kb, "x")
    assert rerank(kb.index, kb.embed_query("joint committee"), fused, settings) == fused


def test_only_the_top_candidates_are_reordered(kb: KnowledgeBase) -> None:
    settings = kb.settings.model_copy(
        update={"rerank_candidates": 10, "rerank_fusion_weight": 0.0, "rerank_sentence_weight": 1.0}
    )
    fused = _fused(kb, "x")
    out = rerank(kb.index, kb.embed_query("waste collection contract"), fused, settings)
    assert {c for c, _ in out[:10]} == {c for c, _ in fused[:10]}
    assert out[10:] == fused[10:]
    scores = [s for _, s in out[:10]]
    assert scores == sorted(scores, reverse=True)


def test_a_chunk_scores_by_its_best_sentence_window(kb: KnowledgeBase) -> None:
    """A question that is one window's own text finds that window at cosine ~1."""
    import json

    lines = (kb.index.path / "windows.jsonl").read_text(encoding="utf-8").splitlines()
    window = json.loads(lines[len(lines) // 2])
    query = np.asarray(kb.embedder.get_text_embedding(window["text"]), np.float32)
    query /= np.linalg.norm(query)
    others = [c for c in list(kb.index.chunks)[:20] if c != window["chunk_id"]]
    best = kb.index.best_window_similarities([window["chunk_id"], *others], query)
    own = kb.index.chunk_similarities([window["chunk_id"]], query)
    assert best[0] > 0.99 and best[0] > own[0]
    assert np.all(best[1:] < best[0]) and np.all(np.abs(best) <= 1.0 + 1e-5)


def test_sentence_weight_brings_the_passage_with_the_matching_sentence_up(
    kb: KnowledgeBase,
) -> None:
    """A passage whose one sentence answers the question rises when sentences count."""
    question = "What does the guide say about sharing a chief executive between two councils?"
    vec = kb.embed_query(question)
    plain = kb.settings.model_copy(
        update={"rerank_sentence_weight": 0.0, "rerank_chunk_weight": 0.0}
    )
    strong = kb.settings.model_copy(update={"rerank_sentence_weight": 4.0})
    first = hybrid_search(kb.index, question, vec, plain, 10)
    second = hybrid_search(kb.index, question, vec, strong, 10)
    assert {p.chunk.id for p in second} <= {p.chunk.id for p in first} | {
        p.chunk.id for p in hybrid_search(kb.index, question, vec, plain, 30)
    }
    q = np.asarray(vec, np.float32) / np.linalg.norm(vec)
    top_best = kb.index.best_window_similarities([second[0].chunk.id], q)[0]
    assert top_best >= kb.index.best_window_similarities([first[0].chunk.id], q)[0] - 1e-6


def test_answer_sentence_scores_are_each_chunks_best_quotable_sentence(kb: KnowledgeBase) -> None:
    cache = kb.answerer.build_cache(kb.index)
    question = "Can two councils share a chief executive?"
    scores = cache.sentence_scores(question)
    assert scores is not None  # the session's build has an answer-sentence model
    aq = cache.answer_query(question)
    chunks = list(kb.index.chunks.values())
    bare = next(c for c in chunks if not cache.sentences_of(c))
    some = [c for c in chunks if cache.sentences_of(c)][:5]
    got = scores([c.id for c in [*some, bare]])
    for chunk, value in zip([*some, bare], got, strict=True):
        texts = [s.text for s in cache.sentences_of(chunk)] or [chunk.text]
        assert value == pytest.approx(float((cache.answer_vectors(texts) @ aq).max()), abs=1e-5)


def test_the_answer_weight_counts_only_with_scores_and_not_at_zero(kb: KnowledgeBase) -> None:
    fused = _fused(kb, "x")
    vec = kb.embed_query("shared waste contract")
    off = {"rerank_chunk_weight": 0.0, "rerank_sentence_weight": 0.0}
    ids = [c for c, _ in fused[:10]]
    made_up = {cid: float(i) / 10 for i, cid in enumerate(ids)}  # last is best

    def scores(chunk_ids):
        return np.array([made_up.get(c, 0.0) for c in chunk_ids])

    on = kb.settings.model_copy(update={**off, "rerank_candidates": 10})
    assert rerank(kb.index, vec, fused, on, None) == fused
    zero = on.model_copy(update={"rerank_answer_weight": 0.0})
    assert rerank(kb.index, vec, fused, zero, scores) == fused
    out = rerank(kb.index, vec, fused, on.model_copy(update={"rerank_answer_weight": 3.0}), scores)
    assert out[0][0] == ids[-1] and out[10:] == fused[10:]


def test_the_answer_sentence_model_brings_the_passage_that_answers_up(kb: KnowledgeBase) -> None:
    """BM25 alone fills the top with Teckal passages ("set up" a company); East Kent's
    lesson on how long it takes is found by its sentence."""
    question = "How long does it take to set up a shared service?"
    said = "can take a significant amount of time"
    plain = KnowledgeBase(kb.settings.model_copy(update={"rerank_answer_weight": 0.0}))

    def rank(base: KnowledgeBase) -> int:
        found = [p.rank for p in base.search(question, k=10) if said in p.chunk.text]
        return found[0] if found else 99

    assert rank(kb) == 1 < rank(plain)
    # Answers take their sources in the first stage's order unless told otherwise.
    reordered = KnowledgeBase(kb.settings.model_copy(update={"answer_reranked_sources": True}))
    answer = reordered.answer(question)
    assert not answer.abstained and said in answer.sentences[0].text
