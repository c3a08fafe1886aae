"""Read the corpus manifest: which documents exist, with what metadata."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from ingest.errors import IngestError
from kb.core.records import DocumentMeta

KINDS = ("guide", "article", "report", "note")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,80}$")
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def read_manifest(path: Path) -> list[DocumentMeta]:
    """Load and validate the manifest; file paths are resolved against its folder."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise IngestError(f"No corpus manifest at {path}.") from exc
    except yaml.YAMLError as exc:
        raise IngestError(f"The corpus manifest {path} is not valid YAML: {exc}.") from exc
    docs = []
    seen: set[str] = set()
    for entry in data.get("documents") or []:
        meta = meta_from_entry(entry, base=path.parent)
        if meta.id in seen:
            raise IngestError(f"The manifest lists the id {meta.id!r} twice.")
        seen.add(meta.id)
        docs.append(meta)
    return docs


def meta_from_entry(entry: dict, base: Path) -> DocumentMeta:
    """Validate one manifest entry (also used for documents added at run time)."""
    doc_id = str(entry.get("id") or "")
    if not _ID.match(doc_id):
        raise IngestError(
            f"Document id {doc_id!r} must be 3+ lower-case letters, digits or hyphens."
        )
    if not entry.get("title"):
        raise IngestError(f"Document {doc_id} has no title.")
    date = entry.get("date")
    if date is not None:
        date = str(date)
        if not _DATE.match(date):
            raise IngestError(
                f"Document {doc_id} has date {date!r}; use YYYY, YYYY-MM or YYYY-MM-DD."
            )
    kind = str(entry.get("kind") or "article")
    if kind not in KINDS:
        raise IngestError(f"Document {doc_id} has kind {kind!r}; use one of {', '.join(KINDS)}.")
    file = Path(str(entry.get("file") or ""))
    return DocumentMeta(
        id=doc_id,
        title=str(entry["title"]).strip(),
        file=str(file if file.is_absolute() else (base / file)),
        kind=kind,
        author=entry.get("author"),
        publisher=entry.get("publisher"),
        date=date,
        date_note=entry.get("date_note"),
        format=entry.get("format"),
        url=entry.get("url"),
    )


def slugify(name: str) -> str:
    """A readable document id from a file name or title."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return (slug or "document")[:60].strip("-").ljust(3, "x")
