"""The second stage: re-ordering the first stage's best candidates by their best sentences."""

from __future__ import annotations

import numpy as np

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
