"""Page numbers for a PDF read as one text: from its printed footers, estimated between them."""

from __future__ import annotations

from kb.core.records import PageMark

__all__ = ["estimate_pages"]


def estimate_pages(
    anchors: list[tuple[int, int]], page_starts: list[int], length: int
) -> list[PageMark]:
    """Page marks from printed page numbers, interpolating between them.

    The page each footer closes is exact from the page start just before it;
    other pages are spread evenly between footers and snapped to the nearest
    page-start line, and marked inexact.
    """
    if not anchors:
        return []
    anchors = sorted(set(anchors))
    per_page = _chars_per_page(anchors)
    marks: dict[int, PageMark] = {}
    first_off, first_page = anchors[0]
    # Pages before the first footer, back to page 1 or the start of the text.
    boundaries: list[tuple[float, int]] = []
    for i, (off, page) in enumerate(anchors):
        nxt = anchors[i + 1] if i + 1 < len(anchors) else None
        span = (nxt[0] - off) / (nxt[1] - page) if nxt and nxt[1] > page else per_page
        last = nxt[1] if nxt else page + max(1, int((length - off) / per_page) + 1)
        for k, p in enumerate(range(page + 1, last + 1)):
            boundaries.append((off + k * span, p))
    k = 1
    while first_page - k >= 1 and first_off - k * per_page > 0:
        boundaries.append((first_off - k * per_page, first_page - k + 1))
        k += 1
    start_page = max(1, first_page - k + 1)
    marks[0] = PageMark(0, start_page, exact=False)
    for est, page in boundaries:
        start = _snap(est, page_starts, per_page / 3)
        if 0 < start < length:
            marks[start] = PageMark(start, page, exact=False)
    for off, page in anchors:
        # The page a footer closes: exact from the last page-start before it.
        before = [s for s in page_starts if s < off and off - s < per_page * 1.5]
        if before:
            marks[before[-1]] = PageMark(before[-1], page, exact=True)
        if off < length:
            marks[off] = PageMark(off, page + 1, exact=False)
    ordered = sorted(marks.values(), key=lambda m: m.start)
    # Keep pages monotonic: an estimate may not jump behind an exact neighbour.
    result: list[PageMark] = []
    for mark in ordered:
        if result and mark.page < result[-1].page:
            continue
        result.append(mark)
    return result


def _chars_per_page(anchors: list[tuple[int, int]]) -> float:
    spans = [  # footers at one offset (no text between them) say nothing of page length
        (b[0] - a[0]) / (b[1] - a[1])
        for a, b in zip(anchors, anchors[1:], strict=False)
        if b[1] > a[1] and b[0] > a[0]
    ]
    return sum(spans) / len(spans) if spans else 3000.0


def _snap(offset: float, starts: list[int], window: float) -> int:
    best = min(starts, key=lambda s: abs(s - offset), default=None)
    if best is not None and abs(best - offset) <= window:
        return best
    return int(offset)
