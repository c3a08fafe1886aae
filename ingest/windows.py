"""Sentence windows: the small units the dense side also matches a question against."""

from __future__ import annotations

from kb.core.records import Chunk, Window
from kb.core.text import split_sentences


def sentence_windows(chunk: Chunk, size: int) -> list[Window]:
    """Overlapping windows of ``size`` consecutive sentences (stride one); none if size is 0."""
    if size <= 0:
        return []
    parts = split_sentences(chunk.text)
    if len(parts) <= size:
        return [Window(chunk.id, " ".join(parts))] if parts else []
    return [Window(chunk.id, " ".join(parts[i : i + size])) for i in range(len(parts) - size + 1)]
