"""An answer record from chosen sentences, checks that every ``[n]`` holds, and its text form.

Before an answer leaves the library every ``[n]`` is checked against the listed
sources: a sentence whose source is missing or does not contain it is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from kb.answers.candidates import Candidate
from kb.core.records import Chunk
from kb.core.results import Answer, AnswerSentence, Citation, Passage, Quote
from kb.core.text import ELISION, collapse, quoted_in

__all__ = [
    "PARTIAL_NOTE",
    "assemble",
    "cite_more",
    "citation_problems",
    "format_answer",
    "nearest_topics",
]

_CITE = re.compile(r"\[(\d+)\]")
# Said first when the best sentence the library has is a weak answer (Answer.partial).
PARTIAL_NOTE = (
    "The library may not answer this directly: these are the passages closest to your question."
)


def assemble(
    question: str,
    chosen: Sequence[Candidate],
    more: Sequence[Candidate] = (),
    backend: str = "extractive",
    about: Callable[[Chunk, int, str], str] | None = None,
) -> Answer:
    """An answer record from chosen sentences: sources numbered in order of first use.

    Each sentence is verified against its passage; one that is not there verbatim
    (whitespace aside) is dropped, so every ``[n]`` points at a passage that says it.
    The "more from the library" sentences cite their sources too, numbered on after
    the answer's own, so a reader can open the passage behind each of them.
    ``about`` (a chunk, where a quote starts in it and the quote → a case study's name,
    or "") names the case study before the first quote of each run from one source
    that does not name it, unless the run before was from the same case study.
    """
    numbers: dict[str, int] = {}
    passages: dict[int, Passage] = {}
    quotes: dict[int, list[Quote]] = {}

    def cite(c: Candidate) -> int | None:
        text = c.passage.chunk.text
        if not quoted_in(c.text, text):
            return None
        n = numbers.setdefault(c.passage.chunk.id, len(numbers) + 1)
        passages[n] = c.passage
        quotes.setdefault(n, []).extend(
            [Quote(collapse(text[a:b]), a, b) for a, b in c.parts]
            if c.parts
            else [Quote(c.text, c.start, c.end)]
        )
        return n

    quoted = [(c, n) for c in chosen if (n := cite(c)) is not None]
    sentences, named = list[AnswerSentence](), ""
    for i, (c, n) in enumerate(quoted):
        name = ""
        if i == 0 or quoted[i - 1][1] != n:
            case = _about(about, c)
            # Two passages of one case study in a row are one case: named once.
            name, named = ("" if case == named else case), case
        sentences.append(AnswerSentence(_shown(c), n, name))
    if not sentences:  # nothing verified: no answer, and nothing "more" to cite
        return Answer(question=question, text="", abstained=True, backend=backend)
    further = [(c, n) for c in more if (n := cite(c)) is not None]
    citations = [Citation(n, passages[n], tuple(quotes[n])) for n in sorted(passages)]
    return Answer(
        question=question,
        text=" ".join(f"{s.shown} [{s.n}]" for s in sentences),
        abstained=False,
        citations=citations,
        backend=backend,
        sentences=sentences,
        more=[more_item(_shown(c), n, c.passage, c.start, c.end) for c, n in further],
    )


def _about(about: Callable[[Chunk, int, str], str] | None, c: Candidate) -> str:
    """The case study a quote is from, when it does not name it (``about``)."""
    return about(c.passage.chunk, c.start, c.text) if about is not None else ""


def _shown(c: Candidate) -> str:
    """A quote as said: one begun in lower case (a list's item) follows an ellipsis."""
    return f"{ELISION.lstrip()}{c.text}" if c.text[:1].islower() else c.text


def more_item(text: str, n: int, passage: Passage, start: int, end: int) -> dict[str, Any]:
    """One "more from the library" sentence: its words, source ``[n]`` and where it is."""
    chunk = passage.chunk
    return {
        "text": text,
        "n": n,
        "start": start,
        "end": end,
        "doc_id": chunk.doc_id,
        "title": chunk.title,
        "section": chunk.section_label,
        "page_label": chunk.page_label,
        "date": chunk.date_label,
        "chunk_id": chunk.id,
    }


def cite_more(citations: list[Citation], extractive: Answer) -> tuple[list[Citation], list[dict]]:
    """The sources of ``extractive``'s "more" sentences added after ``citations``.

    For an answer written over the same passages (the LLM path): a more sentence
    from a passage already cited keeps that number, the rest are numbered on.
    """
    sources = {c.n: c for c in extractive.citations}
    out = list(citations)
    by_chunk = {c.passage.chunk.id: c.n for c in out}
    items = []
    for m in extractive.more:
        source = sources.get(int(m.get("n", 0)))
        if source is None:
            continue
        quote = Quote(str(m["text"]), int(m.get("start", 0)), int(m.get("end", 0)))
        n = by_chunk.get(source.passage.chunk.id)
        if n is None:
            n = by_chunk[source.passage.chunk.id] = len(out) + 1
            out.append(Citation(n, source.passage, (quote,)))
        else:
            i = next(i for i, c in enumerate(out) if c.n == n)
            out[i] = Citation(n, out[i].passage, (*out[i].quotes, quote))
        items.append(more_item(quote.text, n, source.passage, quote.start, quote.end))
    return out, items


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
        elif not quoted_in(s.text, citation.passage.chunk.text):
            problems.append(f"[{s.n}] does not contain: {s.text[:80]}")
        elif not _has_spans(s.text, citation):
            problems.append(f"[{s.n}] has no quote span for: {s.text[:80]}")
    for m in answer.more:
        citation = sources.get(int(m.get("n", 0)))
        if citation is None:
            problems.append(f"more [{m.get('n')}] points at no listed source")
        elif not quoted_in(str(m["text"]), citation.passage.chunk.text):
            problems.append(f"more [{m.get('n')}] does not contain: {str(m['text'])[:80]}")
    if answer.text != " ".join(f"{s.shown} [{s.n}]" for s in answer.sentences):
        problems.append("the text is not the cited sentences")
    used = {s.n for s in answer.sentences} | {int(m.get("n", 0)) for m in answer.more}
    if set(sources) - used:
        problems.append(f"sources never cited: {sorted(set(sources) - used)}")
    return problems


def _has_spans(text: str, citation: Citation) -> bool:
    """A quote span in the passage for the sentence, or for each piece of an elided one."""
    spans = {collapse(citation.passage.chunk.text[q.start : q.end]) for q in citation.quotes}
    return collapse(text) in spans or all(
        piece.strip() in spans for piece in collapse(text).split(ELISION.strip()) if piece.strip()
    )


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
    lines = [PARTIAL_NOTE, ""] if answer.partial else []
    cases = ["Case studies"] + [f"- {c['title']}: {c['reason']}" for c in answer.case_studies]
    if answer.cases_first and answer.case_studies:
        lines += [*cases, ""]
    lines += [answer.text, ""]
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
        for m in answer.more:
            lines.append(f"- {m['text']} [{m.get('n', '?')}]")
            lines += [f"  Note: {notice}" for notice in m.get("notices") or ()]
        lines.append("")
    if answer.case_studies and not answer.cases_first:
        lines += [*cases, ""]
    if answer.checklist:
        lines.append("Questions the guide asks on this topic")
        lines += [f"- {item.question}" for item in answer.checklist]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
