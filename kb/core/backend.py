"""The storage backend: the Chroma client, collection names, and what a build records.

Below :mod:`kb.core.index` (reading a build) and :mod:`kb.core.store` (writing and
switching builds); the only code that opens a Chroma client.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import chromadb
import chromadb.errors
from chromadb.config import Settings as ChromaSettings
from llama_index.core.schema import MetadataMode, TextNode

from kb.core.records import Chunk, DocumentMeta
from kb.core.settings import Settings

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


def collection_name(settings: Settings, build_id: str) -> str:
    return f"{settings.collection_prefix}-{build_id}".replace("T", "t").lower()


def window_collection_name(settings: Settings, build_id: str) -> str:
    return collection_name(settings, build_id) + "-windows"
