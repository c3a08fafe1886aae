"""The retrieval and answer library: search, answers with citations, case studies, checklist.

Layers (each imports only the ones above it in this list):

- ``kb.core``: settings, the records that flow between stages, the index store,
  the embedder and the text helpers; ``ingest`` writes through it, the rest reads.
- ``kb.retrieval``, ``kb.answers``, ``kb.cases``, ``kb.checklist``, ``kb.workspace``,
  ``kb.tuning``: the library's jobs, composed by :class:`kb.api.KnowledgeBase`.
- ``eval``, ``app``, ``cli`` and ``bench`` sit on top (tests/test_layers.py checks).

The public API is this module's ``__all__``. Names are loaded on first use, so that
``ingest`` importing ``kb.core`` does not load the whole library.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kb.api import KnowledgeBase, QueryError
    from kb.cases.matching import CaseMatch
    from kb.core.records import CaseRecord, Chunk, DocumentMeta, Saving, SearchFilters
    from kb.core.results import Answer, Citation, Passage
    from kb.core.settings import Settings, get_settings
    from kb.core.store import NoIndexError

__all__ = [
    "Answer",
    "CaseMatch",
    "CaseRecord",
    "Chunk",
    "Citation",
    "DocumentMeta",
    "KnowledgeBase",
    "NoIndexError",
    "Passage",
    "QueryError",
    "Saving",
    "SearchFilters",
    "Settings",
    "get_settings",
    "match_cases",
    "search",
    "shared_knowledge_base",
]

_HOMES = {
    "KnowledgeBase": "kb.api",
    "QueryError": "kb.api",
    "CaseMatch": "kb.cases.matching",
    "CaseRecord": "kb.core.records",
    "Chunk": "kb.core.records",
    "DocumentMeta": "kb.core.records",
    "Saving": "kb.core.records",
    "SearchFilters": "kb.core.records",
    "Answer": "kb.core.results",
    "Citation": "kb.core.results",
    "Passage": "kb.core.results",
    "Settings": "kb.core.settings",
    "get_settings": "kb.core.settings",
    "NoIndexError": "kb.core.store",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'kb' has no attribute {name!r}")


_default: KnowledgeBase | None = None


def shared_knowledge_base() -> KnowledgeBase:
    """The process-wide knowledge base (the one :func:`search` and :func:`match_cases` use)."""
    global _default
    if _default is None:
        from kb.api import KnowledgeBase

        _default = KnowledgeBase()
    return _default


def search(query: str, k: int = 10, filters: SearchFilters | None = None) -> list[Passage]:
    """Search the current index with the process-wide settings."""
    return shared_knowledge_base().search(query, k=k, filters=filters)


def match_cases(text_or_profile: Any, k: int = 5) -> list[CaseMatch]:
    """Case studies that best fit a question or situation, best first, each with a reason.

    ``text_or_profile`` is a question ("two districts want to share revenues and
    benefits") or a dict such as ``{"services": [...], "council_types": [...],
    "model": ..., "text": ...}``. Uses the process-wide knowledge base.
    """
    return list(shared_knowledge_base().match_cases(text_or_profile, k=k))
