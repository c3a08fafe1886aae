"""Text helpers every stage shares: one way to fold text for comparison, one sentence splitter."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

__all__ = [
    "PUNCTUATION",
    "ELISION",
    "collapse",
    "fold",
    "fold_with_offsets",
    "holds_quote",
    "sentence_spans",
    "quoted_in",
    "split_sentences",
]

PUNCTUATION = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-"})

# Paragraph breaks; a bullet starting a line (an en dash only after a line that ended
# a sentence or a lead-in: PDF text wraps lines before a mid-sentence "–"); and
# sentence ends followed by a capital, a closing quote or bracket staying with its sentence.
_BREAK = re.compile(
    r"\n\s*\n"
    r"|\n(?=[ \t]*[•▪●◦*\-][ \t])"
    r"|(?<=[.:;!?])[ \t]*\n(?=[ \t]*–[ \t])"
    r"|(?:(?<=[.!?])|(?<=[.!?][\"”’)]))[ \t\n]+(?=[\"“‘(]?[A-Z0-9£•])"
)
# A full stop that ends an abbreviation, not a sentence.
_ABBREVIATION = re.compile(r"\b(?:e\.g|i\.e|eg|ie|etc|approx|no|St|Dr|Mr|Mrs|Ms|Cllr)\.$", re.I)


def fold(text: str) -> str:
    """NFKC, lower case, straight quotes, hyphen dashes, one space for any whitespace.

    The same folding as the gold sets' relevance rule (eval/README.md), so a quote
    found by ``fold(quote) in fold(text)`` here is found by the evaluation too.
    """
    text = unicodedata.normalize("NFKC", text).lower().translate(PUNCTUATION)
    return re.sub(r"\s+", " ", text).strip()


def holds_quote(sentence: str, quotes: Sequence[str]) -> bool:
    """The sentence holds one of the quotes, or is itself part of one (6+ words).

    The gold sets' rule for "this sentence says it" (eval/README.md); an ellipsis
    before a quote begun mid-list ("… location – where…") is a mark, not words.
    """
    text = fold(sentence.lstrip("… "))
    return any(
        q and (q in text or (len(text.split()) >= 6 and text in q))
        for q in (fold(e) for e in quotes)
    )


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """:func:`fold`, character by character, with each folded character's offset in ``text``.

    For finding a quote in a document and mapping the hit back to the original text.
    """
    out: list[str] = []
    offsets: list[int] = []
    space = False
    for i, ch in enumerate(text):
        folded = unicodedata.normalize("NFKC", ch).lower().translate(PUNCTUATION)
        if folded.isspace() or not folded:
            space = bool(out)
            continue
        if space:
            out.append(" ")
            offsets.append(i)
            space = False
        for c in folded:
            out.append(c)
            offsets.append(i)
    return "".join(out), offsets


def collapse(text: str) -> str:
    """``text`` with every run of whitespace made one space, and none at the ends."""
    return " ".join(text.split())


# Where a quote leaves words out: "The business case showed that it: … can achieve…".
ELISION = " … "


def quoted_in(quote: str, text: str) -> bool:
    """Whether ``text`` says ``quote`` word for word (whitespace aside); an elided
    quote ("lead-in … item", "… item") when each of its pieces is there, in order."""
    quote, text = collapse(quote), collapse(text)
    if quote in text:
        return True
    at = 0
    pieces = [p.strip() for p in quote.split(ELISION.strip())]
    if pieces and not pieces[0]:
        pieces = pieces[1:]  # "… a list item": the words before it are left out
    for piece in pieces:
        found = text.find(piece, at) if piece else -1
        if found < 0:
            return False
        at = found + len(piece)
    return True


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Where each sentence-like piece of ``text`` starts and ends (pieces may be blank).

    The one sentence splitter: ingest's sentence windows, the answers' quotable
    sentences and the case facets' sentences all cut text here.
    """
    spans: list[tuple[int, int]] = []
    at = 0
    for m in _BREAK.finditer(text):
        if _ABBREVIATION.search(text, at, m.start()):
            continue
        spans.append((at, m.start()))
        at = m.end()
    spans.append((at, len(text)))
    return spans


def split_sentences(text: str) -> list[str]:
    """Every sentence-like piece of ``text``, whitespace collapsed; nothing dropped."""
    return [p for p in (collapse(text[a:b]) for a, b in sentence_spans(text)) if p]
