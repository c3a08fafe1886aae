"""Text helpers every stage shares: one way to fold text for comparison, one sentence splitter."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["PUNCTUATION", "fold", "split_sentences"]

PUNCTUATION = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-"})

# Sentence ends followed by a capital, paragraph breaks, and bullets starting a line.
_BREAK = re.compile(r"(?<=[.!?])[\"”’)]?\s+(?=[\"“‘(]?[A-Z0-9£•])|\n\s*\n|\n(?=\s*[•▪●◦\-–*]\s)")


def fold(text: str) -> str:
    """NFKC, lower case, straight quotes, hyphen dashes, one space for any whitespace.

    The same folding as the gold sets' relevance rule (eval/README.md), so a quote
    found by ``fold(quote) in fold(text)`` here is found by the evaluation too.
    """
    text = unicodedata.normalize("NFKC", text).lower().translate(PUNCTUATION)
    return re.sub(r"\s+", " ", text).strip()


def split_sentences(text: str) -> list[str]:
    """Every sentence-like piece of ``text``, whitespace collapsed; nothing dropped."""
    return [" ".join(p.split()) for p in _BREAK.split(text) if p and p.strip()]
