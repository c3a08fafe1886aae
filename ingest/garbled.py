"""Finding text that a PDF's two columns ran together, so no answer quotes it.

The guide's text was extracted line by line across both columns of some pages,
giving lines such as "announced their intention to retire. Councils district
councils were discussing the". Such a line is about twice as long as a column
line, and it comes in runs: a page of the guide set in two columns gives one
after another. The line lengths are only seen in the raw text (cleaning joins
lines into paragraphs), so the raw lines are found and then located in the
cleaned text. Where the split point cannot be known, the span is marked, not
repaired: a reader still sees it in the library, but no answer quotes it.
"""

from __future__ import annotations

import re

from kb.core.text import fold

__all__ = ["garbled_spans"]

# A raw line at least this much longer than the document's typical line is
# two columns' worth; this many of them within a window of WINDOW lines is a
# two-column stretch read across (a single long line is a full-width box).
LONG_FACTOR = 1.65
MIN_IN_WINDOW = 3
WINDOW = 5
_LINK = re.compile(r"https?://|www\.", re.I)


def _typical_length(lines: list[str]) -> float:
    lengths = sorted(len(line) for line in lines if line)
    return float(lengths[len(lengths) // 2]) if lengths else 0.0


def garbled_lines(raw_text: str) -> list[str]:
    """Raw lines (whitespace collapsed) that belong to a run of column-crossing lines."""
    lines = [" ".join(line.split()) for line in raw_text.splitlines()]
    typical = _typical_length(lines)
    if not typical:
        return []
    long = [len(line) >= LONG_FACTOR * typical and not _LINK.search(line) for line in lines]
    marked = set()
    for i in range(len(lines)):
        window = range(i, min(len(lines), i + WINDOW))
        if sum(long[j] for j in window) >= MIN_IN_WINDOW:
            marked |= {j for j in window if long[j]}
    return [lines[j] for j in sorted(marked)]


def garbled_spans(raw_text: str, clean_text: str) -> list[tuple[int, int]]:
    """Character spans of ``clean_text`` that hold column-crossing lines, merged."""
    spans: list[tuple[int, int]] = []
    for line in garbled_lines(raw_text):
        words = [w for w in line.replace("•", " ").split() if w]
        if len(words) < 4:
            continue
        pattern = r"\s+".join(re.escape(w) for w in words)
        for m in re.finditer(pattern, clean_text):
            spans.append((m.start(), m.end()))
        if not spans or spans[-1][1] <= 0:
            # Cleaning may have changed dashes or quotes: fall back to folded matching.
            at = fold(clean_text).find(fold(line))
            if at >= 0:
                spans.append((at, at + len(line)))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
