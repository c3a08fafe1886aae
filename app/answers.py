"""Answers as plain dicts the Ask page renders and stores (so a chat survives a restart)."""

from __future__ import annotations

import re
from dataclasses import asdict, is_dataclass
from typing import Any

from kb.api import KnowledgeBase
from kb.core.records import SECTION_SEP

STARTERS = [
    "What are the main benefits of sharing services?",
    "How have councils shared a chief executive and management team?",
    "What governance arrangements can a shared service use?",
    "What should a business case for sharing include?",
    "What are the risks of sharing services and how can they be managed?",
]

HELP = """\
Ask about sharing services between councils, in your own words, for example:

- *What governance arrangements can a shared service use?*
- *Two county councils want to share a legal team: what should we watch for?*
- *What did councils save by sharing a chief executive?*

Each answer is made of sentences quoted from the library, each with a numbered
source: select a number to jump to it, open the source to read the passage,
and "Open in the Library" to read it in its document. Answers say so when the
library does not cover a question. The **Case studies** page finds councils in
a situation like yours; the **Checklist** works through a proposal.
"""
_HELP_ASKS = re.compile(
    r"^\s*(help|\?+|how do i use (this|it)|what can (you|i) (do|ask)|"
    r"what can i ask( you)?|how does this work)\s*[?.!]*\s*$",
    re.I,
)


def inexact_page_note(page: object) -> str:
    """What a "~" before a page number means, said with the page shown."""
    return (
        f"“p. ~{page}” means about page {page}: the page was worked out from the text, "
        "as the PDF does not mark every page."
    )


def is_help_request(question: str) -> bool:
    """A request for help using the assistant, rather than a question for the library."""
    return bool(_HELP_ASKS.match(question))


def ask(
    kb: KnowledgeBase, question: str, history: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    """The answer to a question as its record's dict (kb.core.results.Answer.to_dict).

    Stored as the conversation turn's payload, so a chat survives a restart and
    the page, the exports and the evaluation read the same record. Raises
    QueryError for unusable input.
    """
    answer = kb.answer(question, history=history or None)
    return {**answer.to_dict(), "text": answer.text}


def as_dict(obj: Any) -> dict[str, Any]:
    """A record from the knowledge base as a dict, whatever class it came as."""
    if isinstance(obj, dict):
        return obj
    if hasattr(obj, "to_dict"):
        return dict(obj.to_dict())
    if is_dataclass(obj) and not isinstance(obj, type):
        return asdict(obj)
    return dict(vars(obj))


def short_title(title: str, limit: int = 48) -> str:
    """A document title short enough for a source label (before its subtitle)."""
    title = " ".join(title.split())
    head = re.split(r"[:–—]\s", title, maxsplit=1)[0]
    if len(head) <= limit:
        return head
    return head[:limit].rsplit(" ", 1)[0] + "…"


def source_label(c: dict[str, Any], upload: bool = False) -> str:
    """``[n] Document, last section, page, date``: the short label of a citation."""
    section = str(c.get("section") or "").split(SECTION_SEP)
    last = section[-1].strip() if section else ""
    page = c.get("page_label") or (f"p. {c['page']}" if c.get("page") else "")
    bits = [short_title(str(c.get("title") or c.get("doc_id") or "")), last, page, c.get("date")]
    label = ", ".join(str(b) for b in bits if b)
    return f"[{c.get('n')}] " + ("Officer upload: " if upload else "") + label


def full_path(c: dict[str, Any]) -> str:
    """The citation's whole location: document title and every section heading."""
    return SECTION_SEP.join(
        str(x)
        for x in (c.get("title"), *str(c.get("section") or "").split(SECTION_SEP))
        if str(x or "").strip()
    )


def whole_sentence(text: str) -> str:
    """A quoted sentence as shown: one cut before its start is marked with an ellipsis."""
    text = " ".join(text.split())
    first = next((ch for ch in text if ch.isalpha()), "")
    return f"…{text}" if first.islower() and not text.startswith("…") else text
