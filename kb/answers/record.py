"""An answer record from chosen sentences, checks that every ``[n]`` holds, and its text form.

Before an answer leaves the library every ``[n]`` is checked against the listed
sources: a sentence whose source is missing or does not contain it is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from kb.answers.compose import Candidate
from kb.core.results import Answer, AnswerSentence, Citation, Passage, Quote
from kb.core.text import collapse

__all__ = ["assemble", "citation_problems", "format_answer", "nearest_topics"]

_CITE = re.compile(r"\[(\d+)\]")


def assemble(
    question: str,
    chosen: Sequence[Candidate],
    more: Sequence[Candidate] = (),
    backend: str = "extractive",
) -> Answer:
    """An answer record from chosen sentences: sources numbered in order of first use.

    Each sentence is verified against its passage; one that is not there verbatim
    (whitespace aside) is dropped, so every ``[n]`` points at a passage that says it.
    """
    numbers: dict[str, int] = {}
    passages: dict[int, Passage] = {}
    quotes: dict[int, list[Quote]] = {}
    sentences: list[AnswerSentence] = []
    for c in chosen:
        if collapse(c.text) not in collapse(c.passage.chunk.text):
            continue
        n = numbers.setdefault(c.passage.chunk.id, len(numbers) + 1)
        passages[n] = c.passage
        quotes.setdefault(n, []).append(Quote(c.text, c.start, c.end))
        sentences.append(AnswerSentence(c.text, n))
    citations = [Citation(n, passages[n], tuple(quotes[n])) for n in sorted(passages)]
    return Answer(
        question=question,
        text=" ".join(f"{s.text} [{s.n}]" for s in sentences),
        abstained=not sentences,
        citations=citations,
        backend=backend,
        sentences=sentences,
        more=[
            {
                "text": c.text,
                "doc_id": c.passage.chunk.doc_id,
                "title": c.passage.chunk.title,
                "section": c.passage.chunk.section_label,
                "page_label": c.passage.chunk.page_label,
                "date": c.passage.chunk.date_label,
                "chunk_id": c.passage.chunk.id,
            }
            for c in more
        ],
    )


def citation_problems(answer: Answer) -> list[str]:
    """Why an extractive answer's citations cannot be trusted; empty when they can.

    Every sentence must cite a listed source whose passage contains it, every
    source must be cited, and the text must be the sentences with their ``[n]``.
    """
    if answer.abstained:
        return (
            ["an abstention cites sources"] if answer.citations or _CITE.search(answer.text) else []
        )
    problems = []
    if not answer.citations or not answer.sentences:
        problems.append("no sources")
    sources = {c.n: c for c in answer.citations}
    if len(sources) != len(answer.citations):
        problems.append("two sources share a number")
    for s in answer.sentences:
        citation = sources.get(s.n)
        if citation is None:
            problems.append(f"[{s.n}] points at no listed source")
        elif collapse(s.text) not in collapse(citation.passage.chunk.text):
            problems.append(f"[{s.n}] does not contain: {s.text[:80]}")
        elif not any(
            collapse(citation.passage.chunk.text[q.start : q.end]) == collapse(s.text)
            for q in citation.quotes
        ):
            problems.append(f"[{s.n}] has no quote span for: {s.text[:80]}")
    if answer.text != " ".join(f"{s.text} [{s.n}]" for s in answer.sentences):
        problems.append("the text is not the cited sentences")
    if set(sources) - {s.n for s in answer.sentences}:
        problems.append(
            f"sources never cited: {sorted(set(sources) - {s.n for s in answer.sentences})}"
        )
    return problems


def nearest_topics(passages: Sequence[Passage], k: int = 3) -> list[str]:
    """Section titles of the best passages, e.g. "Is sharing legal? (guide, 2011)"."""
    topics: list[str] = []
    for p in passages:
        c = p.chunk
        section = c.section[-1] if c.section else c.title
        if section in ("Useful resources", "Contacts") and len(c.section) > 1:
            section = c.section[-2]
        label = (
            f"{section} ({c.title}, {c.date_label})"
            if section != c.title
            else f"{c.title} ({c.date_label})"
        )
        if label not in topics:
            topics.append(label)
        if len(topics) == k:
            break
    return topics


def format_answer(answer: Answer) -> str:
    """The answer as plain text for a terminal: text, sources, notices, cases, checklist."""
    lines = [answer.text, ""]
    if answer.scope_note:
        lines += [answer.scope_note, ""]
    if answer.citations:
        lines.append("Sources")
        for c in answer.citations:
            ch = c.passage.chunk
            where = ", ".join(x for x in (ch.section_label, ch.page_label) if x)
            lines.append(f"[{c.n}] {ch.title} ({ch.date_label}) — {where}")
            body = " ".join(ch.text.split())
            lines.append("    " + body[:300] + ("…" if len(body) > 300 else ""))
        lines.append("")
    for notice in answer.notices:
        lines += [f"Note: {notice}", ""]
    if answer.more:
        lines.append("More from the library")
        lines += [f"- {m['text']} ({m['title']}, {m['date']})" for m in answer.more]
        lines.append("")
    if answer.case_studies:
        lines.append("Case studies")
        lines += [f"- {c['title']}: {c['reason']}" for c in answer.case_studies]
        lines.append("")
    if answer.checklist:
        lines.append("Questions the guide asks on this topic")
        lines += [f"- {item.question}" for item in answer.checklist]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
