"""Clean extracted text so only the document's own words reach the index.

PDF text: tabs and odd spacing normalised, ligatures unfolded, repeated URL
lines collapsed, running headers and footers removed, lines re-flowed into
paragraphs, and page numbers recovered from the footers the text shows.
Web text: share buttons, cookie notices, comment and newsletter prompts and
(for known pages) sidebars of unrelated news are dropped. Every cleaner
reports how many characters it dropped and why; rules that fit only this
corpus run only for documents whose profile asks for them.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from ingest.columns import read_columns
from ingest.pages import estimate_pages
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


@dataclass
class Cleaned:
    """A cleaned text and what cleaning did to it.

    ``garbled``: spans of ``text`` where two columns ran together and could not
    be repaired. ``dropped``: characters removed, by reason. ``repaired``: runs
    of crossed columns put back into column order.
    """

    text: str
    pages: list[PageMark] = field(default_factory=list)
    garbled: list[tuple[int, int]] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)
    repaired: int = 0

    def drop(self, reason: str, text: str) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + len(text)


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
    """Clean text extracted from a PDF and recover its page numbers (see clean_pdf)."""
    cleaned = clean_pdf(raw, furniture)
    return cleaned.text, cleaned.pages


def clean_pdf(raw: str, furniture: tuple[str, ...] = (), headings: tuple[str, ...] = ()) -> Cleaned:
    """Clean text extracted from a PDF and recover its page numbers.

    A line starting with a single space usually starts a new PDF page; a
    footer such as ``14    Shared services ...`` ends page 14. Pages between
    footers are estimated and marked inexact. Runs of lines that read across
    two columns are put back into column order, or marked garbled where they
    cannot be. A document's profile supplies ``furniture`` (further page
    headers to drop) and ``headings`` (its outline, so a heading the PDF ran
    into a neighbouring line still stands on its own).
    """
    drop = {normalise_line(f).lower() for f in furniture}
    lines, marked, repaired = _uncross_columns(raw.splitlines())
    lines, before, after = _free_headings(lines, headings)
    titles = running_titles(lines)
    out = _Builder([])
    result = Cleaned("", repaired=repaired)
    anchors: list[tuple[int, int]] = []  # (offset where page ends, page)
    page_starts: list[int] = []
    last_kept = ""
    for i, line in enumerate(lines):
        page = _footer_page(line, titles) if titles else None
        if page is not None:
            result.drop("page footer", normalise_line(line))
            anchors.append((out.length, page))
            out.end_paragraph()
            continue
        starts_page = line.startswith(" ") and not line.startswith("  ") and line.strip()
        text = normalise_line(line)
        if not text:
            out.end_paragraph()
            continue
        if _URL.match(text) and text == last_kept:
            result.drop("repeated link", text)  # extraction repeats link lines 2 to 6 times
            continue
        if _MAILTO.match(text):
            result.drop("mailto link", text)
            continue
        if text.lower() in drop:
            result.drop("page furniture", text)
            continue
        bullet = bool(_BULLET.match(text))
        standalone = bool(_STANDALONE.match(text))
        # A new page starts a new paragraph unless a sentence runs over it.
        new_par = (
            standalone
            or i in before
            or (
                bool(starts_page)
                and (
                    last_kept[-1:] in '.?!:;"”’)'
                    or _URL.match(last_kept) is not None
                    or (text[:1].isupper() and len(text) < 40)
                )
            )
        )
        offset = out.add_line(text, new_paragraph=new_par, new_line=bullet)
        if i in marked:
            result.garbled.append((offset, offset + len(text)))
        # A short paragraph ending in a question is a heading ("Is sharing
        # legal?") even where the PDF ran it into the next line.
        if (
            standalone
            or i in after
            or (
                not bullet
                and text.endswith("?")
                and out.paragraph_length < 90
                and out.paragraph_first.isupper()
            )
        ):
            out.end_paragraph()
        if starts_page:
            page_starts.append(offset)
        last_kept = text
    result.text = out.text
    result.pages = estimate_pages(anchors, page_starts, len(result.text))
    result.garbled = _merge(result.garbled)
    return result


def _uncross_columns(lines: list[str]) -> tuple[list[str], set[int], int]:
    """Lines with crossed-column runs put in column order.

    Returns the lines, the indexes of lines in runs left as they were (to be
    marked garbled), and how many runs were repaired.
    """
    out: list[str] = []
    marked: set[int] = set()
    pos = 0
    repaired = 0
    for run in read_columns(lines):
        out += lines[pos : run.start]
        if run.left is not None and run.right is not None:
            repaired += 1
            # Keep the page-start space the first line had; the columns are paragraphs apart.
            lead = " " if lines[run.start].startswith(" ") else ""
            out += [lead + run.left[0], *run.left[1:], "", *run.right]
        else:
            marked |= set(range(len(out), len(out) + run.end - run.start))
            out += lines[run.start : run.end]
        pos = run.end
    out += lines[pos:]
    return out, marked, repaired


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + 2:  # lines joined by a space or a break
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _heading_key(text: str) -> str:
    text = text.lower().replace("’", "'").replace("‘", "'").replace("–", "-")
    return " ".join(text.split()).rstrip(":")


def _free_headings(
    lines: list[str], headings: tuple[str, ...]
) -> tuple[list[str], set[int], set[int]]:
    """Stand an outline heading on its own where the PDF ran it into a neighbour.

    Two cases: a heading glued to the end of the line before it ("...of
    withdrawing?What will be the benefits of sharing?"), split off; and a
    heading over one to three whole lines that runs straight into its text,
    given a paragraph break before and after. Returns the lines and the
    indexes to break before and after.
    """
    keys = {_heading_key(h) for h in headings}
    if not keys:
        return lines, set(), set()
    out: list[str] = []
    for line in lines:
        text = normalise_line(line)
        glued = next(
            (
                k
                for k in keys
                if _heading_key(text).endswith(k)
                and len(text) > len(k)
                and not text[-len(k) - 1].isspace()
                and text[-len(k) - 1] in "?.!:"
            ),
            None,
        )
        if glued:
            out += [text[: -len(glued)], text[-len(glued) :]]
        else:
            out.append(line)
    before: set[int] = set()
    after: set[int] = set()
    normal = [_heading_key(normalise_line(x)) for x in out]
    for i in range(len(out)):
        for n in (1, 2, 3):
            if i + n > len(out) or not all(normal[i : i + n]):
                break
            if " ".join(normal[i : i + n]) in keys:
                before.add(i)
                after.add(i + n - 1)
                break
    return out, before, after


def clean_pdf_pages(pages: list[tuple[int, str]]) -> tuple[str, list[PageMark]]:
    """Clean a real PDF page by page; page numbers are exact (see clean_pdf_document)."""
    cleaned = clean_pdf_document(pages)
    return cleaned.text, cleaned.pages


def clean_pdf_document(pages: list[tuple[int, str]], drop_digit_lines: bool = False) -> Cleaned:
    """Clean a real PDF page by page; page numbers are exact.

    Running headers and footers (the same edge lines on most pages) and a page
    number alone on a page's first or last line go. Other lines of digits
    alone are table figures and stay, unless ``drop_digit_lines`` (a known
    document's profile asks for it).
    """
    page_lines = [p.splitlines() for _, p in pages]
    repeated = _repeated_edge_lines(page_lines)
    out = _Builder([])
    result = Cleaned("")
    for (number, _), lines in zip(pages, page_lines, strict=True):
        first = True
        kept = [i for i, x in enumerate(lines) if x.strip()]
        edges = {kept[0], kept[-1]} if kept else set()
        for i, line in enumerate(lines):
            text = normalise_line(line)
            if not text:
                out.end_paragraph()
                continue
            if text in repeated:
                result.drop("running header or footer", text)
                continue
            if text.isdigit() and (i in edges or drop_digit_lines):
                result.drop("page number" if i in edges else "digit-only line", text)
                continue
            offset = out.add_line(text, False, bool(_BULLET.match(text)))
            if first:
                result.pages.append(PageMark(offset, number, exact=True))
                first = False
    result.text = out.text
    return result


def _repeated_edge_lines(page_lines: list[list[str]]) -> set[str]:
    # Running headers and footers: the same first or last lines on most pages.
    if len(page_lines) < 3:
        return set()
    counts: Counter[str] = Counter()
    for lines in page_lines:
        kept = [normalise_line(x) for x in lines if x.strip()]
        counts.update(set(kept[:2] + kept[-2:]))
    return {t for t, n in counts.items() if n >= max(3, len(page_lines) // 2)}
