"""The retrieval layer: search, answers with citations, case studies, checklist."""

from __future__ import annotations

from kb.api import KnowledgeBase, QueryError
from kb.cases import CaseMatch, match_cases
from kb.models import (
    Answer,
    CaseRecord,
    Chunk,
    Citation,
    DocumentMeta,
    Passage,
    Saving,
    SearchFilters,
)
from kb.settings import Settings, get_settings
from kb.store import NoIndexError

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

_default: KnowledgeBase | None = None


def search(query: str, k: int = 10, filters: SearchFilters | None = None) -> list[Passage]:
    """Search the current index with the process-wide settings."""
    global _default
    if _default is None:
        _default = KnowledgeBase()
    return _default.search(query, k=k, filters=filters)


def shared_knowledge_base() -> KnowledgeBase:
    """The process-wide knowledge base (the one :func:`search` and :func:`match_cases` use)."""
    global _default
    if _default is None:
        _default = KnowledgeBase()
    return _default
