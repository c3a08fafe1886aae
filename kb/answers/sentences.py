"""The sentences of a passage an answer may quote: whole, self-standing, not headings."""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from kb.core.text import ELISION, fold, sentence_spans

__all__ = ["Sentence", "TermWeights", "quotable_sentences", "split_sentences"]

_BULLET = re.compile(r"^[•▪●◦\-–*]\s+")
_ITEM_LINK = re.compile(r"\s(?:https?://|www\.)")
# An item of a list whose lead-in is in the passage before says enough alone at this length.
ORPHAN_WORDS = 8
_JOINER = re.compile(r"\s*(?:[;,]\s*(?:and|or)?|\s(?:and|or))\s*$")
_END = re.compile(r"[.!?][\"”’)]?$")
# Longer pieces (a run-on table, a long list) would crowd out the rest of an answer.
MAX_WORDS = 70
_URL = re.compile(r"https?://|www\.|\.gov\.uk|\.org|\.com", re.I)


@dataclass(frozen=True)
class Sentence:
    """A sentence of a passage: its display text and its span in the passage text.

    ``kind``: "sentence"; "list", a list's lead-in with its whole list; "item", a
    list's item with its lead-in, an elided quote ("lead-in … item"), or alone when
    the lead-in is in the passage before, ``parts`` being the span of each piece;
    "unstopped", a sentence without its full stop (a call-out box's, or one ending in
    a web address, quoted without it).
    """

    text: str
    start: int
    end: int = 0
    kind: Literal["sentence", "list", "item", "unstopped"] = "sentence"
    parts: tuple[tuple[int, int], ...] = ()


# A sentence that ends in a web address: the sentence is quoted, the address left to
# the source ("The Toolbox provides 40 tools…: www.example.org/page").
_LINK_TAIL = re.compile(r"^(?P<said>.*[a-z)])[:,]?\s+(?:https?://|www\.)\S*(?:\.\s?\w+)*\S*$")
# A paragraph that ends without a full stop (a call-out box, a quotation) is still a
# whole sentence when it is this long; a heading is shorter.
UNSTOPPED_WORDS = 12


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of a passage worth quoting, in reading order.

    Headings and questions, short bullet fragments, link lists and the cut-off
    sentences at the ends of a chunk are left out. A list's lead-in ("These
    are:") is quoted together with its whole list, as one piece, when the list
    ends inside the passage and is short; a longer list's lead-in is quoted with
    each of its items in turn ("lead-in … item"), since an item alone says little.
    Each sentence's text, with whitespace collapsed, occurs in the passage between
    ``start`` and ``end`` (piece by piece, for an elided one).
    """
    spans = sentence_spans(text)
    out: list[Sentence] = _opening_items(text, spans)
    for i, (start, end) in enumerate(spans):
        raw = text[start:end]
        body = _BULLET.sub("", raw.strip())
        body = " ".join(body.split())
        words = body.split()
        if len(words) < 6 or len(words) > MAX_WORDS or not re.search(r"[a-z]", body):
            continue
        if not body[0].isupper() and not body[0].isdigit() and body[0] not in '£"“‘(':
            continue  # a list item or the tail of a sentence begun elsewhere: not whole
        if body.endswith(":"):
            block = _with_list(text, spans, i)
            if block is not None:
                out.append(block)
            else:
                out += _items(text, spans, i)
            continue  # the lead-in to a list says nothing without the list
        if body.rstrip('"”’)').endswith("?"):
            continue  # a heading or one of the guide's own questions never answers one
        kind: Literal["sentence", "unstopped"] = "sentence"
        if not _END.search(body):
            kind = "unstopped"
            linked = _LINK_TAIL.match(body)
            if linked and len(linked["said"].split()) >= 6:
                body = linked["said"]
            elif _BULLET.match(raw.strip()) or not _ends_paragraph(text, spans, i, len(words)):
                continue  # a heading, or cut off at a page or chunk boundary: not whole
            if not _reads_as_sentence(body):
                continue  # a reference, a list of names, a row of figures, a cut-off line
        if _URL.search(body) and (len(body.split()) < 12 or kind == "unstopped"):
            continue  # a link, not a sentence
        if _POINTER.match(body):
            continue  # "(See the Bromsgrove and Redditch case study.)" says where, not what
        body = _without_brackets(body)
        offset = text.find(body.split()[0], start)
        offset = offset if offset >= 0 else start
        last = body.split()[-1]
        tail = text.rfind(last, offset, end)
        out.append(Sentence(body, offset, tail + len(last) if tail >= 0 else end, kind))
    return out


# A cross-reference in brackets: where to read more, not something the library says.
_POINTER = re.compile(r"^\((?:see|you can read)\b[^()]*\)\.?$", re.I)


def quotable_sentences(chunk: Any) -> list[Sentence]:
    """A chunk's sentences an answer may quote: :func:`split_sentences` without any that
    overlap text marked garbled at ingest (two PDF columns run together)."""
    garbled = getattr(chunk, "is_garbled", None)
    return [
        s
        for s in split_sentences(chunk.text)
        if not (garbled is not None and garbled(s.start, s.end))
    ]


def _without_brackets(body: str) -> str:
    """A sentence set wholly in brackets, as an aside, is quoted without them: "(A common
    result of efforts to achieve economies of scale.)" opens no answer well."""
    if not body.startswith("(") or not body.rstrip(".").endswith(")"):
        return body
    depth = 0
    for i, ch in enumerate(body):
        depth += (ch == "(") - (ch == ")")
        if depth == 0:
            inner = body[1:i].strip()
            # Only when the first bracket closes at the very end (not "(a) and (b)").
            return inner if body[i + 1 :].strip(" .") == "" and len(inner.split()) >= 6 else body
    return body


