"""The retrieval layer: search, answers with citations, case studies, checklist."""

from __future__ import annotations

from kb.api import KnowledgeBase, QueryError
from kb.models import Chunk, DocumentMeta, Passage, SearchFilters
from kb.settings import Settings, get_settings
from kb.store import NoIndexError

__all__ = [
    "Chunk",
    "DocumentMeta",
    "KnowledgeBase",
    "NoIndexError",
    "Passage",
    "QueryError",
    "SearchFilters",
    "Settings",
    "get_settings",
    "search",
]

_default: KnowledgeBase | None = None


def search(query: str, k: int = 10, filters: SearchFilters | None = None) -> list[Passage]:
    """Search the current index with the process-wide settings."""
    global _default
    if _default is None:
        _default = KnowledgeBase()
    return _default.search(query, k=k, filters=filters)
