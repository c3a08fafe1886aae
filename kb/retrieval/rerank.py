"""The second stage: re-order the first stage's best candidates by their best sentences.

A chunk's vector blurs its several points together; an officer's question is
usually about one of them. The top candidates of the hybrid first stage are
scored again by the question's cosine with each candidate's best sentence window
and with the chunk itself (vectors already in the build, so no model call), and
that is mixed with the first stage's fused score. The weights are chosen on the
``tune`` split by ``eval/tune_retrieval.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from kb.core.settings import Settings
from kb.core.store import Index

__all__ = ["rerank"]


def rerank(
    index: Index,
    query_embedding: Sequence[float],
    fused: Sequence[tuple[str, float]],
    settings: Settings,
) -> list[tuple[str, float]]:
    """``fused`` (best first) with its first ``settings.rerank_candidates`` re-ordered."""
    n = min(settings.rerank_candidates, len(fused))
    if n < 2 or (settings.rerank_sentence_weight <= 0 and settings.rerank_chunk_weight <= 0):
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
    order = np.argsort(-scores, kind="stable")
    return [(ids[i], float(scores[i])) for i in order] + list(fused[n:])
