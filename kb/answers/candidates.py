"""Candidate sentences of retrieved passages, and how one leans on another.

A sentence that starts "This…", "However, …" or "For example, …" cannot be read alone:
it needs the sentence before it. Composition (:mod:`kb.answers.compose`) uses these
helpers to quote such a sentence with what it leans on, as one contiguous quote.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from kb.core.results import Passage

__all__ = [
    "MAX_CHAIN",
    "Candidate",
    "antecedents",
    "context_texts",
    "continuation",
    "joined",
    "lean_chain",
    "leaned_on",
    "leans_back",
    "positions",
    "with_antecedents",
]

# How many sentences back a leaning sentence may bring ("For example…" on "Any such…").
MAX_CHAIN = 2
# A sentence that starts like this needs the one before it to make sense.
_LEANS_BACK = re.compile(
    r"^(This|These|That|Those|They|It|Its|Their|However(?=,)|But|Such|Both|Each|As a result|"
    r"In addition|Also|For example|For instance|Similarly|Instead|Indeed|Yet|In doing so|"
    r"Any such|In (?:this|that|these|each|both) cases?|The same|He|She|Or|And|Then|"
    r"More precisely|In particular|If anything|In other words|Moreover|Furthermore|Therefore|"
    r"Thus|Hence|Consequently|Likewise|Nevertheless|Nonetheless|That said|Even so|"
    r"To some extent)\b"
)


@dataclass(frozen=True)
class Candidate:
    """A quotable sentence of a retrieved passage, with its span in the passage text."""

    passage: Passage
    text: str
    start: int
    end: int
    index: int  # position among the passage's quotable sentences
    parts: tuple[tuple[int, int], ...] = ()  # a list item's quoted pieces (Sentence.parts)


def context_texts(candidates: Sequence[Candidate]) -> list[str]:
    """Each candidate read after the quotable sentence before it in its passage, if any."""
    position = positions(candidates)
    out = []
    for c in candidates:
        before = position.get((c.passage.chunk.id, c.index - 1))
        out.append(f"{candidates[before].text} {c.text}" if before is not None else c.text)
    return out


def leans_back(c: Candidate) -> bool:
    """Whether the sentence needs the one before it ("This…", "However…"). A list's
    item follows its lead-in, not the sentence before it, so it never does."""
    return not c.parts and bool(_LEANS_BACK.match(c.text))


def _is_fragment(c: Candidate) -> bool:
    """Whether the sentence is an item of a list whose lead-in is in the passage before
    ("… have a high degree of certainty about…"): it is quotable for what it says, but
    it carries none of what the list was about."""
    return len(c.parts) == 1


def positions(candidates: Sequence[Candidate]) -> dict[tuple[str, int], int]:
    """Each candidate by its passage and its place among the passage's sentences."""
    return {(c.passage.chunk.id, c.index): i for i, c in enumerate(candidates)}


def continuation(candidates: Sequence[Candidate], lead: int) -> int | None:
    """The sentence after the lead that leans back on it ("This highlights more than 200
    examples…"): it finishes what the lead began, so it is quoted with it when the
    support leaves room (never in place of a supporting sentence)."""
    c = candidates[lead]
    after = positions(candidates).get((c.passage.chunk.id, c.index + 1))
    if c.parts or after is None or not leans_back(candidates[after]):
        return None
    return after


def joined(ordered: list[Candidate]) -> list[Candidate]:
    """A sentence that leans on the one before it is quoted with it, as one quote.

    "This resulted in nine posts going" cannot stand alone: the two sentences are one
    contiguous piece of evidence, so they are one quote with one span.
    """
    out: list[Candidate] = []
    for c in ordered:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.passage.chunk.id == c.passage.chunk.id
            and c.index == prev.index + 1
            and not prev.parts
            and leans_back(c)
        ):
            span = prev.passage.chunk.text[prev.start : c.end]
            if " ".join(span.split()) == " ".join(f"{prev.text} {c.text}".split()):
                out[-1] = Candidate(
                    prev.passage, f"{prev.text} {c.text}", prev.start, c.end, c.index
                )
                continue
        out.append(c)
    return out


def leaned_on(
    candidates: Sequence[Candidate], i: int, position: dict[tuple[str, int], int]
) -> int | None:
    """The quotable sentence candidate ``i`` leans on: the one before it in its passage,
    when it leans back. A list item cut from its lead-in is leaned on by nothing: a
    "However, experience suggests…" after one reads better alone than after it."""
    c = candidates[i]
    if not leans_back(c):
        return None
    before = position.get((c.passage.chunk.id, c.index - 1))
    return None if before is None or _is_fragment(candidates[before]) else before


def lean_chain(
    candidates: Sequence[Candidate], i: int, position: dict[tuple[str, int], int]
) -> tuple[list[int], bool]:
    """The quotable sentences candidate ``i`` leans on, in reading order: the one before
    it, and the one before that when that leans back too ("Any such 'exit strategy'…"
    then "For example…"), at most ``MAX_CHAIN``; and whether the first of them stands
    alone (False when the chain runs longer or one it needs is not quotable)."""
    out: list[int] = []
    while leans_back(candidates[i]):
        before = leaned_on(candidates, i, position)
        if len(out) == MAX_CHAIN or before is None:
            return out, False
        out.insert(0, before)
        i = before
    return out, True


def antecedents(
    candidates: Sequence[Candidate], i: int, position: dict[tuple[str, int], int]
) -> list[int]:
    """What is quoted before candidate ``i``: its whole chain when that reaches a sentence
    that stands alone, else the one before it only (words spent on a chain that still
    opens on a leaning sentence would buy nothing)."""
    chain, whole = lean_chain(candidates, i, position)
    return chain if whole else chain[-1:]


def with_antecedents(candidates: Sequence[Candidate], chosen: list[int]) -> list[int]:
    """``chosen`` and the sentences each leans on (:func:`antecedents`)."""
    position = positions(candidates)
    out = list(chosen)
    for i in chosen:
        out += [j for j in antecedents(candidates, i, position) if j not in out]
    return out
