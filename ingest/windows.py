"""Sentence windows: the small units the dense side also matches a question against."""

from __future__ import annotations

import re

from kb.models import Chunk, Window

# Sentence ends, paragraph breaks and bullets starting a line.
_BREAK = re.compile(r"(?<=[.!?])[\"”’)]?\s+(?=[\"“‘(]?[A-Z0-9£•])|\n\s*\n|\n(?=\s*[•▪●◦\-–*]\s)")


def sentences(text: str) -> list[str]:
    """Every sentence-like piece of ``text``, whitespace collapsed; nothing dropped."""
    return [" ".join(p.split()) for p in _BREAK.split(text) if p and p.strip()]


def sentence_windows(chunk: Chunk, size: int) -> list[Window]:
    """Overlapping windows of ``size`` consecutive sentences (stride one); none if size is 0."""
    if size <= 0:
        return []
    parts = sentences(chunk.text)
    if len(parts) <= size:
        return [Window(chunk.id, " ".join(parts))] if parts else []
    return [Window(chunk.id, " ".join(parts[i : i + size])) for i in range(len(parts) - size + 1)]
