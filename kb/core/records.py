"""The records that travel between pipeline stages.

Citations are built from this metadata; nothing downstream re-derives a
document, section or page from strings.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date as _date
from typing import Any

SECTION_SEP = " › "


def content_hash(text: str) -> str:
    """A short, stable hash of text (for ids and change detection)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class DocumentMeta:
    """One manifest entry: what a document is and where its file lies."""

    id: str
    title: str
    file: str
    kind: str = "article"
    author: str | None = None
    publisher: str | None = None
    date: str | None = None
    date_note: str | None = None
    format: str | None = None
    url: str | None = None

    @property
    def date_label(self) -> str:
        """The date as a person reads it; undated sources say so."""
        return format_date(self.date, self.date_note)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def format_date(value: str | None, note: str | None = None) -> str:
    if not value:
        return "undated" + (f" ({_about(note)})" if note and "about" in note else "")
    parts = value.split("-")
    try:
        if len(parts) == 3:
            d = _date(int(parts[0]), int(parts[1]), int(parts[2]))
            return f"{d.day} {d:%B %Y}"
        if len(parts) == 2:
            return f"{_date(int(parts[0]), int(parts[1]), 1):%B %Y}"
    except ValueError:
        return value
    return value


def _about(note: str) -> str:
    # "Undated; about 2025 (discusses ...)." -> "about 2025": stop at the first
    # clause break, so the label never nests the note's own parentheses.
    start = note.find("about")
    return re.split(r"[;()]", note[start:])[0].rstrip(". ")


@dataclass(frozen=True)
class PageMark:
    """From character ``start`` of the cleaned text on, the text is on ``page``.

    ``exact`` is False when the page was estimated between printed page numbers.
    """

    start: int
    page: int
    exact: bool = True


@dataclass
class CleanDocument:
    """A document after loading and cleaning: the text users see in the library."""

    meta: DocumentMeta
    text: str
    pages: list[PageMark] = field(default_factory=list)
    source_hash: str = ""
    # Spans of ``text`` where two PDF columns ran together and could not be put
    # back in column order (ingest/columns.py): shown, never quoted.
    garbled: list[tuple[int, int]] = field(default_factory=list)
    # Characters cleaning dropped from the source, by reason ("page footer": 220).
    dropped: dict[str, int] = field(default_factory=dict)

    def page_at(self, offset: int) -> PageMark | None:
        found: PageMark | None = None
        for mark in self.pages:
            if mark.start <= offset:
                found = mark
            else:
                break
        return found


@dataclass(frozen=True)
class Section:
    """A span of a cleaned document under one heading path."""

    doc_id: str
    path: tuple[str, ...]
    start: int
    end: int
    kind: str = "body"  # body | resources | table | sources | case-study | front | navigation
    case_id: str | None = None

    @property
    def label(self) -> str:
        return SECTION_SEP.join(self.path)


