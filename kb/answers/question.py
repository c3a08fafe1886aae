"""Reading a question: follow-ups resolved against earlier turns, and the names in it
that say who is asking (a council, a place, a product) rather than what is asked."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from kb.core.text import collapse

__all__ = [
    "is_about_the_asker",
    "is_follow_up",
    "is_later_law",
    "join_names",
    "retrieval_query",
    "strip_terms",
]


def retrieval_query(question: str, history: Sequence[Any] | None = None, limit: int = 2000) -> str:
    """The text to retrieve with: a follow-up question is read with the turns before it.

    Args:
        question: the new question.
        history: earlier turns, oldest first: ``{"role", "content"}`` dicts (only
            the user's turns are used) or plain strings (earlier questions).
        limit: the longest query returned, in characters.
    """
    turns = [t for t in (_user_text(h) for h in history or ()) if t]
    resolved = ""
    for turn in [*turns, question]:
        resolved = f"{resolved} {turn}" if resolved and is_follow_up(turn) else turn
    return resolved[-limit:].strip()


def _user_text(turn: Any) -> str:
    if isinstance(turn, str):
        return collapse(turn)
    if isinstance(turn, dict) and turn.get("role", "user") == "user":
        return collapse(str(turn.get("content") or ""))
    return ""


_FOLLOW_UP_START = re.compile(
    r"^(and|but|also|so|then|what about|how about|what of|same for|what if|how does that|"
    r"is that|are they|does it|do they)\b",
    re.I,
)
_ANAPHORA = re.compile(r"\b(it|its|they|them|their|this|that|these|those|there|he|she)\b", re.I)


def is_follow_up(question: str) -> bool:
    """A question that leans on the previous turn ("and the costs?", "what about for waste?")."""
    words = question.split()
    return bool(
        _FOLLOW_UP_START.match(question.strip())
        or len(words) <= 3
        or (len(words) <= 8 and _ANAPHORA.search(question))
    )


_LAW = re.compile(r"^(Act|Acts|Regulations?|Bill|Directive|Order|Code)$")


def is_later_law(term: str) -> bool:
    """A year or a law the library never mentions: the question is about something newer."""
    return bool(re.fullmatch(r"(19|20)\d\d", term)) or bool(_LAW.match(term))


_ASKER_CUE = re.compile(
    r"\b(we'?re|we are|as|our|use|uses|using|run|runs|at|in|from|with|for|and|like)\s+(the\s+)?$",
    re.I,
)


# What follows a product's or a body's name when it is the asker's situation: "a joint
# SAP system", "Power BI dashboards", "UNISON are asking".
_ASKER_AFTER = re.compile(
    r"^\s+(systems?|platforms?|software|suite|dashboards?|licen[cs]es?|modules?|"
    r"(is|are|have|has)\s+(been\s+)?(asking|saying|worried|concerned|telling|pushing))\b",
    re.I,
)


def is_about_the_asker(term: str, question: str) -> bool:
    """A name that says who is asking or what they use, not what they ask about.

    A council, place or product ("We're Swale", "our SAP system", "Can Cornwall
    Council…") is set aside; a later law, a year, or a bare acronym the library
    never uses ("What GDPR agreement…") is what the question is about.
    """
    if is_later_law(term):
        return False
    if not term.isupper():
        return True
    at = question.find(term)
    if at < 0:
        return False
    return (at > 0 and bool(_ASKER_CUE.search(question[:at]))) or bool(
        _ASKER_AFTER.match(question[at + len(term) :])
    )


def strip_terms(question: str, terms: Sequence[str]) -> str:
    """The question with the given names taken out (for judging what it asks about)."""
    out = question
    for term in terms:
        out = re.sub(rf"\b{re.escape(term)}\b", " ", out)
    return " ".join(out.split()) or question


def join_names(names: Sequence[str]) -> str:
    names = list(dict.fromkeys(names))[:4]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
