"""The only module that talks to Chroma and the BM25 index on disk.

Each ingest writes a complete new *build* (Chroma collection, BM25 index,
chunk records, cleaned texts) and then switches a one-line ``CURRENT`` file
to it with an atomic rename, so readers never see a half-written index and a
failed or killed ingest leaves the previous build answering.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import chromadb
import chromadb.errors
import httpx
import numpy as np
import Stemmer
from chromadb.config import Settings as ChromaSettings
from llama_index.core.schema import BaseNode, MetadataMode, TextNode
from llama_index.core.vector_stores.types import VectorStoreQuery
from llama_index.retrievers.bm25 import BM25Retriever
from llama_index.vector_stores.chroma import ChromaVectorStore

from kb.models import Chunk, DocumentMeta, SearchFilters, Window
from kb.settings import Settings

# Metadata that BM25 and the embedding see besides the text: the document
# title and section path give a passage its context ("contextual headers").
# (Adding author and publisher was tried: dense retrieval got worse.)
EMBED_KEYS = ("title", "section")


class NoIndexError(Exception):
    """No build has been made yet."""


class StoreUnavailableError(RuntimeError):
    """The configured Chroma server cannot be reached; the message is for the user."""


@dataclass
class DocumentRecord:
    """A document as one build holds it."""

    meta: DocumentMeta
    source_hash: str
    chunk_ids: list[str]
    chars: int
    sections: list[dict[str, Any]]
    added_by: str = "manifest"  # manifest | upload

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["meta"] = self.meta.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DocumentRecord:
        return cls(**{**d, "meta": DocumentMeta(**d["meta"])})


def to_node(chunk: Chunk) -> TextNode:
    """A llama-index node whose embed text carries the title and section path."""
    meta = chunk.to_metadata()
    return TextNode(
        id_=chunk.id,
        text=chunk.text,
        metadata=meta,
        excluded_embed_metadata_keys=[k for k in meta if k not in EMBED_KEYS],
        excluded_llm_metadata_keys=[k for k in meta if k not in EMBED_KEYS],
    )


def embed_text(chunk: Chunk) -> str:
    return to_node(chunk).get_content(metadata_mode=MetadataMode.EMBED)


def chroma_client(settings: Settings, path: Path | None) -> Any:
    """Embedded Chroma in ``path``, or the configured Chroma server; telemetry off."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_host:
        try:
            return chromadb.HttpClient(
                host=settings.chroma_host,
                port=settings.chroma_port,
                ssl=settings.chroma_ssl,
                settings=chroma_settings,
            )
        except Exception as exc:  # chromadb raises ValueError or httpx errors here
            raise StoreUnavailableError(
                f"Cannot reach the Chroma server at {server_url(settings)}; is it running?"
            ) from exc
    assert path is not None
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


def server_url(settings: Settings) -> str:
    scheme = "https" if settings.chroma_ssl else "http"
    return f"{scheme}://{settings.chroma_host}:{settings.chroma_port}"


