"""Composing an extractive answer: the best-supported sentence first, a little support after.

The answer is built from sentences of the retrieved passages, chosen by their
similarity to the question with the question's type in view:

1. **Lead**: the sentence that best answers the question. A question ("What
   will be the benefits of sharing?") is never an answer, so headings and the
   guide's own question lists are left out, and so is any text marked garbled
   at ingest (two PDF columns run together).
2. **Support**: at most ``MAX_SUPPORT`` more sentences within the support margin
   of the lead's score, none a near-duplicate of one already chosen, within
   the word budget. A sentence that leans on the one before it ("This…",
   "However…") brings that sentence with it (and the one before that when it
   leans too, ``MAX_CHAIN``), and they are one quote; the sentence that leans on
   the lead is added when the words left allow.
3. **Order**: grouped by source, the lead's source first, each source's
   sentences in reading order (the lead stays first).
4. **More**: the next best sentences within the support margin (those that did
   not fit), for "more from the library", the best of each passage not yet quoted
   before a second from any one passage, nothing said twice (a list's item beside
   the quoted list, one sentence in two passages). Each is read alone, so one that
   leans back is joined to what it leans on when that is not in the answer.

How a sentence is scored (:class:`Scoring`) is chosen on the tune split by
``eval/tune_answers.py``; the other margins and bonuses are fixed constants.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kb.answers.candidates import (
    Candidate,
    continuation,
    joined,
    lean_chain,
    leaned_on,
    positions,
    with_antecedents,
)
from kb.answers.question import the_ask

__all__ = ["Composition", "Scoring", "compose", "question_type"]

MAX_SUPPORT = 2
MORE_LIMIT = 4
DUPLICATE = 0.88
# The prior for the passage's retrieval rank is settings.answer_rank_prior.

_NUMBER_Q = re.compile(r"\b(how (much|many|big|far)|what (share|percentage|proportion))\b", re.I)
_DURATION_Q = re.compile(r"\b(how (long|quickly|fast|soon)|by when)\b", re.I)
_LAW_Q = re.compile(
    r"\b((which|what) (statute|law|legislation|act|legal (power|basis|route|provision))|"
    r"statutory (basis|power|provision)|legal (basis|route|power)s?|powers? (to|do we have))\b",
    re.I,
)
_WHICH_Q = re.compile(
    r"\b(which (councils?|authorities|boroughs|districts)|examples? of|who (has|have)|"
    r"has anyone|name (some|any))\b",
    re.I,
)
_HOW_Q = re.compile(
    r"^\s*(how (do|should|can|could|would) (we|i|you|a council|councils)|what (steps|should we))\b",
    re.I,
)
_YESNO_Q = re.compile(r"^\s*(can|could|is|are|do|does|should|must|will|would|may)\b", re.I)
# An amount, not a year or a footnote: "£3.5 million", "70 per cent", "800,000".
_HAS_NUMBER = re.compile(
    r"£\s?\d|\b\d+(\.\d+)?\s?(per ?cent|%|million|m\b|bn|k\b)|\b\d{1,3}(,\d{3})+\b", re.I
)
_HAS_DURATION = re.compile(
    r"\b(\d+|one|two|three|four|five|six|eight|ten|twelve|eighteen)[ -](years?|months?|weeks?)\b",
    re.I,
)
# A statute or a section of one: "Local Government Act 1972", "section 75".
_HAS_LAW = re.compile(r"\b(Act|Regulations) (19|20)\d\d\b|\b[Ss]ection \d+\b")
_NAMES_COUNCIL = re.compile(r"\b(Council|Councils|Borough|District|County|Partnership)\b")
_ADVICE = re.compile(r"\b(should|need to|needs to|will need|must|it is important|consider)\b", re.I)


def question_type(question: str) -> str:
    """number | duration | law | which | how | yesno | other: what would answer it.

    Read on what is asked, not the scene before it: "We're two districts sharing a
    finance officer. Is that legally possible?" is a yes/no question.
    """
    question = the_ask(question)
    if _NUMBER_Q.search(question):
        return "number"
    if _DURATION_Q.search(question):
        return "duration"
    if _LAW_Q.search(question):
        return "law"
    if _WHICH_Q.search(question):
        return "which"
    if _HOW_Q.search(question):
        return "how"
    if _YESNO_Q.search(question):
        return "yesno"
    return "other"


def type_bonus(kind: str, sentence: str) -> bool:
    """Whether the sentence is of the kind the question asks for (an amount, a council…)."""
    wanted = {
        "number": _HAS_NUMBER,
        "duration": _HAS_DURATION,
        "law": _HAS_LAW,
        "which": _NAMES_COUNCIL,
        "how": _ADVICE,
    }.get(kind)
    return bool(wanted and wanted.search(sentence))


@dataclass(frozen=True)
class Scoring:
    """How sentences are scored and kept; chosen on the tune split (eval/tune_answers.py).

    ``context``: the share of the similarity taken with the sentence read after the
    one before it (a sentence alone can lose what it is about). ``lexical``: the
    weight of the question's rare words found in the sentence. ``rank_prior``: the
    lean towards passages retrieval ranked higher (rank 1 gets 0.9 x this).
    ``support_margin``: how far below the lead a supporting sentence, or one for
    "more from the library", may score.
    ``type_bonus``: what a sentence of the kind the question asks for gains (an
    amount for "how much", a council for "which councils"). ``known``: the weight of
    the question's closeness to a known question the sentence answered.
    """

    rank_prior: float = 0.2
    context: float = 0.0
    lexical: float = 0.0
    support_margin: float = 0.12
    type_bonus: float = 0.04
    known: float = 0.0


@dataclass
class Composition:
    """What to say, in order, and what else is worth reading."""

    chosen: list[Candidate]
    more: list[Candidate]
    best: float = 0.0  # the lead's score


def _words(c: Candidate) -> int:
    return len(c.text.split())


def compose(
    question: str,
    candidates: Sequence[Candidate],
    vectors: np.ndarray,
    qvec: np.ndarray,
    word_budget: int,
    weights: Scoring | None = None,
    context_vectors: np.ndarray | None = None,
    lexical: Sequence[float] | None = None,
    known: Sequence[float] | None = None,
) -> Composition:
    """Choose and order the answer's sentences (see the module docstring).

    ``vectors`` are the candidates' unit vectors, ``context_vectors`` those of each
    read after the sentence before it, ``lexical`` each one's share of the
    question's rare words (:class:`kb.answers.sentences.TermWeights`), ``known``
    the question's closeness to a question each answered (:mod:`kb.answers.known`).
    """
    if not candidates:
        return Composition([], [])
    w = weights or Scoring()
    kind = question_type(question)
    relevance = vectors @ qvec
    if context_vectors is not None and w.context:
        relevance = (1 - w.context) * relevance + w.context * (context_vectors @ qvec)
    if lexical is not None and w.lexical:
        relevance = relevance + w.lexical * np.asarray(lexical, dtype=np.float32)
    if known is not None and w.known:
        relevance = relevance + w.known * np.asarray(known, dtype=np.float32)
    relevance = relevance + np.array(
        [
            w.rank_prior * (1 - c.passage.rank / 10) + w.type_bonus * type_bonus(kind, c.text)
            for c in candidates
        ]
    )
    order = [int(i) for i in np.argsort(-relevance, kind="stable")]
    lead = order[0]
    best = float(relevance[lead])
    chosen = [lead]
    words = _words(candidates[lead])
    for i in order[1:]:
        if len(chosen) > MAX_SUPPORT or relevance[i] < best - w.support_margin:
            break
        if _repeats(candidates, vectors, chosen, i):
            continue
        if words + _words(candidates[i]) > word_budget:
            continue
        chosen.append(i)
        words += _words(candidates[i])
    # Words left over go to the sentence that carries the lead on, if there is one.
    follow = continuation(candidates, lead)
    if follow is not None and follow not in chosen:
        if words + _words(candidates[follow]) <= word_budget:
            chosen.append(follow)
    chosen = with_antecedents(candidates, chosen)
    ordered = _grouped(candidates, chosen, lead, relevance)
    taken = set(chosen)
    further = [i for i in order if i not in taken and relevance[i] >= best - w.support_margin]
    more = _readable(candidates, _more(candidates, vectors, further, chosen), taken)
    return Composition(joined(ordered), more, best)


def _repeats(candidates: Sequence[Candidate], vectors: np.ndarray, kept: list[int], i: int) -> bool:
    """Whether candidate ``i`` says again what a kept one says: a near-duplicate, or a
    piece of the same passage text (a list item inside a quoted list)."""
    if float((vectors[kept] @ vectors[i]).max()) >= DUPLICATE:
        return True
    c = candidates[i]
    return any(
        k.passage.chunk.id == c.passage.chunk.id and k.start < c.end and c.start < k.end
        for k in (candidates[j] for j in kept)
    )


def _more(
    candidates: Sequence[Candidate], vectors: np.ndarray, further: list[int], chosen: list[int]
) -> list[int]:
    """Best first, but the best sentence of each passage not yet quoted comes before a
    second from any one passage: "more" shows what else the library says, once."""

    def source(i: int) -> str:
        return candidates[i].passage.chunk.id

    kept, picked = list(chosen), list[int]()
    seen = {source(i) for i in chosen}
    for new_sources_only in (True, False):
        for i in further:
            if len(picked) == MORE_LIMIT:
                return picked
            if i in picked or (new_sources_only and source(i) in seen):
                continue
            if _repeats(candidates, vectors, kept, i):
                continue
            picked.append(i)
            kept.append(i)
            seen.add(source(i))
    return picked


def _readable(
    candidates: Sequence[Candidate], picked: list[int], taken: set[int]
) -> list[Candidate]:
    """The "more" sentences as they will be read, each on its own: one that leans back
    ("They also saved money…") is joined to the sentences it leans on when they are
    quotable and not already in the answer; a sentence so brought is not listed twice."""
    position = positions(candidates)
    out: dict[int, Candidate] = {}
    brought: set[int] = set()
    for i in picked:
        chain, whole = lean_chain(candidates, i, position)
        before = [j for j in chain if j not in taken] if whole else []
        quote = joined([candidates[j] for j in [*before, i]])
        if len(quote) == 1 and before:
            out[i] = quote[0]
            brought |= set(before)
        else:
            out[i] = candidates[i]
    return [c for i, c in out.items() if i not in brought]


def _grouped(
    candidates: Sequence[Candidate], chosen: list[int], lead: int, relevance: np.ndarray
) -> list[Candidate]:
    """By source (the lead's first, then by each source's best), reading order within."""
    position = positions(candidates)
    groups: dict[str, list[int]] = {}
    for i in chosen:
        groups.setdefault(candidates[i].passage.chunk.id, []).append(i)
    lead_id = candidates[lead].passage.chunk.id
    keys = sorted(
        groups, key=lambda k: (k != lead_id, -max(float(relevance[i]) for i in groups[k]))
    )
    out: list[Candidate] = []
    for key in keys:
        members = sorted(groups[key], key=lambda i: candidates[i].start)
        if key == lead_id:
            # The lead opens the answer; only the sentences it leans on come before it,
            # as far back as they were chosen (a support can carry a chain on).
            first: list[int] = []
            i = lead
            while (before := leaned_on(candidates, i, position)) is not None and before in members:
                first.insert(0, before)
                i = before
            rest = [i for i in members if i != lead and i not in first]
            members = first + [lead] + rest
        out += [candidates[i] for i in members]
    return out
