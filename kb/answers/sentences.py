"""The sentences of a passage an answer may quote: whole, self-standing, not headings."""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from kb.core.text import fold, sentence_spans

__all__ = ["Sentence", "TermWeights", "split_sentences"]

_BULLET = re.compile(r"^[•▪●◦\-–*]\s+")
_END = re.compile(r"[.!?][\"”’)]?$")
# Longer pieces (a run-on table, a long list) would crowd out the rest of an answer.
MAX_WORDS = 70
_URL = re.compile(r"https?://|www\.|\.gov\.uk|\.org|\.com", re.I)


@dataclass(frozen=True)
class Sentence:
    """A sentence of a passage: its display text and its span in the passage text."""

    text: str
    start: int
    end: int = 0
    is_list: bool = False  # a list's lead-in with its whole list


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of a passage worth quoting, in reading order.

    Headings and questions, short bullet fragments, link lists and the cut-off
    sentences at the ends of a chunk are left out. A list's lead-in ("These
    are:") is quoted together with its whole list, as one piece, when the list
    ends inside the passage: a list item alone says nothing. Each sentence's
    text, with whitespace collapsed, occurs in the passage between ``start`` and
    ``end``.
    """
    out: list[Sentence] = []
    spans = sentence_spans(text)
    for i, (start, end) in enumerate(spans):
        raw = text[start:end]
        body = _BULLET.sub("", raw.strip())
        body = " ".join(body.split())
        words = body.split()
        if len(words) < 6 or len(words) > MAX_WORDS or not re.search(r"[a-z]", body):
            continue
        if len(_URL.findall(body)) and len(words) < 12:
            continue
        if not body[0].isupper() and not body[0].isdigit() and body[0] not in '£"“‘(':
            continue  # a list item or the tail of a sentence begun elsewhere: not whole
        if body.endswith(":"):
            block = _with_list(text, spans, i)
            if block is not None:
                out.append(block)
            continue  # the lead-in to a list says nothing without the list
        if body.rstrip('"”’)').endswith("?"):
            continue  # a heading or one of the guide's own questions never answers one
        if not _END.search(body):
            continue  # a heading, or cut off at a page or chunk boundary: not whole
        offset = text.find(body.split()[0], start)
        offset = offset if offset >= 0 else start
        last = body.split()[-1]
        tail = text.rfind(last, offset, end)
        out.append(Sentence(body, offset, tail + len(last) if tail >= 0 else end))
    return out


def _with_list(text: str, spans: Sequence[tuple[int, int]], lead: int) -> Sentence | None:
    """The lead-in at ``spans[lead]`` and the bulleted list after it, if whole and short.

    A list item's line wrapped by the PDF continues in a piece starting in lower case.
    """
    items = 0
    last = lead
    for j in range(lead + 1, len(spans)):
        piece = text[spans[j][0] : spans[j][1]].strip()
        if not piece:
            continue
        if _BULLET.match(piece):
            if piece.rstrip('"”’)').endswith("?"):
                return None  # a list of the guide's own questions answers none
            items += 1
        elif not (items and piece[0].islower()):
            break  # the list has ended
        last = j
    else:
        return None  # the passage ends inside the list: not whole
    start, end = spans[lead][0], spans[last][1]
    raw = text[start:end].strip()
    body = " ".join(raw.split())
    if items < 2 or len(body.split()) > MAX_WORDS or not _END.search(body):
        return None
    offset = text.find(raw, start)
    return Sentence(body, offset, offset + len(raw), is_list=True)


_TERM = re.compile(r"[a-z0-9£]+")


class TermWeights:
    """How much a question's words say, by their rarity in the library (idf).

    The model's similarity misses a sentence that repeats the question's rare
    words in another order ("benchmarking groups for frontline services"); the
    share of the question's idf mass a sentence carries gives that back.
    """

    def __init__(self, texts: Sequence[str]) -> None:
        import Stemmer
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        self._stop = ENGLISH_STOP_WORDS
        self._stemmer = Stemmer.Stemmer("english")
        self._lock = threading.Lock()  # PyStemmer stemmers are not thread-safe
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(set(self.terms(text)))
        self._n = max(1, len(texts))
        self._df = counts

    def terms(self, text: str) -> list[str]:
        words = [w for w in _TERM.findall(fold(text)) if len(w) > 2 and w not in self._stop]
        with self._lock:
            return list(self._stemmer.stemWords(words))

    def idf(self, term: str) -> float:
        return math.log(1 + self._n / (1 + self._df.get(term, 0)))

    def overlap(self, question: str, sentences: Sequence[str]) -> list[float]:
        """Per sentence, the share of the question's idf mass among its words (0 to 1)."""
        asked = set(self.terms(question))
        total = sum(self.idf(t) for t in asked)
        if not total:
            return [0.0] * len(sentences)
        out = []
        for sentence in sentences:
            has = set(self.terms(sentence))
            out.append(sum(self.idf(t) for t in asked & has) / total)
        return out
