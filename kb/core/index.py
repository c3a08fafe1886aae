"""A read-only view of one complete build: its chunks, vectors and BM25 index."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import chromadb
import chromadb.errors
import httpx
import numpy as np
import Stemmer
from llama_index.core.vector_stores.types import VectorStoreQuery
from llama_index.retrievers.bm25 import BM25Retriever
from llama_index.vector_stores.chroma import ChromaVectorStore

from kb.core.backend import (
    DocumentRecord,
    StoreUnavailableError,
    chroma_client,
    collection_name,
    server_url,
    window_collection_name,
)
from kb.core.records import Chunk, SearchFilters, Window
from kb.core.settings import Settings


class Index:
    """A read-only view of one complete build."""

    def __init__(self, settings: Settings, build_id: str, path: Path) -> None:
        self.settings = settings
        self.build_id = build_id
        self.path = path
        self.info: dict[str, Any] = json.loads((path / "build.json").read_text("utf-8"))
        self.documents: dict[str, DocumentRecord] = {
            d["meta"]["id"]: DocumentRecord.from_dict(d)
            for d in json.loads((path / "documents.json").read_text("utf-8"))
        }
        self.chunks: dict[str, Chunk] = {}
        self.order: list[str] = []
        with open(path / "chunks.jsonl", encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                chunk = Chunk.from_metadata(row["id"], row["text"], row)
                self.chunks[chunk.id] = chunk
                self.order.append(chunk.id)
        self._vector_store: ChromaVectorStore | None = None
        self._window_collection: Any = None
        self._window_count = 0
        self._bm25: BM25Retriever | None = None
        self._open_lock = threading.Lock()  # one Index is shared by all request threads
        self._vectors: tuple[np.ndarray, dict[str, int], np.ndarray, dict[str, range]] | None = None

    # -- the verbs search needs ---------------------------------------------------
    @property
    def vector_store(self) -> ChromaVectorStore:
        with self._open_lock:
            if self._vector_store is None:
                collection = self._collection(collection_name(self.settings, self.build_id))
                self._vector_store = ChromaVectorStore(chroma_collection=collection)
            return self._vector_store

    def _collection(self, name: str) -> Any:
        client = chroma_client(self.settings, self.path / "chroma")
        try:
            return client.get_collection(name, embedding_function=None)
        except chromadb.errors.NotFoundError as exc:
            where = server_url(self.settings) if self.settings.chroma_host else "disk"
            raise StoreUnavailableError(
                f"The index's vectors (collection {name}) are missing from {where}; "
                "ingest again into an empty data directory."
            ) from exc

    @property
    def window_collection(self) -> Any:
        with self._open_lock:
            if self._window_collection is None:
                self._window_collection = self._collection(
                    window_collection_name(self.settings, self.build_id)
                )
                # A build never changes, so its size is asked for once, not per query.
                self._window_count = self._window_collection.count()
            return self._window_collection

    @property
    def bm25(self) -> BM25Retriever:
        with self._open_lock:
            if self._bm25 is None:
                self._bm25 = BM25Retriever.from_persist_dir(str(self.path / "bm25"))
            return self._bm25

    def allowed_ids(self, filters: SearchFilters) -> list[str] | None:
        if filters.empty:
            return None
        section = (filters.section or "").lower()
        return [
            cid
            for cid in self.order
            if (not filters.doc_ids or self.chunks[cid].doc_id in filters.doc_ids)
            and (not filters.kinds or self.chunks[cid].kind in filters.kinds)
            and (not section or section in self.chunks[cid].section_label.lower())
        ]

    def dense_search(
        self, embedding: list[float], n: int, allowed: list[str] | None = None
    ) -> list[tuple[str, float]]:
        if not self.chunks or allowed == []:
            return []
        kwargs: dict[str, Any] = {"ids": allowed} if allowed is not None else {}
        n = min(n, len(allowed) if allowed is not None else len(self.chunks))
        try:
            result = self.vector_store.query(
                VectorStoreQuery(query_embedding=embedding, similarity_top_k=n), **kwargs
            )
        except httpx.TransportError as exc:  # the server went away after we connected
            raise StoreUnavailableError(
                f"Lost the Chroma server at {server_url(self.settings)}; is it running?"
            ) from exc
        return list(zip(result.ids or [], result.similarities or [], strict=True))

    def window_search(
        self, embedding: list[float], n: int, allowed: list[str] | None = None
    ) -> dict[str, float]:
        """Each chunk's best window similarity among the ``n`` nearest windows."""
        if not self.chunks or allowed == [] or not (self.path / "windows.jsonl").exists():
            return {}  # (a build from before windows: chunk vectors alone)
        where = {"chunk_id": {"$in": allowed}} if allowed is not None else None
        try:
            collection = self.window_collection
            n = min(n, self._window_count)
            if n == 0:
                return {}
            result = collection.query(
                query_embeddings=[embedding],
                n_results=n,
                where=where,
                include=["metadatas", "distances"],
            )
        except httpx.TransportError as exc:
            raise StoreUnavailableError(
                f"Lost the Chroma server at {server_url(self.settings)}; is it running?"
            ) from exc
        best: dict[str, float] = {}
        for meta, distance in zip(result["metadatas"][0], result["distances"][0], strict=True):
            cid, sim = str(meta["chunk_id"]), 1.0 - float(distance)
            if sim > best.get(cid, -2.0):
                best[cid] = sim
        return best

    def bm25_search(
        self, query: str, n: int, allowed: list[str] | None = None
    ) -> list[tuple[str, float]]:
        if not self.chunks or allowed == []:
            return []
        base = self.bm25
        n = min(n, len(self.chunks))
        mask = None
        if allowed is not None:
            keep = set(allowed)
            mask = [int(row["node_id"] in keep) for row in base.corpus]
        # A retriever per call over the shared index: top-k and the mask are
        # per query, and PyStemmer stemmers are not thread-safe, so none is shared.
        retriever = BM25Retriever(
            existing_bm25=base.bm25,
            similarity_top_k=n,
            corpus_weight_mask=mask,
            stemmer=Stemmer.Stemmer("english"),
            skip_stemming=base.skip_stemming,
            token_pattern=base.token_pattern,
        )
        from llama_index.core.schema import QueryBundle

        hits = retriever._retrieve(QueryBundle(query))  # noqa: SLF001 - skips callback overhead
        return [(h.node.node_id, float(h.score or 0.0)) for h in hits if (h.score or 0) > 0]

    def _stored_vectors(self) -> tuple[np.ndarray, dict[str, int], np.ndarray, dict[str, range]]:
        """Chunk and window vectors, memory-mapped: the second stage reads a few rows a query."""
        with self._open_lock:
            if self._vectors is None:
                chunks = np.load(self.path / "embeddings.npy", mmap_mode="r")
                row_of = {cid: i for i, cid in enumerate(self.order)}
                windows = np.zeros((0, chunks.shape[1] if chunks.ndim == 2 else 1), np.float32)
                spans: dict[str, range] = {}
                if (self.path / "windows.jsonl").exists():
                    windows = np.load(self.path / "windows.npy", mmap_mode="r")
                    with open(self.path / "windows.jsonl", encoding="utf-8") as fh:
                        owners = [json.loads(line)["chunk_id"] for line in fh]
                    # A chunk's windows are written next to each other, in order.
                    start = 0
                    for i in range(1, len(owners) + 1):
                        if i == len(owners) or owners[i] != owners[start]:
                            spans[owners[start]] = range(start, i)
                            start = i
                self._vectors = (chunks, row_of, windows, spans)
            return self._vectors

    def chunk_similarities(self, chunk_ids: Sequence[str], query: np.ndarray) -> np.ndarray:
        """Cosine of a unit query vector with each chunk's own vector."""
        chunks, row_of, _, _ = self._stored_vectors()
        rows = np.asarray(chunks[[row_of[c] for c in chunk_ids]], dtype=np.float32)
        return (rows @ query) / np.maximum(np.linalg.norm(rows, axis=1), 1e-9)

    def best_window_similarities(self, chunk_ids: Sequence[str], query: np.ndarray) -> np.ndarray:
        """Cosine of a unit query vector with each chunk's best sentence window.

        A chunk without windows (a build from before them) counts its own vector.
        """
        _, _, windows, spans = self._stored_vectors()
        own = self.chunk_similarities(chunk_ids, query)
        best = own.copy()
        for i, cid in enumerate(chunk_ids):
            span = spans.get(cid)
            if span:
                rows = np.asarray(windows[span.start : span.stop], dtype=np.float32)
                sims = (rows @ query) / np.maximum(np.linalg.norm(rows, axis=1), 1e-9)
                best[i] = float(sims.max())
        return best

    def artifact(self, name: str) -> Any:
        """A JSON artifact written by an ingest stage (e.g. ``cases``); None if absent."""
        path = self.path / f"{name}.json"
        return json.loads(path.read_text("utf-8")) if path.exists() else None

    def document_text(self, doc_id: str) -> str:
        return (self.path / "texts" / f"{doc_id}.txt").read_text(encoding="utf-8")

    def embeddings(self) -> np.ndarray:
        return np.load(self.path / "embeddings.npy")

    def windows_of(self, chunk_ids: Sequence[str]) -> tuple[list[Window], np.ndarray]:
        """The windows of these chunks and their vectors, for reuse by the next build."""
        wanted = set(chunk_ids)
        rows: list[int] = []
        windows: list[Window] = []
        if not (self.path / "windows.jsonl").exists():  # a build from before windows
            return windows, np.zeros((0, 1), np.float32)
        with open(self.path / "windows.jsonl", encoding="utf-8") as fh:
            for i, line in enumerate(fh):
                row = json.loads(line)
                if row["chunk_id"] in wanted:
                    rows.append(i)
                    windows.append(Window(row["chunk_id"], row["text"]))
        vectors = np.load(self.path / "windows.npy")
        return windows, vectors[rows] if rows else np.zeros((0, vectors.shape[1]), np.float32)
