"""The second stage: re-order the first stage's best candidates by their best sentences.

A chunk's vector blurs its several points together; an officer's question is
usually about one of them. The top candidates of the hybrid first stage are
scored again by the question's cosine with each candidate's best sentence window
and with the chunk itself (vectors already in the build, so no model call), and
that is mixed with the first stage's fused score. The weights are chosen on the
``tune`` split by ``eval/tune_retrieval.py``.

When the build has an answer-sentence model (kb/tuning/answer_sentences.py), each
candidate's best quotable sentence under that model is a third signal
(``sentence_scores``, handed in by whoever owns the model's vectors). That model
learnt from tune's questions which *sentence* holds the answer, so it tells apart
passages whose vectors look alike to the build's model (eval/tune_rerank.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from kb.core.settings import Settings
from kb.core.store import Index

__all__ = ["SentenceScores", "rerank"]

# Chunk ids -> how close each one's best sentence is to the question (cosines).
SentenceScores = Callable[[Sequence[str]], np.ndarray]


def rerank(
    index: Index,
    query_embedding: Sequence[float],
    fused: Sequence[tuple[str, float]],
    settings: Settings,
    sentence_scores: SentenceScores | None = None,
) -> list[tuple[str, float]]:
    """``fused`` (best first) with its first ``settings.rerank_candidates`` re-ordered."""
    n = min(settings.rerank_candidates, len(fused))
    answer_weight = settings.rerank_answer_weight if sentence_scores is not None else 0.0
    weights = (settings.rerank_sentence_weight, settings.rerank_chunk_weight, answer_weight)
    if n < 2 or max(weights) <= 0:
        return list(fused)
    ids = [cid for cid, _ in fused[:n]]
    query = np.asarray(query_embedding, dtype=np.float32)
    query /= np.linalg.norm(query) or 1.0
    first = np.asarray([score for _, score in fused[:n]], dtype=np.float32)
    first /= first.max() or 1.0
    scores = (
        settings.rerank_fusion_weight * first
        + settings.rerank_chunk_weight * index.chunk_similarities(ids, query)
        + settings.rerank_sentence_weight * index.best_window_similarities(ids, query)
    )
    if sentence_scores is not None and answer_weight > 0:
        scores = scores + answer_weight * np.asarray(sentence_scores(ids), dtype=np.float32)
    order = np.argsort(-scores, kind="stable")
    return [(ids[i], float(scores[i])) for i in order] + list(fused[n:])
