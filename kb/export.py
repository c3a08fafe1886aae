"""Briefings to take away: an assessment as Markdown or Word, a conversation as Markdown."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from itertools import groupby
from typing import Any

from kb.assessments import STATUSES, Assessment
from kb.checklist import Checklist, ChecklistItem
from kb.models import SECTION_SEP, DocumentMeta

__all__ = ["assessment_docx", "assessment_markdown", "conversation_markdown"]


def _source_label(source: DocumentMeta | None, item: ChecklistItem) -> str:
    section = SECTION_SEP.join(item.section_path) or item.section_title
    if source is None:
        return section
    return f"{source.title} ({source.date_label}), {section}"


def _grouped(checklist: Checklist) -> Iterable[tuple[str, list[ChecklistItem]]]:
    for kq, items in groupby(checklist.items, key=lambda i: i.key_question):
        yield kq, list(items)


def _progress(assessment: Assessment, items: list[ChecklistItem]) -> str:
    done = sum(assessment.state(i.id).status in ("done", "not_applicable") for i in items)
    return f"{done} of {len(items)} complete"


def assessment_markdown(
    assessment: Assessment, checklist: Checklist, source: DocumentMeta | None = None
) -> str:
    """The assessment as a Markdown briefing: each question, its status, notes and guidance."""
    lines = [
        f"# {assessment.name}",
        "",
        f"Assessment by {assessment.user}; last changed {assessment.updated}.",
    ]
    if source is not None:
        lines.append(f"Questions and guidance from *{source.title}* ({source.date_label}).")
    for kq, items in _grouped(checklist):
        lines += ["", f"## {kq}", "", f"Progress: {_progress(assessment, items)}."]
        for item in items:
            state = assessment.state(item.id)
            lines += ["", f"### {item.question}", "", f"- Status: {STATUSES[state.status]}"]
            if state.notes.strip():
                lines.append("- Notes:")
                lines += [f"  > {line}" if line else "  >" for line in state.notes.splitlines()]
            lines.append(f"- Guidance: {item.guidance}")
            if item.quote:
                lines.append(f'- The guide says: "{item.quote}"')
            lines.append(f"- Source: {_source_label(source, item)}")
    return "\n".join(lines) + "\n"


def assessment_docx(
    assessment: Assessment, checklist: Checklist, source: DocumentMeta | None = None
) -> bytes:
    """The same briefing as a Word document."""
    from docx import Document  # python-docx; imported here so the app starts faster

    doc = Document()
    doc.add_heading(assessment.name, level=0)
    doc.add_paragraph(f"Assessment by {assessment.user}; last changed {assessment.updated}.")
    if source is not None:
        doc.add_paragraph(f"Questions and guidance from {source.title} ({source.date_label}).")
    for kq, items in _grouped(checklist):
        doc.add_heading(kq, level=1)
        doc.add_paragraph(f"Progress: {_progress(assessment, items)}.")
        for item in items:
            state = assessment.state(item.id)
            doc.add_heading(item.question, level=2)
            p = doc.add_paragraph()
            p.add_run("Status: ").bold = True
            p.add_run(STATUSES[state.status])
            if state.notes.strip():
                p = doc.add_paragraph()
                p.add_run("Notes: ").bold = True
                p.add_run(state.notes)
            p = doc.add_paragraph()
            p.add_run("Guidance: ").bold = True
            p.add_run(item.guidance)
            if item.quote:
                doc.add_paragraph(f"\u201c{item.quote}\u201d", style="Quote")
            p = doc.add_paragraph()
            p.add_run("Source: ").italic = True
            p.add_run(_source_label(source, item)).italic = True
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _citation_line(c: Mapping[str, Any]) -> str:
    where = [str(c.get("title") or c.get("doc_id") or "")]
    if c.get("section"):
        where.append(str(c["section"]))
    page = c.get("page_label") or c.get("page")
    if page:  # a number, or a label such as "p. ~58"
        where.append(page if isinstance(page, str) and page.startswith("p.") else f"p. {page}")
    if c.get("date"):
        where.append(str(c["date"]))
    return f"[{c.get('n')}] " + ", ".join(w for w in where if w)


def conversation_markdown(title: str, turns: Iterable[Mapping[str, Any]]) -> str:
    """A conversation as Markdown: questions, answers with ``[n]`` markers, their sources.

    Args:
        title: the conversation's title.
        turns: dicts with ``role`` (user | assistant), ``content`` and, for answers,
            ``payload`` holding ``citations`` (n, title, section, page, date, text),
            ``notices`` and ``case_studies``.
    """
    lines = [f"# {title}", ""]
    for turn in turns:
        if turn.get("role") == "user":
            lines += [f"## Q: {turn.get('content', '')}", ""]
            continue
        payload = turn.get("payload") or {}
        lines += [str(turn.get("content", "")), ""]
        for notice in payload.get("notices") or []:
            lines += [f"> Note: {notice}", ""]
        citations = payload.get("citations") or []
        if citations:
            lines += ["Sources:", ""]
            for c in citations:
                lines.append(f"- {_citation_line(c)}")
                quote = " ".join(str(c.get("text", "")).split())
                if quote:
                    lines.append(f"  > {quote}")
            lines.append("")
        cases = payload.get("case_studies") or []
        if cases:
            lines.append("Related case studies: " + "; ".join(str(c.get("title")) for c in cases))
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