# A line that stops on one of these was cut off before what it points at ("…can be
# found at"); a quoted title followed by its publisher, or a year in brackets, is a
# reference-list entry.
_CUT_OFF = re.compile(r"\b(at|from|of|to|in|on|the|a|an|and|or|by|for|with|visit|see)$|[,;:–-]$")
_REFERENCE = re.compile(r"‘[^’]+’,|\((?:19|20)\d\d\)")


def _reads_as_sentence(body: str) -> bool:
    """Whether a piece without its full stop reads as a sentence: not cut off, not a
    reference, not mostly names (a list of councils) or figures (a table's row)."""
    if _CUT_OFF.search(body) or _REFERENCE.search(body) or body.startswith(("(", "‘")):
        return False
    words = body.split()
    figures = sum(1 for w in words if re.search(r"\d", w))
    names = sum(1 for w in words if w[0].isupper())
    return figures * 5 <= len(words) and names * 2 <= len(words)


def _ends_paragraph(text: str, spans: Sequence[tuple[int, int]], i: int, words: int) -> bool:
    """A long piece with no full stop that ends its paragraph, the next one not carrying
    on from it (a PDF line wrapped across a blank line goes on in lower case). A list
    item is not one: it is quoted with its lead-in."""
    if words < UNSTOPPED_WORDS or i + 1 >= len(spans):
        return False  # the passage ends here: the sentence may go on in the next one
    if not re.match(r"[ \t]*\n[ \t]*\n", text[spans[i][1] :]):
        return False
    after = text[spans[i + 1][0] : spans[i + 1][1]].strip()
    return not after or not after[0].islower() or bool(_URL.match(after))


def _list_pieces(
    text: str, spans: Sequence[tuple[int, int]], lead: int
) -> tuple[list[list[int]], bool]:
    """The items of the bulleted list after the lead-in at ``spans[lead]``, each as the
    span indices it is made of (a wrapped line goes on in lower case), and whether the
    list is whole in the passage."""
    items: list[list[int]] = []
    for j in range(lead + 1, len(spans)):
        piece = text[spans[j][0] : spans[j][1]].strip()
        if not piece:
            continue
        if _BULLET.match(piece):
            items.append([j])
        elif items and piece[0].islower():
            items[-1].append(j)
        else:
            return items, True  # the list has ended
    # The passage ends in the list: whole only if its last item ends a sentence.
    last = text[spans[items[-1][-1]][0] : spans[items[-1][-1]][1]].strip() if items else ""
    return items, bool(_END.search(last))


def _with_list(text: str, spans: Sequence[tuple[int, int]], lead: int) -> Sentence | None:
    """The lead-in at ``spans[lead]`` and the bulleted list after it, if whole and short."""
    items, ended = _list_pieces(text, spans, lead)
    if not ended or len(items) < 2:
        return None  # the passage cuts the list off: not whole
    if any(_asks(text, spans, item) for item in items):
        return None  # a list of the guide's own questions answers none
    start, end = spans[lead][0], spans[items[-1][-1]][1]
    raw = text[start:end].strip()
    body = " ".join(raw.split())
    if len(body.split()) > MAX_WORDS or not _END.search(body):
        return None
    offset = text.find(raw, start)
    return Sentence(body, offset, offset + len(raw), "list")


