"""Find a document's sections: headings, their hierarchy, and their spans.

A reviewed outline (``corpus/structure/<doc id>.yaml``) names the headings of
a known document; rules find what recurs in guides of the same shape (case
studies and their parts, "Useful resources" boxes, section diagrams) and the
headings of documents without an outline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kb.core.records import Section
from kb.core.text import fold

_CASE = re.compile(r"^case study (\d+)$", re.I)
_CASE_PART = re.compile(
    r"^(what was the( \w+['’]?s?)? approach\?"
    r"|what['’]s been (achieved|learned|learnt)\?|contacts)$",
    re.I,
)
_RESOURCES = re.compile(r"^useful resources$", re.I)
_NAVIGATION = re.compile(r"^the structure of this section:?$", re.I)
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*$")
# "Written by: Victoria Ford", "By Jo Bloggs": who wrote it, not a heading.
_BYLINE = re.compile(r"^(written by|posted by|author|by)\b:?\s", re.I)


@dataclass(frozen=True)
class OutlineHeading:
    title: str
    level: int
    kind: str = "body"
    starts_at: str | None = None


@dataclass
class Profile:
    """What a reviewed outline file says about one document."""

    headings: list[OutlineHeading] = field(default_factory=list)
    furniture: tuple[str, ...] = ()
    case_ids: dict[int, str] = field(default_factory=dict)
    # A reviewed document (it has a profile file): only then do corpus-specific
    # cleaning rules run, each named in ``rules`` (see RULES).
    known: bool = False
    rules: frozenset[str] = frozenset()


# Cleaning rules a profile may ask for; none runs on an upload.
RULES = frozenset(
    {
        "web-page-end",  # drop everything from "Related articles" / "Comments" on
        "drop-digit-lines",  # drop lines of digits alone from a PDF's pages (table figures)
    }
)


def load_profile(structure_dir: Path, doc_id: str) -> Profile:
    path = structure_dir / f"{doc_id}.yaml"
    if not path.exists():
        return Profile()
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    rules = frozenset(data.get("rules") or ())
    if rules - RULES:
        raise ValueError(f"{path.name}: unknown cleaning rules {sorted(rules - RULES)}.")
    return Profile(
        headings=[OutlineHeading(**h) for h in data.get("headings") or []],
        furniture=tuple(data.get("furniture") or ()),
        case_ids={int(k): str(v) for k, v in (data.get("case_ids") or {}).items()},
        known=True,
        rules=rules,
    )


@dataclass(frozen=True)
class Paragraph:
    start: int
    end: int
    text: str


def paragraphs(text: str) -> list[Paragraph]:
    out = []
    for m in re.finditer(r"[^\n]+(?:\n[^\n]+)*", text):
        out.append(Paragraph(m.start(), m.end(), m.group()))
    return out


def _norm(text: str) -> str:
    return fold(text).rstrip(":")


def _is_prose(p: Paragraph | None) -> bool:
    return p is not None and (len(p.text) > 70 or p.text.startswith(("•", "-")))


@dataclass(frozen=True)
class _Event:
    index: int  # paragraph index where the heading is
    level: int
    title: str
    kind: str
    span: int = 1  # paragraphs the heading itself occupies
    case_number: int | None = None


def split_sections(doc_id: str, text: str, profile: Profile | None = None) -> list[Section]:
    """Cut cleaned text into sections with heading paths, in reading order."""
    profile = profile or Profile()
    paras = paragraphs(text)
    events = _outline_events(paras, profile.headings) if profile.headings else []
    events += _rule_events(paras, events, generic=not profile.headings)
    events.sort(key=lambda e: (e.index, e.level))
    return _build_sections(doc_id, text, paras, events, profile)


def _candidates(paras: list[Paragraph], target: str) -> list[tuple[int, int]]:
    """Paragraph indexes (and how many paragraphs) whose text is the heading."""
    found = []
    for i, p in enumerate(paras):
        t = _norm(p.text)
        if t == target:
            found.append((i, 1))
        elif target.startswith(t) and len(t) > 8 and i + 1 < len(paras):
            if _norm(p.text + " " + paras[i + 1].text) == target:
                found.append((i, 2))
    return found


def _outline_events(paras: list[Paragraph], outline: list[OutlineHeading]) -> list[_Event]:
    # Headings also appear in contents diagrams; the real one is followed by
    # prose. Pass 1 places those in order; pass 2 places the rest between.
    cands = {h.title: _candidates(paras, _norm(h.starts_at or h.title)) for h in outline}
    placed: list[tuple[int, int] | None] = [None] * len(outline)
    cursor = 0
    for n, h in enumerate(outline):
        for i, span in cands[h.title]:
            if i >= cursor and (h.starts_at or _is_prose(_next(paras, i + span))):
                placed[n] = (i, span)
                cursor = i + span
                break
    for n, h in enumerate(outline):
        if placed[n] is not None:
            continue
        lo = max((p[0] for p in placed[:n] if p), default=-1)
        hi = min((p[0] for p in placed[n + 1 :] if p), default=len(paras))
        between = [c for c in cands[h.title] if lo < c[0] < hi]
        if between:
            placed[n] = between[-1]
    events = []
    for h, p in zip(outline, placed, strict=True):
        if p is None:
            continue
        span = 0 if h.starts_at else p[1]
        events.append(_Event(p[0], h.level, h.title, h.kind, span))
    return events


def _next(paras: list[Paragraph], i: int) -> Paragraph | None:
    return paras[i] if i < len(paras) else None


def _rule_events(paras: list[Paragraph], known: list[_Event], generic: bool) -> list[_Event]:
    taken = {e.index for e in known if e.span}
    events: list[_Event] = []
    case_level = max((e.level for e in known if e.kind == "case-study"), default=0) + 1
    i = 0
    while i < len(paras):
        p = paras[i]
        text = p.text.strip()
        if i in taken:
            i += 1
            continue
        m = _CASE.match(text)
        if m:
            # The case study's title runs until its first part heading.
            j = i + 1
            title_parts = []
            while (
                j < len(paras)
                and j - i <= 4
                and not _CASE_PART.match(paras[j].text.strip())
                and not _CASE.match(paras[j].text.strip())  # a malformed case with no parts
            ):
                title_parts.append(paras[j].text.strip())
                j += 1
            title = f"Case study {m.group(1)}: " + " ".join(title_parts)
            events.append(_Event(i, case_level, title, "case-study", j - i, int(m.group(1))))
            i = j
            continue
        if _CASE_PART.match(text):
            events.append(_Event(i, case_level + 1, text, "case-study"))
        elif _RESOURCES.match(text):
            events.append(_Event(i, 99, "Useful resources", "resources"))
        elif _NAVIGATION.match(text):
            events.append(_Event(i, 99, "The structure of this section", "navigation"))
        elif generic:
            md = _MD_HEADING.match(text)
            if md:
                events.append(_Event(i, len(md.group(1)), md.group(2), "body"))
            elif _looks_like_heading(text, _next(paras, i + 1)) and i > 0:
                events.append(_Event(i, 1, text, "body"))
        i += 1
    return events


def _looks_like_heading(text: str, following: Paragraph | None) -> bool:
    words = text.split()
    return (
        0 < len(words) <= 10
        and len(text) < 70
        and text[:1].isupper()
        and text[-1:] not in '.,;:”"’'
        and not text.startswith(("•", "-", "“", '"'))
        and not _BYLINE.match(text)
        and _is_prose(following)
    )


def _build_sections(
    doc_id: str, text: str, paras: list[Paragraph], events: list[_Event], profile: Profile
) -> list[Section]:
    sections: list[Section] = []
    stack: list[tuple[int, str, str]] = []  # (level, title, kind)
    case_id: str | None = None
    pos = 0
    path: tuple[str, ...] = ()
    kind = "front"
    for ev in events:
        start = paras[ev.index].start
        if start > pos:
            sections.append(Section(doc_id, path, pos, start, kind, case_id))
        level = ev.level
        if level == 99:  # boxes and diagrams sit under whatever section holds them
            while stack and stack[-1][2] in ("resources", "navigation"):
                stack.pop()
            level = (stack[-1][0] + 1) if stack else 1
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, ev.title, ev.kind))
        path = tuple(t for _, t, _ in stack)
        kind = (
            ev.kind
            if ev.kind != "body"
            else next((k for _, _, k in reversed(stack[:-1]) if k not in ("body",)), "body")
        )
        if ev.kind == "resources":
            kind = "resources"
        if ev.case_number is not None:
            case_id = profile.case_ids.get(ev.case_number) or _slug(ev.title)
        elif not any(k == "case-study" for _, _, k in stack):
            case_id = None
        pos = start
    sections.append(Section(doc_id, path, pos, len(text), kind, case_id))
    return [s for s in sections if text[s.start : s.end].strip()]


def _slug(title: str) -> str:
    title = re.sub(r"^case study \d+:\s*", "", title, flags=re.I)
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:50]
