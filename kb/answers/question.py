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
    "scene_spans",
    "the_ask",
    "without_names",
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
# The rest of a law's title after one of its words: "Freedom| of Information Act".
_LAW_TITLE_REST = re.compile(
    r"^(\s+(of|the|and|for|on|in|\(\w+\)|[A-Z][\w’'-]*))*?"
    r"\s+(Act|Acts|Regulations?|Bill|Directive)\b"
)
_YEAR = re.compile(r"(19|20)\d\d")
_LAW_BEFORE_YEAR = re.compile(r"\b(Act|Regulations?|Bill|Directive|Order)\s*$")


def is_later_law(term: str, question: str = "") -> bool:
    """A law the library never mentions: the question is about something newer.

    A word of a law's title counts ("Freedom" in "the Freedom of Information Act").
    """
    if _LAW.match(term):
        return True
    at = _find(question, term)
    return at >= 0 and bool(_LAW_TITLE_REST.match(question[at + len(term) :]))


def _find(question: str, term: str) -> int:
    m = re.search(rf"(?<![\w-]){re.escape(term)}(?![\w-])", question)
    return m.start() if m else -1


# A clause that sets the scene before the question proper: "Since the 2023 elections
# changed control, how…", "I know the 2019 reorganisation merged them, but…".
_SCENE_CLAUSE = re.compile(
    r"^\s*(since|after|following|now that|given( that)?|as|with|although|though|while|"
    r"because|i know|we know|i understand|we understand)\b[^,?]*,",
    re.I,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“‘'])")


def the_ask(question: str) -> str:
    """The question with the scene it sets taken out: what is asked, and how."""
    out, at = [], 0
    for a, b in scene_spans(question):
        out.append(question[at:a])
        at = b
    out.append(question[at:])
    return " ".join("".join(out).split()) or question


def scene_spans(question: str) -> list[tuple[int, int]]:
    """Character spans of ``question`` that describe the asker's situation, not the ask.

    A statement before the question sentence ("Our waste contract ends in 2027.
    When should we…?") and a leading clause of the question sentence ("Since the
    2023 elections…, how…") set the scene. A question without a question mark
    has no scene: its every word may be what it asks about.
    """
    spans: list[tuple[int, int]] = []
    if "?" not in question:
        return spans
    start = 0
    for part in _SENTENCE_END.split(question):
        at = question.find(part, start)
        if part.rstrip().endswith("?"):
            clause = _SCENE_CLAUSE.match(part)
            if clause:
                spans.append((at, at + clause.end()))
        else:
            spans.append((at, at + len(part)))
        start = at + len(part)
    return spans


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
    never uses ("What GDPR agreement…") is what the question is about, unless it
    sits in the part of the question that sets the scene ("Our contract ends in
    2027. When should we…?", "The PCT has suggested… Has that been done
    anywhere?"): there it says when or with whom. A law is always the topic.
    """
    at = _find(question, term)
    if is_later_law(term, question) or (at > 0 and _LAW_BEFORE_YEAR.search(question[:at])):
        return False
    if not term.isupper() and not _YEAR.fullmatch(term):
        return True
    if at < 0:
        return False
    if any(a <= at < b for a, b in scene_spans(question)):
        return True
    if _YEAR.fullmatch(term):
        return False
    return (at > 0 and bool(_ASKER_CUE.search(question[:at]))) or bool(
        _ASKER_AFTER.match(question[at + len(term) :])
    )


# A name used as a noun ("We're Swale", "talked to Medway") is read as "a council",
# one used as a modifier ("our Civica system", "Cornwall Council") is dropped: a
# question with holes in it ("We're and have only talked to about sharing") sits
# further from every passage than the question asked (chosen on tune's held-out half:
# evidence in the lead .435 -> .448, no question newly refused).
_MODIFIER_BEFORE = re.compile(r"\b(our|the|their|its|your|a|an|new|this|that)\s*$", re.I)
_MODIFIER_AFTER = re.compile(r"^\s*([A-Z]|councils?\b)")


def without_names(question: str, terms: Sequence[str]) -> str:
    """The question read without the given names: each run of them that stands as a
    noun becomes "a council" (so the question still reads as one), the rest go."""
    if not terms:
        return question
    name = "|".join(re.escape(t) for t in sorted(set(terms), key=len, reverse=True))
    run = re.compile(rf"\b(?:{name})\b(?:\s+\b(?:{name})\b)*")

    def read(m: re.Match[str]) -> str:
        words = m.group(0).split()
        modifier = _MODIFIER_BEFORE.search(question[: m.start()]) or _MODIFIER_AFTER.match(
            question[m.end() :]
        )
        if modifier or all(_YEAR.fullmatch(w) or w.isupper() for w in words):
            return " "
        return " a council "

    return " ".join(run.sub(read, question).split()) or question


def join_names(names: Sequence[str], question: str = "") -> str:
    """The names, joined for a sentence; names the question writes next to each other
    are one ("Mole Valley or Epsom")."""
    whole: list[str] = []
    for name in dict.fromkeys(names):
        if whole and re.search(rf"\b{re.escape(whole[-1])}\s+{re.escape(name)}\b", question):
            whole[-1] = f"{whole[-1]} {name}"
        else:
            whole.append(name)
    whole = whole[:4]
    return whole[0] if len(whole) == 1 else ", ".join(whole[:-1]) + " or " + whole[-1]