def _items(text: str, spans: Sequence[tuple[int, int]], lead: int) -> list[Sentence]:
    """A list too long to quote whole: its lead-in with each item, "lead-in … item".

    An item of a few words ("payroll") says too little to be quoted on its own; an
    item the passage cuts off is left out, and so is a list of questions. An item
    that is a whole sentence stays quotable alone too.
    """
    items = _whole_items(text, spans, lead, least=2)
    if not items:
        return []
    lead_start, lead_end = _trimmed(text, spans[lead])
    bullet = _BULLET.match(text[lead_start:lead_end])
    lead_start += bullet.end() if bullet else 0
    lead_text = " ".join(text[lead_start:lead_end].split())
    out = []
    for start, end in items:
        said = " ".join(text[start:end].split())
        if len(said.split()) < 5 or len(lead_text.split()) + len(said.split()) > MAX_WORDS:
            continue
        out.append(
            Sentence(
                f"{lead_text}{ELISION}{said}",
                lead_start,
                end,
                "item",
                parts=((lead_start, lead_end), (start, end)),
            )
        )
    return out


def _opening_items(text: str, spans: Sequence[tuple[int, int]]) -> list[Sentence]:
    """The items of a list the passage opens with, its lead-in in the passage before:
    each item that says enough alone (ORPHAN_WORDS or more) is quoted by itself (an
    answer shows one begun in lower case after an ellipsis: "… location – where…")."""
    lead = -1
    while lead + 1 < len(spans) and not text[spans[lead + 1][0] : spans[lead + 1][1]].strip():
        lead += 1
    if lead + 1 >= len(spans) or not _BULLET.match(text[spans[lead + 1][0] :].lstrip()):
        return []
    out = []
    for start, end in _whole_items(text, spans, lead):
        said = " ".join(text[start:end].split())
        if said[:1].isupper():
            # Stopped, a sentence by itself (quoted as one); unstopped, a name or a title
            # ("East Lindsey and South Holland Councils: merged back office functions").
            continue
        if ORPHAN_WORDS <= len(said.split()) <= MAX_WORDS:
            out.append(Sentence(said, start, end, "item", parts=((start, end),)))
    return out


def _whole_items(
    text: str, spans: Sequence[tuple[int, int]], lead: int, least: int = 1
) -> list[tuple[int, int]]:
    """Where the words of each item after ``spans[lead]`` are, if the list has at least
    ``least`` items and none is a question; an item the passage may cut off is left out."""
    items, ended = _list_pieces(text, spans, lead)
    if len(items) < least or any(_asks(text, spans, item) for item in items):
        return []
    return [_item_span(text, spans, item) for item in (items if ended else items[:-1])]


def _item_span(text: str, spans: Sequence[tuple[int, int]], item: list[int]) -> tuple[int, int]:
    """Where a list item's words are: without its bullet, the web address after it, or
    the "; and" that joins it to the next."""
    start, _ = _trimmed(text, spans[item[0]])
    _, end = _trimmed(text, spans[item[-1]])
    bullet = _BULLET.match(text[start:end])
    start += bullet.end() if bullet else 0
    link = _ITEM_LINK.search(text, start, end)
    end = link.start() if link else end
    joiner = _JOINER.search(text, start, end)
    return start, joiner.start() if joiner else end


def _asks(text: str, spans: Sequence[tuple[int, int]], item: list[int]) -> bool:
    return text[spans[item[0]][0] : spans[item[-1]][1]].strip().rstrip('"”’)').endswith("?")


def _trimmed(text: str, span: tuple[int, int]) -> tuple[int, int]:
    """``span`` without the whitespace at its ends."""
    start, end = span
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


_TERM = re.compile(r"[a-z0-9£]+")


class TermWeights:
    """How much a question's words say, by their rarity in the library (idf).

    The model's similarity misses a sentence that repeats the question's rare
    words in another order ("benchmarking groups for frontline services"); the
    share of the question's idf mass a sentence carries gives that back.
    """

    def __init__(self, texts: Sequence[str]) -> None:
        import Stemmer

        from kb.core.stop_words import english_stop_words

        self._stop = english_stop_words()
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
