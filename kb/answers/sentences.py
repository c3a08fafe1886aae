"""The sentences of a passage an answer may quote: whole, self-standing, not headings."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb.core.text import sentence_spans

__all__ = ["Sentence", "split_sentences"]

_BULLET = re.compile(r"^[•▪●◦\-–*]\s+")
_END = re.compile(r"[.!?][\"”’)]?$")
_URL = re.compile(r"https?://|www\.|\.gov\.uk|\.org|\.com", re.I)


@dataclass(frozen=True)
class Sentence:
    """A sentence of a passage: its display text and its span in the passage text."""

    text: str
    start: int
    end: int = 0


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of a passage worth quoting, in reading order.

    Headings and questions, short bullet fragments, link lists and the cut-off
    sentences at the ends of a chunk are left out. Each sentence's text, with
    whitespace collapsed, occurs in the passage between ``start`` and ``end``.
    """
    out: list[Sentence] = []
    for start, end in sentence_spans(text):
        raw = text[start:end]
        body = _BULLET.sub("", raw.strip())
        body = " ".join(body.split())
        words = body.split()
        if len(words) < 6 or len(words) > 70 or not re.search(r"[a-z]", body):
            continue
        if len(_URL.findall(body)) and len(words) < 12:
            continue
        if not body[0].isupper() and not body[0].isdigit() and body[0] not in '£"“‘(':
            continue  # a list item or the tail of a sentence begun elsewhere: not whole
        if body.endswith(":"):
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
