"""The knowledge base: the one Python API the CLI, the app and evaluation share."""

from __future__ import annotations

import threading
from typing import Any

from kb.models import Passage, SearchFilters
from kb.search import MODES, hybrid_search
from kb.settings import Settings, get_settings
from kb.store import Index, IndexStore


class QueryError(ValueError):
    """A query the knowledge base cannot take; the message is for the user."""


class KnowledgeBase:
    """Search over the current build; reopens by itself after an ingest."""

    def __init__(
        self,
        settings: Settings | None = None,
        store: IndexStore | None = None,
        embedder: Any | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self.store = store or IndexStore(self.settings)
        self._embedder = embedder
        self._index: Index | None = None
        self._lock = threading.Lock()

    @property
    def embedder(self) -> Any:
        if self._embedder is None:
            from kb.embedder import embedder_for

            self._embedder = embedder_for(self.settings)
        return self._embedder

    @property
    def index(self) -> Index:
        """The current build, reopened when an ingest has switched to a new one."""
        current = self.store.current_id()
        with self._lock:
            if self._index is None or (current and current != self._index.build_id):
                self._index = self.store.open()
            return self._index

    def clean_query(self, query: str) -> str:
        text = "".join(ch if ch.isprintable() else " " for ch in (query or "")).strip()
        if not text:
            raise QueryError("Please type a question.")
        if len(text) > self.settings.max_question_chars:
            raise QueryError(
                f"That question is {len(text):,} characters long; please keep it under "
                f"{self.settings.max_question_chars:,}."
            )
        return " ".join(text.split())

    def embed_query(self, query: str) -> list[float]:
        return list(self.embedder.get_query_embedding(query))

    def search(
        self,
        query: str,
        k: int | None = None,
        filters: SearchFilters | None = None,
        mode: str = "hybrid",
    ) -> list[Passage]:
        """Passages for a query, best first.

        Args:
            query: the question or keywords.
            k: how many passages (default ``settings.top_k``).
            filters: restrict to documents, kinds or a section.
            mode: ``hybrid`` (default), ``dense`` or ``bm25``.
        """
        if mode not in MODES:
            raise QueryError(f"Unknown search mode {mode!r}; use one of {', '.join(MODES)}.")
        k = k or self.settings.top_k
        if k < 1 or k > 100:
            raise QueryError("k must be between 1 and 100.")
        query = self.clean_query(query)
        index = self.index
        embedding = self.embed_query(query) if mode != "bm25" else None
        return hybrid_search(index, query, embedding, self.settings, k, filters, mode)

    def stats(self) -> dict[str, Any]:
        index = self.index
        return {
            "build_id": index.build_id,
            "indexed_at": index.info.get("created"),
            "model": index.info.get("embed_model"),
            "documents": len(index.documents),
            "chunks": len(index.chunks),
            "by_document": {d: len(r.chunk_ids) for d, r in index.documents.items()},
            "chroma": self.settings.chroma_host or str(index.path / "chroma"),
        }