@dataclass(frozen=True)
class Chunk:
    """One indexed passage: text plus everything a citation needs."""

    id: str
    doc_id: str
    text: str
    title: str
    section: tuple[str, ...]
    start: int
    end: int
    kind: str
    date: str | None
    date_label: str
    page: int | None = None
    page_exact: bool = True
    section_kind: str = "body"
    case_id: str | None = None
    # Spans of ``text`` (relative to it) where two PDF columns ran together: shown
    # in the library, never quoted as a sentence (kb/answer.py).
    garbled: tuple[tuple[int, int], ...] = ()

    @property
    def section_label(self) -> str:
        return SECTION_SEP.join(self.section)

    def is_garbled(self, start: int, end: int) -> bool:
        """Whether ``text[start:end]`` overlaps a garbled span."""
        return any(start < g_end and g_start < end for g_start, g_end in self.garbled)

    @property
    def page_label(self) -> str:
        if self.page is None:
            return ""
        return f"p. {self.page}" if self.page_exact else f"p. ~{self.page}"

    def to_metadata(self) -> dict[str, Any]:
        """Flat metadata for the vector store (scalars only)."""
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "section": self.section_label,
            "section_top": self.section[0] if self.section else "",
            "start": self.start,
            "end": self.end,
            "kind": self.kind,
            "date": self.date or "",
            "date_label": self.date_label,
            "page": self.page if self.page is not None else -1,
            "page_exact": self.page_exact,
            "section_kind": self.section_kind,
            "case_id": self.case_id or "",
            "garbled": json.dumps([list(g) for g in self.garbled]) if self.garbled else "",
        }

    @classmethod
    def from_metadata(cls, chunk_id: str, text: str, meta: dict[str, Any]) -> Chunk:
        section = tuple(s for s in str(meta.get("section", "")).split(SECTION_SEP) if s)
        page = int(meta.get("page", -1))
        return cls(
            id=chunk_id,
            doc_id=str(meta["doc_id"]),
            text=text,
            title=str(meta.get("title", "")),
            section=section,
            start=int(meta.get("start", 0)),
            end=int(meta.get("end", 0)),
            kind=str(meta.get("kind", "")),
            date=str(meta.get("date")) or None,
            date_label=str(meta.get("date_label", "")),
            page=page if page >= 0 else None,
            page_exact=bool(meta.get("page_exact", True)),
            section_kind=str(meta.get("section_kind", "body")),
            case_id=str(meta.get("case_id") or "") or None,
            garbled=tuple(
                (int(a), int(b)) for a, b in json.loads(str(meta.get("garbled") or "[]"))
            ),
        )


@dataclass(frozen=True)
class Window:
    """A few consecutive sentences of a chunk, embedded on their own.

    A chunk's vector blurs its several points together; a question about one
    of them matches that point's window far better (the chunk is still what
    gets returned and cited).
    """

    chunk_id: str
    text: str


@dataclass(frozen=True)
class SearchFilters:
    """Per-query restrictions; empty means no restriction."""

    doc_ids: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    section: str | None = None  # matches a section path that contains this text

    @property
    def empty(self) -> bool:
        return not (self.doc_ids or self.kinds or self.section)


@dataclass
class IngestReport:
    """What an ingest did, per document, and what failed with why."""

    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    chunks: int = 0
    build_id: str | None = None
    seconds: float = 0.0
    # Characters cleaning dropped, by document (those processed this run) and reason.
    dropped: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def changed(self) -> bool:
        return bool(self.added or self.replaced or self.removed)


@dataclass(frozen=True)
class Saving:
    """A saving a case study states: the amount, over what period, on what, and where it says so.

    ``period`` is ``per year``, ``cumulative`` or ``one-off``; ``projected`` marks an
    estimate or target rather than a saving already made.
    """

    amount_gbp: float
    period: str
    refers_to: str
    sentence: str
    projected: bool = False
    doc_id: str | None = None  # set when the figure comes from another document

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CaseRecord:
    """One case study or named example, every fact traceable to its source text.

    ``kind`` is ``full`` (an Appendix 2 case study with its own headings) or
    ``short`` (a row of a table or an example named in the text). ``evidence``
    maps a facet (councils, services, model, started ...) to the sentence it
    was taken from; ``source`` is ``{doc_id, section, page, date, start, end}``.
    """

    id: str
    title: str
    kind: str
    councils: list[str] = field(default_factory=list)
    council_types: list[str] = field(default_factory=list)
    partners: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    model: str = ""
    started: str | None = None
    savings: list[Saving] = field(default_factory=list)
    summary: str = ""
    approach: str = ""
    achieved: str = ""
    learned: str = ""
    lessons: list[str] = field(default_factory=list)
    contacts: list[str] = field(default_factory=list)
    source: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CaseRecord:
        known = {f for f in cls.__dataclass_fields__}
        data = {k: v for k, v in d.items() if k in known}
        data["savings"] = [Saving(**s) for s in d.get("savings") or []]
        return cls(**data)


def page_at(chunks: Sequence[Chunk], offset: int) -> int | None:
    """The page of the passage holding ``offset`` (None for documents without pages)."""
    page = None
    for c in chunks:
        if c.start <= offset:
            page = c.page if c.page is not None else page
            if offset < c.end:
                return c.page
        else:
            break
    return page
