"""The records the library gives back: passages found, and answers with their citations.

One typed record end to end: ``kb ask --json``, the app and the evaluation all read
an :class:`Answer` (or its ``to_dict``), never re-parse its text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kb.core.records import SECTION_SEP, Chunk


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its rank and score: what search returns."""

    chunk: Chunk
    score: float
    rank: int

    def to_dict(self) -> dict[str, Any]:
        c = self.chunk
        return {
            "rank": self.rank,
            "id": c.id,
            "text": c.text,
            "doc_id": c.doc_id,
            "title": c.title,
            "section": c.section_label,
            "page": c.page,
            "page_exact": c.page_exact,
            "date": c.date_label,
            "kind": c.kind,
            "start": c.start,
            "end": c.end,
            "score": round(self.score, 6),
        }


@dataclass(frozen=True)
class Quote:
    """A sentence an answer quotes, with its character span in the cited passage's text."""

    text: str
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "start": self.start, "end": self.end}


@dataclass(frozen=True)
class Citation:
    """Source ``[n]`` of an answer: a retrieved passage and the sentences quoted from it."""

    n: int
    passage: Passage
    quotes: tuple[Quote, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        c = self.passage.chunk
        return {
            "n": self.n,
            "text": c.text,
            "chunk_id": c.id,
            "doc_id": c.doc_id,
            "title": c.title,
            "section": c.section_label,
            "page": c.page,
            "page_label": c.page_label,
            "page_exact": c.page_exact,
            "date": c.date_label,
            "kind": c.kind,
            "start": c.start,
            "end": c.end,
            "quotes": [q.to_dict() for q in self.quotes],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Citation:
        page = d.get("page")
        chunk = Chunk(
            id=str(d.get("chunk_id") or f"{d.get('doc_id', '')}-cited-{d.get('n', 0)}"),
            doc_id=str(d.get("doc_id", "")),
            text=str(d.get("text", "")),
            title=str(d.get("title", "")),
            section=tuple(x for x in str(d.get("section", "")).split(SECTION_SEP) if x),
            start=int(d.get("start", 0)),
            end=int(d.get("end", 0)),
            kind=str(d.get("kind", "")),
            date=None,
            date_label=str(d.get("date", "")),
            page=int(page) if isinstance(page, int) else None,
            page_exact=bool(d.get("page_exact", True)),
        )
        quotes = tuple(
            Quote(str(q["text"]), int(q["start"]), int(q["end"])) for q in d.get("quotes") or ()
        )
        return cls(int(d["n"]), Passage(chunk, 0.0, int(d["n"])), quotes)


@dataclass(frozen=True)
class AnswerSentence:
    """One sentence of an answer: quoted from source ``[n]`` (0: the answer's own words).

    ``about`` names the case study the quote is from when the quote itself does not
    ("The partnership provides…"); it is said before the quote, not part of it.
    """

    text: str
    n: int
    about: str = ""

    @property
    def shown(self) -> str:
        """The sentence as read: "South Hams and West Devon: Sharing a revenues…"."""
        return f"{self.about}: {self.text}" if self.about else self.text

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "n": self.n, "about": self.about}


@dataclass
class Answer:
    """A grounded answer: quoted sentences with ``[n]`` markers, their sources and extras.

    One record end to end: the CLI's JSON, the app, exports, the conversation store
    and the evaluation all read it through :meth:`to_dict` / :meth:`from_dict`.
    ``sentences`` are what the answer says, in order (the first is the best-supported
    answer to the question); ``text`` is the same with ``[n]`` markers, for plain
    display. ``more`` holds further relevant sentences ("more from the library"),
    ``scope_note`` says what a question names that the library does not cover.
    ``support`` is the lead sentence's score against the question; ``partial`` says it
    was so low that the library may not answer the question directly
    (``settings.answer_weak_lead``), and the answer says so first. ``cases_first``:
    the question asks which councils did something, so the matching case studies
    are shown before the quoted sentences.
    """

    question: str
    text: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    case_studies: list[dict[str, Any]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    checklist: list[Any] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    backend: str = "extractive"  # extractive | llm
    score: float = 0.0  # the abstention score the decision was made on
    sentences: list[AnswerSentence] = field(default_factory=list)
    more: list[dict[str, Any]] = field(default_factory=list)
    scope_note: str = ""
    support: float = 0.0
    partial: bool = False
    cases_first: bool = False

    def to_dict(self, id: Any = None) -> dict[str, Any]:
        return {
            "id": id,
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "sentences": [s.to_dict() for s in self.sentences],
            "citations": [c.to_dict() for c in self.citations],
            "case_studies": self.case_studies,
            "notices": self.notices,
            "scope_note": self.scope_note,
            "partial": self.partial,
            "support": round(float(self.support), 4),
            "cases_first": self.cases_first,
            "more": self.more,
            "checklist": [_as_dict(i) for i in self.checklist],
            "topics": list(self.topics),
            "backend": self.backend,
            "score": round(float(self.score), 4),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Answer:
        return cls(
            question=str(d.get("question", "")),
            text=str(d.get("answer", d.get("text", ""))),
            abstained=bool(d.get("abstained")),
            citations=[Citation.from_dict(c) for c in d.get("citations") or ()],
            case_studies=list(d.get("case_studies") or ()),
            notices=[str(n) for n in d.get("notices") or ()],
            checklist=list(d.get("checklist") or ()),
            topics=[str(t) for t in d.get("topics") or ()],
            backend=str(d.get("backend", "extractive")),
            score=float(d.get("score") or 0.0),
            sentences=[
                AnswerSentence(str(s["text"]), int(s["n"]), str(s.get("about") or ""))
                for s in d.get("sentences") or ()
            ],
            more=list(d.get("more") or ()),
            scope_note=str(d.get("scope_note", "")),
            support=float(d.get("support") or 0.0),
            partial=bool(d.get("partial")),
            cases_first=bool(d.get("cases_first")),
        )


def _as_dict(item: Any) -> Any:
    return item.to_dict() if hasattr(item, "to_dict") else item
