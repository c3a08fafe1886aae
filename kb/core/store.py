"""Writing and switching builds; the one door readers open a build through.

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
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from llama_index.core.schema import BaseNode
from llama_index.retrievers.bm25 import BM25Retriever
from llama_index.vector_stores.chroma import ChromaVectorStore

from kb.core.backend import (
    EMBED_KEYS,
    DocumentRecord,
    NoIndexError,
    StoreUnavailableError,
    chroma_client,
    collection_name,
    embed_text,
    server_url,
    to_node,
    window_collection_name,
)
from kb.core.index import Index
from kb.core.records import Chunk, Window
from kb.core.settings import Settings

# Readers import these from here: the store is the one door to a build.
__all__ = [
    "EMBED_KEYS",
    "BuildWriter",
    "DocumentRecord",
    "Index",
    "IndexStore",
    "NoIndexError",
    "StoreUnavailableError",
    "chroma_client",
    "collection_name",
    "embed_text",
    "server_url",
    "to_node",
    "window_collection_name",
]


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
        expansions: dict[str, list[str]] | None = None,
    ) -> None:
        """Write a complete build; ``expansions`` add known questions to chunks' BM25 text."""
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
            # Chroma has the nodes as they are; only BM25 reads the expanded text.
            bm25_nodes: list[BaseNode] = [to_node(c) for c in chunks]
            for node in bm25_nodes:
                known = (expansions or {}).get(node.node_id)
                if known:
                    node.set_content(f"{node.get_content()}\n\n" + "\n".join(known))
            BM25Retriever.from_defaults(nodes=bm25_nodes, similarity_top_k=10).persist(
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
