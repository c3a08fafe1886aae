"""Hybrid search: dense (Chroma) and BM25 candidates fused by reciprocal rank."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kb.core.records import Chunk, SearchFilters
from kb.core.results import Passage
from kb.core.settings import Settings
from kb.core.store import Index
from kb.retrieval.focus import question_focus
from kb.retrieval.rerank import SentenceScores, rerank

MODES = ("hybrid", "dense", "bm25")


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[str]], weights: Sequence[float], k: int
) -> list[tuple[str, float]]:
    """Weighted RRF (Cormack et al. 2009).

    llama-index's QueryFusionRetriever fixes k at 60 and ignores weights in
    this mode; we tune both on the gold set, hence these few lines.
    """
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank + 1)
    return sorted(scores.items(), key=lambda kv: kv[1], reverse=True)


def dense_ranking(
    index: Index, embedding: list[float], n: int, allowed: list[str] | None, window_weight: float
) -> list[str]:
    """Chunks by a mix of their own similarity and their best sentence window's.

    A chunk missing from one of the two candidate lists gets that list's lowest
    similarity, an upper bound of its true value.
    """
    chunks = dict(index.dense_search(embedding, n, allowed))
    if window_weight <= 0 or not chunks:
        return list(chunks)
    windows = index.window_search(embedding, n * 4, allowed)
    chunk_floor = min(chunks.values())
    window_floor = min(windows.values(), default=chunk_floor)
    scores = {
        cid: window_weight * windows.get(cid, window_floor)
        + (1 - window_weight) * chunks.get(cid, chunk_floor)
        for cid in chunks.keys() | windows.keys()
    }
    return sorted(scores, key=lambda cid: scores[cid], reverse=True)[:n]


def _overlaps(a: Chunk, b: Chunk) -> bool:
    """Whether two chunks share text (overlapping chunks of one document)."""
    return a.doc_id == b.doc_id and a.start < b.end and b.start < a.end


@dataclass(frozen=True)
class SearchQuery:
    """What the first stage searches with: the text (BM25), its embedding (dense), how
    many passages are wanted, the filters, the mode, and the asking part's embedding."""

    text: str
    embedding: list[float] | None
    k: int
    filters: SearchFilters | None = None
    mode: str = "hybrid"
    focus_embedding: list[float] | None = None


def fused_candidates(index: Index, q: SearchQuery, settings: Settings) -> list[tuple[str, float]]:
    """The first stage: chunk ids by their weighted RRF score, best first."""
    allowed = index.allowed_ids(q.filters or SearchFilters())
    n = max(settings.candidates, q.k * 3)
    rankings: list[list[str]] = []
    weights: list[float] = []
    if q.mode in ("hybrid", "dense") and q.embedding is not None:
        rankings.append(dense_ranking(index, q.embedding, n, allowed, settings.window_weight))
        weights.append(settings.dense_weight)
        if q.focus_embedding is not None and settings.focus_weight > 0:
            rankings.append(
                dense_ranking(index, q.focus_embedding, n, allowed, settings.window_weight)
            )
            weights.append(settings.focus_weight)
    if q.mode in ("hybrid", "bm25"):
        rankings.append([cid for cid, _ in index.bm25_search(q.text, n, allowed)])
        weights.append(settings.bm25_weight)
    return reciprocal_rank_fusion(rankings, weights, settings.rrf_k)


def top_passages(index: Index, ranked: Sequence[tuple[str, float]], k: int) -> list[Passage]:
    """The first ``k`` of ``ranked`` as passages; a chunk overlapping one before is skipped."""
    passages: list[Passage] = []
    for cid, score in ranked:
        chunk = index.chunks.get(cid)
        if chunk is None or any(_overlaps(chunk, p.chunk) for p in passages):
            continue
        passages.append(Passage(chunk, score, len(passages) + 1))
        if len(passages) == k:
            break
    return passages


def hybrid_search(
    index: Index,
    query: str,
    query_embedding: list[float] | None,
    settings: Settings,
    k: int,
    filters: SearchFilters | None = None,
    mode: str = "hybrid",
    focus_embedding: list[float] | None = None,
    sentence_scores: SentenceScores | None = None,
) -> list[Passage]:
    """Top ``k`` passages; overlapping chunks of one section are returned once.

    ``focus_embedding`` embeds the asking part of a question that tells a situation
    first (:func:`kb.retrieval.focus.question_focus`); it adds one dense ranking.
    ``sentence_scores`` scores candidates by their best sentence under the
    answer-sentence model, for the second stage (:mod:`kb.retrieval.rerank`).
    """
    q = SearchQuery(query, query_embedding, k, filters, mode, focus_embedding)
    fused = fused_candidates(index, q, settings)
    if mode == "hybrid" and query_embedding is not None:
        fused = rerank(index, query_embedding, fused, settings, sentence_scores)
    return top_passages(index, fused, k)


def focus_vector(
    query: str, settings: Settings, embed: Callable[[str], list[float]]
) -> list[float] | None:
    """The embedding of the query's asking part when search will use it, else None."""
    if settings.focus_weight <= 0:
        return None
    focus = question_focus(query)
    return embed(focus) if focus else None
