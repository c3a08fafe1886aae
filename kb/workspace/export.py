"""Briefings to take away: an assessment or a conversation as Markdown, Word or PDF.

Each export is first built as one list of blocks (a heading, a paragraph, a
labelled field, a quote, a source line), and the three formats only lay those
blocks out, so a Word or PDF file says exactly what the Markdown says, with the
same citations.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import Any

from kb.answers.record import PARTIAL_NOTE
from kb.checklist.assessments import STATUSES, Assessment
from kb.checklist.questions import Checklist, ChecklistItem
from kb.core.records import SECTION_SEP, DocumentMeta

__all__ = [
    "Block",
    "assessment_blocks",
    "assessment_docx",
    "assessment_markdown",
    "assessment_pdf",
    "conversation_blocks",
    "conversation_docx",
    "conversation_markdown",
    "conversation_pdf",
    "date_in_words",
]


@dataclass(frozen=True)
class Block:
    """One piece of an export.

    ``kind`` is ``title``, ``h1``, ``h2``, ``para``, ``field`` (``label``: ``text``),
    ``quote``, ``note`` or ``source``.
    """

    kind: str
    text: str
    label: str = ""


def date_in_words(stamp: str | None) -> str:
    """``2026-12-04T14:05:00Z`` as ``4 December 2026``; anything else as given."""
    if not stamp:
        return ""
    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    return f"{when.day} {when:%B %Y}"


# --- assessments ----------------------------------------------------------------


def _source_label(source: DocumentMeta | None, item: ChecklistItem) -> str:
    section = SECTION_SEP.join(item.section_path) or item.section_title
    if source is None:
        return section
    return f"{source.title} ({source.date_label}), {section}"


def _started(assessment: Assessment, item: ChecklistItem) -> bool:
    state = assessment.state(item.id)
    return state.status != "not_started" or bool(state.notes.strip())


def _done(assessment: Assessment, items: list[ChecklistItem]) -> int:
    return sum(assessment.state(i.id).status in ("done", "not_applicable") for i in items)


def assessment_blocks(
    assessment: Assessment,
    checklist: Checklist,
    source: DocumentMeta | None = None,
    everything: bool = False,
) -> list[Block]:
    """The briefing: each started section's questions with status, notes and guidance.

    Args:
        everything: also list the sections nobody has started (all 80-odd questions).
    """
    owner = assessment.owner or assessment.user
    blocks = [
        Block("title", assessment.name),
        Block("para", f"Assessment by {owner}; last changed {date_in_words(assessment.updated)}."),
    ]
    if source is not None:
        blocks.append(
            Block("para", f"Questions and guidance from {source.title} ({source.date_label}).")
        )
    left_out = 0
    for kq, kq_items in groupby(checklist.items, key=lambda i: i.key_question):
        items = list(kq_items)
        sections = [list(group) for _, group in groupby(items, key=lambda i: i.section_title)]
        shown = [s for s in sections if everything or any(_started(assessment, i) for i in s)]
        left_out += len(sections) - len(shown)
        if not shown:
            continue
        blocks += [
            Block("h1", kq),
            Block("para", f"Progress: {_done(assessment, items)} of {len(items)} complete."),
        ]
        for section in shown:
            for item in section:
                state = assessment.state(item.id)
                blocks += [
                    Block("h2", item.question),
                    Block("field", STATUSES[state.status], "Status"),
                ]
                if state.notes.strip():
                    blocks.append(Block("field", state.notes.strip(), "Notes"))
                blocks.append(Block("field", item.guidance, "Guidance"))
                if item.quote:
                    blocks.append(Block("quote", item.quote, "The guide says"))
                blocks.append(Block("source", _source_label(source, item), "Source"))
    if left_out and not everything:
        blocks.append(
            Block(
                "note",
                f"{left_out} section{'s' if left_out != 1 else ''} of the checklist not "
                "started yet are left out of this briefing.",
            )
        )
    if len(blocks) <= 3 + bool(left_out):
        blocks.insert(3 if source is not None else 2, Block("para", "No question started yet."))
    return blocks


def assessment_markdown(
    assessment: Assessment,
    checklist: Checklist,
    source: DocumentMeta | None = None,
    everything: bool = False,
) -> str:
    """The briefing as Markdown."""
    return to_markdown(assessment_blocks(assessment, checklist, source, everything))


def assessment_docx(
    assessment: Assessment,
    checklist: Checklist,
    source: DocumentMeta | None = None,
    everything: bool = False,
) -> bytes:
    """The same briefing as a Word document."""
    return to_docx(assessment_blocks(assessment, checklist, source, everything))


def assessment_pdf(
    assessment: Assessment,
    checklist: Checklist,
    source: DocumentMeta | None = None,
    everything: bool = False,
) -> bytes:
    """The same briefing as a PDF."""
    return to_pdf(assessment_blocks(assessment, checklist, source, everything))


# --- conversations ----------------------------------------------------------------


def _page(c: Mapping[str, Any]) -> str:
    page = c.get("page_label") or c.get("page")
    if not page:
        return ""
    return page if isinstance(page, str) and page.startswith("p.") else f"p. {page}"


def _citation_line(c: Mapping[str, Any]) -> str:
    where = [str(c.get("title") or c.get("doc_id") or "")]
    if c.get("section"):
        where.append(str(c["section"]))
    where.append(_page(c))
    if c.get("date"):
        where.append(str(c["date"]))
    return f"[{c.get('n')}] " + ", ".join(w for w in where if w)


def _quoted(c: Mapping[str, Any]) -> str:
    """What the answer quotes from a source: its quoted sentences, else the passage."""
    quotes = [q["text"] for q in c.get("quotes") or () if isinstance(q, Mapping) and q.get("text")]
    return " ".join(" ".join(quotes).split()) or " ".join(str(c.get("text", "")).split())


def _answer_text(turn: Mapping[str, Any]) -> str:
    payload = turn.get("payload") or {}
    sentences = payload.get("sentences") or []
    if not sentences:
        return str(turn.get("content", ""))
    return " ".join(
        (f"{s['about']}: " if s.get("about") else "")
        + " ".join(str(s.get("text", "")).split())
        + (f" [{s['n']}]" if s.get("n") else "")
        for s in sentences
    )


def conversation_blocks(title: str, turns: Iterable[Mapping[str, Any]]) -> list[Block]:
    """A conversation: each question, its answer with ``[n]`` markers, notices and sources.

    Args:
        title: the conversation's title.
        turns: dicts with ``role`` (user | assistant), ``content`` and, for answers,
            ``payload`` (an Answer record's dict: ``sentences``, ``citations``,
            ``notices``, ``case_studies``).
    """
    blocks = [Block("title", title)]
    for turn in turns:
        if turn.get("role") == "user":
            blocks.append(Block("h2", f"Q: {turn.get('content', '')}"))
            continue
        payload = turn.get("payload") or {}
        cases = payload.get("case_studies") or []
        related = "Related case studies: " + "; ".join(str(c.get("title")) for c in cases)
        if payload.get("partial"):
            blocks.append(Block("note", PARTIAL_NOTE))
        if cases and payload.get("cases_first"):
            blocks.append(Block("para", related))
        blocks.append(Block("para", _answer_text(turn)))
        if payload.get("scope_note"):
            blocks.append(Block("note", str(payload["scope_note"])))
        for notice in payload.get("notices") or []:
            blocks.append(Block("note", f"Note: {notice}"))
        more = payload.get("more") or []
        if more:  # its sentences cite sources listed below, so they go before them
            blocks.append(Block("para", "More from the library:"))
            for m in more:
                blocks.append(Block("para", f"- {m.get('text', '')} [{m.get('n', '?')}]"))
                blocks += [Block("note", f"Note: {n}") for n in m.get("notices") or ()]
        citations = payload.get("citations") or []
        if citations:
            blocks.append(Block("para", "Sources:"))
            any_inexact = False
            for c in citations:
                blocks.append(Block("source", _citation_line(c)))
                any_inexact = any_inexact or "~" in _page(c)
                if _quoted(c):
                    blocks.append(Block("quote", _quoted(c)))
            if any_inexact:
                blocks.append(
                    Block("note", "“p. ~N” means about page N: worked out from the text.")
                )
        if cases and not payload.get("cases_first"):
            blocks.append(Block("para", related))
    return blocks


def conversation_markdown(title: str, turns: Iterable[Mapping[str, Any]]) -> str:
    """A conversation as Markdown: questions, answers with ``[n]`` markers, their sources."""
    return to_markdown(conversation_blocks(title, turns))


def conversation_docx(title: str, turns: Iterable[Mapping[str, Any]]) -> bytes:
    """The same conversation as a Word document."""
    return to_docx(conversation_blocks(title, turns))


def conversation_pdf(title: str, turns: Iterable[Mapping[str, Any]]) -> bytes:
    """The same conversation as a PDF."""
    return to_pdf(conversation_blocks(title, turns))


# --- layouts ----------------------------------------------------------------------


def to_markdown(blocks: list[Block]) -> str:
    lines: list[str] = []
    for b in blocks:
        if b.kind == "title":
            lines += [f"# {b.text}", ""]
        elif b.kind == "h1":
            lines += [f"## {b.text}", ""]
        elif b.kind == "h2":
            # In a conversation a question is the section; in a briefing, one item.
            level = "##" if b.text.startswith("Q: ") else "###"
            lines += [f"{level} {b.text}", ""]
        elif b.kind == "field":
            text = b.text.splitlines()
            if b.label == "Notes":
                lines += ["- Notes:", *[f"  > {t}" if t else "  >" for t in text]]
            else:
                lines.append(f"- {b.label}: {b.text}")
        elif b.kind == "quote":
            if b.label:
                lines.append(f'- {b.label}: "{b.text}"')
            else:
                lines.append(f"  > {b.text}")
        elif b.kind == "source":
            lines.append(f"- {b.label}: {b.text}" if b.label else f"- {b.text}")
        elif b.kind == "note":
            if lines and lines[-1]:
                lines.append("")
            lines += [f"> {b.text}", ""]
        else:
            if lines and lines[-1]:
                lines.append("")
            lines += [b.text, ""]
    # Blank line after each item's list, so lists do not run together.
    out: list[str] = []
    for i, line in enumerate(lines):
        out.append(line)
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if line.startswith(("- ", "  >")) and following.startswith("#"):
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def to_docx(blocks: list[Block]) -> bytes:
    from docx import Document  # python-docx; imported here so the app starts faster

    doc = Document()
    for b in blocks:
        if b.kind == "title":
            doc.add_heading(b.text, level=0)
        elif b.kind == "h1":
            doc.add_heading(b.text, level=1)
        elif b.kind == "h2":
            doc.add_heading(b.text, level=2)
        elif b.kind == "field":
            p = doc.add_paragraph()
            p.add_run(f"{b.label}: ").bold = True
            p.add_run(b.text)
        elif b.kind == "quote":
            text = f"{b.label}: \u201c{b.text}\u201d" if b.label else f"\u201c{b.text}\u201d"
            doc.add_paragraph(text, style="Quote")
        elif b.kind == "source":
            p = doc.add_paragraph()
            if b.label:
                p.add_run(f"{b.label}: ").italic = True
            p.add_run(b.text).italic = True
        elif b.kind == "note":
            doc.add_paragraph().add_run(b.text).italic = True
        else:
            doc.add_paragraph(b.text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def to_pdf(blocks: list[Block]) -> bytes:
    """The blocks as an A4 PDF (reportlab), text selectable and searchable."""
    from xml.sax.saxutils import escape

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    styles = getSampleStyleSheet()
    quote = styles["BodyText"].clone("Quote", leftIndent=18, textColor="#444444")
    note = styles["BodyText"].clone("Note", fontName="Helvetica-Oblique")

    def para(text: str, style: Any) -> Paragraph:
        # Paragraph reads a small markup language: escape, and keep line breaks.
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    story: list[Any] = []
    for b in blocks:
        if b.kind == "title":
            story.append(para(b.text, styles["Title"]))
        elif b.kind == "h1":
            story.append(para(b.text, styles["Heading1"]))
        elif b.kind == "h2":
            story.append(para(b.text, styles["Heading3"]))
        elif b.kind == "field":
            text = escape(b.text).replace("\n", "<br/>")
            story.append(Paragraph(f"<b>{escape(b.label)}:</b> {text}", styles["BodyText"]))
        elif b.kind == "quote":
            text = f"{b.label}: \u201c{b.text}\u201d" if b.label else f"\u201c{b.text}\u201d"
            story.append(para(text, quote))
        elif b.kind == "source":
            text = f"{b.label}: {b.text}" if b.label else b.text
            story.append(para(text, note))
        elif b.kind == "note":
            story.append(para(b.text, note))
        else:
            story.append(para(b.text, styles["BodyText"]))
        story.append(Spacer(1, 3))
    out = io.BytesIO()
    title = blocks[0].text if blocks else "Export"
    SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
        title=title,
    ).build(story)
    return out.getvalue()
