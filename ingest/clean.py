"""Clean extracted text so only the document's own words reach the index.

PDF text: tabs and odd spacing normalised, ligatures unfolded, repeated URL
lines collapsed, running headers and footers removed, lines re-flowed into
paragraphs, and page numbers recovered from the footers the text shows.
Web text: share buttons, cookie notices, comment and newsletter prompts and
sidebars of unrelated news are dropped.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from kb.core.records import PageMark

_FOOTER_LEFT = re.compile(r"^\s*(\d{1,3})\s{3,}(\S.*?)\s*$")
_FOOTER_RIGHT = re.compile(r"^\s*(\S.*?)\s{3,}(\d{1,3})\s*$")
_URL = re.compile(r"^(https?://|www\.)\S+$", re.I)
_BULLET = re.compile(r"^([•◦▪●\-–*]|\d{1,2}\.)\s+")
# Box and case-study headings that the PDF runs straight into their text.
_STANDALONE = re.compile(
    r"^(useful resources|contacts|case study \d+|what was the( \w+['’]?s?)? approach\?|"
    r"what['’]s been (achieved|learned|learnt)\?)$",
    re.I,
)
_MAILTO = re.compile(r"^(mailto:\S+\s*)+$", re.I)
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Lines that belong to the web page, not the article. Patterns are anchored
# to whole lines so article sentences that mention, say, cookies survive.
_WEB_CLUTTER = [
    r"skip to content",
    r"(add|share) this article (to|on) .*",
    r"email this article",
    r"view or print a pdf of this page",
    r"share further",
    r"bookmark this page",
    r"share( this)?( on)? (twitter|facebook|linkedin|email)",
    r"by using this website, you accept the use of cookies.*",
    r"(we use|this (web)?site uses) cookies.*",
    r"accept( all)? cookies",
    r"learn more\s*→?",
    r"click here to .*",
    r"to (read|visit) .*please click here\.?",
    r"latest public sector news",
    r"source: pse - .*",
    r"your email address will not be published.*",
    r"thank you! your subscription has been confirmed.*",
    r"subscribe to our newsletter",
    r"sign up (to|for) our newsletter.*",
    r"\d+ min read\b.*",
]
_WEB_CLUTTER_RE = re.compile(r"^(?:" + "|".join(_WEB_CLUTTER) + r")$", re.I)
# Everything after one of these is comments or a sidebar of unrelated news.
_WEB_END = re.compile(
    r"^(leave a reply|tell us what you think.*|there are no comments.*|add your comment|"
    r"public sector executive tv|related (articles|news)|more news|comments)\s*$",
    re.I,
)
# A byline such as "4 min read Written by: Victoria Ford" keeps the author.
_BYLINE = re.compile(r"^\d+ min read\s+written by:\s*(.+)$", re.I)


def normalise_line(line: str) -> str:
    """Unicode-normalise (unfolds ligatures), drop controls, collapse spacing."""
    line = unicodedata.normalize("NFKC", line)
    line = _CONTROL.sub("", line)
    return _SPACES.sub(" ", line).strip()


@dataclass
class _Builder:
    """Accumulates paragraphs and knows the output offset of every line."""

    parts: list[str]
    length: int = 0
    in_paragraph: bool = False
    last_line: str = ""
    paragraph_start: int = 0
    paragraph_first: str = ""

    def add_line(self, line: str, new_paragraph: bool, new_line: bool) -> int:
        if self.length and (new_paragraph or not self.in_paragraph):
            sep = "\n\n"
        elif self.length and new_line:
            sep = "\n"
        elif self.length:
            # Re-join a word broken at a line end ("long-" + "established").
            sep = "" if self.last_line.endswith("-") and line[:1].islower() else " "
        else:
            sep = ""
        self.parts.append(sep)
        self.length += len(sep)
        if sep == "\n\n" or not self.length:
            self.paragraph_start = self.length
            self.paragraph_first = line[:1]
        offset = self.length
        self.parts.append(line)
        self.length += len(line)
        self.in_paragraph = True
        self.last_line = line
        return offset

    def end_paragraph(self) -> None:
        self.in_paragraph = False

    @property
    def paragraph_length(self) -> int:
        return self.length - self.paragraph_start

    @property
    def text(self) -> str:
        return "".join(self.parts)


def running_titles(lines: list[str]) -> set[str]:
    """Texts that appear beside a page number on two or more lines: page furniture."""
    counts: Counter[str] = Counter()
    for line in lines:
        m = _FOOTER_LEFT.match(line) or _FOOTER_RIGHT.match(line)
        if m:
            title = m.group(2) if m.re is _FOOTER_LEFT else m.group(1)
            counts[normalise_line(title)] += 1
    return {title for title, n in counts.items() if n >= 2 and len(title) > 8}


def _footer_page(line: str, titles: set[str]) -> int | None:
    m = _FOOTER_LEFT.match(line)
    if m and normalise_line(m.group(2)) in titles:
        return int(m.group(1))
    m = _FOOTER_RIGHT.match(line)
    if m and normalise_line(m.group(1)) in titles:
        return int(m.group(2))
    return None


def clean_pdf_text(raw: str, furniture: tuple[str, ...] = ()) -> tuple[str, list[PageMark]]:
    """Clean text extracted from a PDF and recover its page numbers.

    A line starting with a single space usually starts a new PDF page; a
    footer such as ``14    Shared services ...`` ends page 14. Pages between
    footers are estimated and marked inexact. ``furniture`` lists further
    page headers to drop (a document profile supplies them).
    """
    drop = {normalise_line(f).lower() for f in furniture}
    lines = raw.splitlines()
    titles = running_titles(lines)
    out = _Builder([])
    anchors: list[tuple[int, int]] = []  # (offset where page ends, page)
    page_starts: list[int] = []
    last_kept = ""
    for line in lines:
        page = _footer_page(line, titles) if titles else None
        if page is not None:
            anchors.append((out.length, page))
            out.end_paragraph()
            continue
        starts_page = line.startswith(" ") and not line.startswith("  ") and line.strip()
        text = normalise_line(line)
        if not text:
            out.end_paragraph()
            continue
        if (_URL.match(text) and text == last_kept) or _MAILTO.match(text):
            continue  # extraction repeats link lines two to six times
        if text.lower() in drop:
            continue
        bullet = bool(_BULLET.match(text))
        standalone = bool(_STANDALONE.match(text))
        # A new page starts a new paragraph unless a sentence runs over it.
        new_par = standalone or (
            bool(starts_page)
            and (
                last_kept[-1:] in '.?!:;"”’)'
                or _URL.match(last_kept) is not None
                or (text[:1].isupper() and len(text) < 40)
            )
        )
        offset = out.add_line(text, new_paragraph=new_par, new_line=bullet)
        # A short paragraph ending in a question is a heading ("Is sharing
        # legal?") even where the PDF ran it into the next line.
        if standalone or (
            not bullet
            and text.endswith("?")
            and out.paragraph_length < 90
            and out.paragraph_first.isupper()
        ):
            out.end_paragraph()
        if starts_page:
            page_starts.append(offset)
        last_kept = text
    text = out.text
    return text, estimate_pages(anchors, page_starts, len(text))


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


def clean_pdf_pages(pages: list[tuple[int, str]]) -> tuple[str, list[PageMark]]:
    """Clean a real PDF page by page; page numbers are exact."""
    page_lines = [p.splitlines() for _, p in pages]
    repeated = _repeated_edge_lines(page_lines)
    out = _Builder([])
    marks: list[PageMark] = []
    for (number, _), lines in zip(pages, page_lines, strict=True):
        first = True
        for line in lines:
            text = normalise_line(line)
            if not text or text in repeated or text.isdigit():
                if not text:
                    out.end_paragraph()
                continue
            offset = out.add_line(text, False, bool(_BULLET.match(text)))
            if first:
                marks.append(PageMark(offset, number, exact=True))
                first = False
    return out.text, marks


def _repeated_edge_lines(page_lines: list[list[str]]) -> set[str]:
    # Running headers and footers: the same first or last lines on most pages.
    if len(page_lines) < 3:
        return set()
    counts: Counter[str] = Counter()
    for lines in page_lines:
        kept = [normalise_line(x) for x in lines if x.strip()]
        counts.update(set(kept[:2] + kept[-2:]))
    return {t for t, n in counts.items() if n >= max(3, len(page_lines) // 2)}


def clean_web_text(raw: str) -> str:
    """Article text from a copied web page: one paragraph per line."""
    paragraphs: list[str] = []
    for line in raw.splitlines():
        text = normalise_line(line)
        text = re.sub(r"^[•▪●]\s*", "", text)
        if not text:
            continue
        if _WEB_END.match(text):
            break
        byline = _BYLINE.match(text)
        if byline:
            paragraphs.append(f"Written by: {byline.group(1)}")
            continue
        if _WEB_CLUTTER_RE.match(text):
            continue
        paragraphs.append(text)
    return "\n\n".join(paragraphs)


def clean_plain_text(raw: str) -> str:
    """Plain text or Markdown: normalised lines, paragraphs kept."""
    out: list[str] = []
    for line in raw.splitlines():
        text = normalise_line(line)
        if text or (out and out[-1]):
            out.append(text)
    return "\n".join(out).strip()
