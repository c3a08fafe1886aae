"""Knowing what the library does not cover.

Three signals decide, calibrated on ``eval/out_of_scope.jsonl`` and the
development gold set (``bench/calibrate_abstain.py`` prints the figures):

* **closeness**: the best cosine similarity between the question and the top
  passages retrieved for it. Questions about blue badges or football scores are
  far from every passage.
* **unknown names**: names, acronyms and years in the question that occur
  nowhere in the library (its texts, headings and document metadata), e.g.
  "GDPR", "Outlook", "2024". A near-miss question ("the latest 2024 map
  figures") can be close in meaning to a passage and still be unanswerable;
  when it names something the library never mentions, it must be closer to a
  passage to be answered.
* **unfamiliar words**: ordinary words the library never uses ("sofa",
  "pothole", "newsletter"). A question with one must be somewhat closer to a
  passage (paraphrased in-scope questions that use one are usually close).

A question refused on closeness alone gets a second reading, by the stock model
(**stock closeness**): the adapted model learns to discount what every passage
shares, so a question made only of the library's own subject ("What is a shared
service?") can sit far from all of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kb.core.stop_words import english_stop_words

__all__ = ["Coverage", "Signals", "closeness_of", "should_abstain", "stock_rescues"]

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-]*")
_YEAR = re.compile(r"(?:19|20)\d\d")
# Capitalised only because they start a question or are about the asker.
_QUESTION_WORDS = frozenset(
    "what how who whom whose which when where why does did do can could is are was were "
    "should would will has have had if in and for of to our we i i'm i’m my me tell list "
    "name give any it the a an please".split()
)
# Common words that say nothing about the topic, whether or not the library uses
# them: scikit-learn's English list (the Glasgow stop list) and a few question words.
_STOP = english_stop_words() | frozenset(
    "what which where when does with that this have from they their there would could "
    "should about into your will were been than them these those also just some more most "
    "other such only over very much many make made want need like doing done know tell told "
    "please".split()
)


# Three or more capitalised words, "of"/"and"/"for"/"the" allowed between them: a
# name the library spells out, whose initials a question may use instead. A
# sentence's capitalised first word ("The") is not part of the name.
_TITLE_RUN = re.compile(
    r"\b(?!(?:The|A|An|In|On|Our|This|That)\b)[A-Z][a-z]+"
    r"(?:\s+(?:(?:of|and|for|the)\s+)?[A-Z][a-z]+){2,}\b"
)


def _variants(word: str) -> set[str]:
    w = word.lower().strip("'’-")
    out = {w}
    for suffix in ("'s", "’s", "s", "es"):
        if w.endswith(suffix) and len(w) > len(suffix) + 1:
            out.add(w[: -len(suffix)])
    return out


@dataclass(frozen=True)
class Coverage:
    """The words a library's texts, headings and metadata use, in lower case."""

    vocabulary: frozenset[str]
    # Initials of the names the library spells out ("Primary Care Trust" -> "pct"),
    # so that a question's "PCT" or "ERP" counts as known.
    initialisms: frozenset[str] = frozenset()

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> Coverage:
        vocab: set[str] = set()
        initials: set[str] = set()
        for text in texts:
            for word in _WORD.findall(text):
                vocab |= _variants(word)
                vocab |= {p.lower() for p in re.split(r"[\-'’]", word) if p}
            for name in _TITLE_RUN.finditer(text):
                words = name.group(0).split()
                initials.add("".join(w[0] for w in words).lower())
                initials.add("".join(w[0] for w in words if w[0].isupper()).lower())
        return cls(frozenset(vocab), frozenset(i for i in initials if len(i) >= 3))

    def knows(self, word: str) -> bool:
        if len(word) > 2 and word.rstrip("s").isupper():
            return bool(_variants(word) & (self.vocabulary | self.initialisms))
        return bool(_variants(word) & self.vocabulary)

    def unknown_terms(self, question: str) -> list[str]:
        """Names, acronyms and years in ``question`` that the library never mentions.

        A name is a capitalised word that does not start the question, or an
        all-capitals acronym; hyphenated names count when no part is known.
        """
        out = []
        for i, word in enumerate(_WORD.findall(question)):
            if _YEAR.fullmatch(word):
                if not self.knows(word):
                    out.append(word)
                continue
            if word.lower() in _QUESTION_WORDS:
                continue
            acronym = len(word) > 1 and word.isupper()
            name = i > 0 and word[0].isupper()
            if (acronym or name) and not self.knows(word):
                parts = [p for p in re.split(r"[\-'’]", word) if p]
                if not any(self.knows(p) for p in parts if len(parts) > 1):
                    out.append(word)
        return out

    def unfamiliar_words(self, question: str) -> list[str]:
        """Words of four letters or more in ``question`` that the library never uses."""
        out = []
        for word in re.findall(r"[a-z][a-z'’\-]+", question.lower()):
            if len(word) < 4 or word in _STOP or "'" in word or "’" in word:
                continue
            parts = [p for p in word.split("-") if p]
            if not self.knows(word) and not all(self.knows(p) for p in parts):
                out.append(word)
        return out


@dataclass(frozen=True)
class Signals:
    """What the abstention decision is made on, for one question."""

    closeness: float
    unknown_names: tuple[str, ...] = ()
    unfamiliar_words: tuple[str, ...] = ()
    # The same closeness under the stock model; None when not measured (the build
    # uses the stock model, or the question names something the library never does).
    stock_closeness: float | None = None


def should_abstain(
    signals: Signals,
    threshold: float,
    unknown_threshold: float,
    unfamiliar_threshold: float,
    stock_threshold: float = 0.0,
) -> bool:
    """Abstain when the question is far from every passage; or names things the
    library never mentions and is not very close to one; or uses words the
    library never uses and is not reasonably close to one. A question naming
    nothing unknown that the stock model finds close (``stock_threshold``, 0 off)
    is answered."""
    c = signals.closeness
    far = (
        c < threshold
        or (bool(signals.unknown_names) and c < unknown_threshold)
        or (bool(signals.unfamiliar_words) and c < unfamiliar_threshold)
    )
    return far and not stock_rescues(signals, stock_threshold)


def stock_rescues(signals: Signals, stock_threshold: float) -> bool:
    """Whether the stock model's reading answers a question the adapted one would refuse."""
    return (
        stock_threshold > 0
        and not signals.unknown_names
        and signals.stock_closeness is not None
        and signals.stock_closeness >= stock_threshold
    )


def closeness_of(chunk_cosines: Any, sentence_cosines: Any | None) -> float:
    """Closeness from the question's cosines with the top passages and their sentences:
    the mean of the best of each (the best passage alone when there are no sentences)."""
    best_chunk = float(chunk_cosines.max())
    if sentence_cosines is None or not len(sentence_cosines):
        return best_chunk
    return 0.5 * best_chunk + 0.5 * float(sentence_cosines.max())