class IndexStore:
    """All builds under ``<data_dir>/index``; knows which one is current."""

    KEEP_BUILDS = 2

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = settings.index_dir
        self.builds = self.root / "builds"

    # -- which build is current -------------------------------------------------
    def current_id(self) -> str | None:
        try:
            build_id = (self.root / "CURRENT").read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return build_id if (self.builds / build_id / "build.json").exists() else None

    def open(self) -> Index:
        build_id = self.current_id()
        if not build_id:
            raise NoIndexError("No index yet: run `kb ingest` first.")
        return Index(self.settings, build_id, self.builds / build_id)

    def switch(self, build_id: str) -> None:
        tmp = self.root / f".CURRENT.{os.getpid()}"
        tmp.write_text(build_id, encoding="utf-8")
        os.replace(tmp, self.root / "CURRENT")  # atomic on POSIX

    def check(self) -> None:
        """Fail fast, before any embedding, when the Chroma server is down."""
        if self.settings.chroma_host:
            try:
                chroma_client(self.settings, None).heartbeat()
            except httpx.TransportError as exc:
                raise StoreUnavailableError(
                    f"Cannot reach the Chroma server at {server_url(self.settings)}; is it running?"
                ) from exc

    @contextmanager
    def lock(self) -> Iterator[None]:
        """One writer at a time across processes (Chroma is not multi-writer safe)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "ingest.lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def new_build(self) -> BuildWriter:
        build_id = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
        return BuildWriter(self.settings, build_id, self.builds / build_id)

    def prune(self) -> None:
        """Delete builds older than the current and previous one (and failed ones)."""
        if not self.builds.exists():
            return
        current = self.current_id()
        # Newest first by when each build was completed: ids share a second's
        # timestamp when builds come fast, and then sort by their random suffix.
        complete = sorted(
            (p for p in self.builds.iterdir() if (p / "build.json").exists()),
            key=lambda p: (p / "build.json").stat().st_mtime_ns,
            reverse=True,
        )
        keep = {current} | {p.name for p in complete[: self.KEEP_BUILDS]}
        for path in self.builds.iterdir():
            if path.name not in keep:
                if self.settings.chroma_host:
                    _drop_server_collection(self.settings, path.name)
                shutil.rmtree(path, ignore_errors=True)


def collection_name(settings: Settings, build_id: str) -> str:
    return f"{settings.collection_prefix}-{build_id}".replace("T", "t").lower()


def window_collection_name(settings: Settings, build_id: str) -> str:
    return collection_name(settings, build_id) + "-windows"


def _drop_server_collection(settings: Settings, build_id: str) -> None:
    client = chroma_client(settings, None)
    for name in (collection_name(settings, build_id), window_collection_name(settings, build_id)):
        try:
            client.delete_collection(name)
        except Exception:  # noqa: BLE001 - already gone, or server down: nothing to clean
            pass


class BuildWriter:
    """Writes one complete build into a fresh directory."""

    def __init__(self, settings: Settings, build_id: str, path: Path) -> None:
        self.settings = settings
        self.build_id = build_id
        self.path = path
        path.mkdir(parents=True)
        (path / "texts").mkdir()

    def write(
        self,
        documents: Sequence[DocumentRecord],
        chunks: Sequence[Chunk],
        embeddings: np.ndarray,
        texts: dict[str, str],
        info: dict[str, Any],
        artifacts: dict[str, Any] | None = None,
        windows: Sequence[Window] = (),
        window_embeddings: np.ndarray | None = None,
        batch: int = 2000,
    ) -> None:
        nodes: list[BaseNode] = [to_node(c) for c in chunks]
        for node, vector in zip(nodes, embeddings, strict=True):
            node.embedding = vector.tolist()
        client = chroma_client(self.settings, self.path / "chroma")
        collection = client.get_or_create_collection(
            collection_name(self.settings, self.build_id),
            metadata={"hnsw:space": "cosine"},
            embedding_function=None,
        )
        vector_store = ChromaVectorStore(chroma_collection=collection)
        for i in range(0, len(nodes), batch):
            vector_store.add(nodes[i : i + batch])
        if nodes:
            BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=10).persist(
                str(self.path / "bm25")
            )
        self._write_windows(client, windows, window_embeddings, batch)
        np.save(self.path / "embeddings.npy", embeddings.astype(np.float32))
        with open(self.path / "chunks.jsonl", "w", encoding="utf-8") as fh:
            for c in chunks:
                fh.write(json.dumps({"id": c.id, "text": c.text, **c.to_metadata()}) + "\n")
        for doc_id, text in texts.items():
            (self.path / "texts" / f"{doc_id}.txt").write_text(text, encoding="utf-8")
        for name, data in (artifacts or {}).items():
            (self.path / f"{name}.json").write_text(json.dumps(data, indent=1), encoding="utf-8")
        (self.path / "documents.json").write_text(
            json.dumps([d.to_dict() for d in documents], indent=1), encoding="utf-8"
        )
        # build.json last: its presence marks the build complete.
        (self.path / "build.json").write_text(
            json.dumps({**info, "build_id": self.build_id}, indent=1), encoding="utf-8"
        )

    def _write_windows(
        self, client: Any, windows: Sequence[Window], vectors: np.ndarray | None, batch: int
    ) -> None:
        collection = client.get_or_create_collection(
            window_collection_name(self.settings, self.build_id),
            metadata={"hnsw:space": "cosine"},
            embedding_function=None,
        )
        if windows and vectors is not None:
            # Only ids, vectors and the owning chunk: the chunk is what search returns.
            for i in range(0, len(windows), batch):
                part = windows[i : i + batch]
                collection.add(
                    ids=[f"w{j}" for j in range(i, i + len(part))],
                    embeddings=vectors[i : i + batch].astype(np.float32),
                    metadatas=[{"chunk_id": w.chunk_id} for w in part],
                )
        np.save(
            self.path / "windows.npy",
            (vectors if vectors is not None else np.zeros((0, 1))).astype(np.float32),
        )
        with open(self.path / "windows.jsonl", "w", encoding="utf-8") as fh:
            for w in windows:
                fh.write(json.dumps({"chunk_id": w.chunk_id, "text": w.text}) + "\n")


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
