"""Cut sections into token-sized chunks that never cross a section boundary."""

from __future__ import annotations

import re

from llama_index.core.node_parser import SentenceSplitter

from kb.core.records import Chunk, CleanDocument, Section, content_hash

# Diagrams of the guide's own structure are navigation, not guidance.
SKIPPED_KINDS = ("navigation",)
_NON_SPACE = re.compile(r"\S")

_CASE_TITLE = re.compile(r"case study \d+:\s*(.+)", re.I | re.S)


def make_splitter(chunk_tokens: int, overlap: int) -> SentenceSplitter:
    """llama-index's sentence-aware splitter; tokens are counted with tiktoken."""
    return SentenceSplitter(
        chunk_size=chunk_tokens, chunk_overlap=overlap, paragraph_separator="\n\n"
    )


def chunk_document(
    doc: CleanDocument, sections: list[Section], splitter: SentenceSplitter
) -> list[Chunk]:
    """Chunks with document, section, page, date and character offsets."""
    chunks: list[Chunk] = []
    seen: set[str] = set()
    for section in sections:
        if section.kind in SKIPPED_KINDS:
            continue
        body = doc.text[section.start : section.end]
        if _heading_only(body, section):
            continue  # its heading already travels in every chunk's section path
        cursor = last_end = 0
        for piece in splitter.split_text(body):
            piece = piece.strip()
            if not piece:
                continue
            # A chunk starts inside the previous one (the overlap) or just after
            # it. Take the latest match that does: in repetitive text (tables)
            # the first match after the cursor would pin every chunk to the start.
            after = _NON_SPACE.search(body, last_end)
            limit = (after.start() if after else len(body)) + len(piece)
            at = body.rfind(piece, cursor, limit)
            if at < 0:
                at = body.find(piece, cursor)
            if at < 0:  # placed too far on in repetitive text: its last copy is it
                at = body.rfind(piece)
            if at < 0:  # the splitter normalised whitespace; fall back to the cursor
                at = body.find(piece[:40], cursor)
                at = at if at >= 0 else cursor
            start = section.start + at
            end = min(start + len(piece), section.end)
            cursor = max(cursor, at + 1)
            last_end = max(last_end, at + len(piece))
            mark = doc.page_at(start)
            chunk_id = content_hash(f"{doc.meta.id}|{section.label}|{piece}")
            repeat = 1
            while chunk_id in seen:  # repeated text (table rows) is kept, with its own id
                repeat += 1
                chunk_id = content_hash(f"{doc.meta.id}|{section.label}|{piece}|{repeat}")
            seen.add(chunk_id)
            chunks.append(
                Chunk(
                    id=chunk_id,
                    doc_id=doc.meta.id,
                    text=piece,
                    title=doc.meta.title,
                    section=section.path,
                    start=start,
                    end=end,
                    kind=doc.meta.kind,
                    date=doc.meta.date,
                    date_label=doc.meta.date_label,
                    page=mark.page if mark else None,
                    page_exact=mark.exact if mark else True,
                    section_kind=section.kind,
                    case_id=section.case_id,
                    garbled=tuple(
                        (max(g0, start) - start, min(g1, end) - start)
                        for g0, g1 in doc.garbled
                        if g0 < end and start < g1
                    ),
                )
            )
    return chunks


def _heading_only(body: str, section: Section) -> bool:
    # Only a section holding nothing but its headings (and punctuation) is
    # skipped: a short section with real words ("Contacts: J. Smith") is kept.
    rest = " ".join(body.split())
    for title in section.path:
        rest = rest.replace(" ".join(title.split()), " ", 1)
        case = _CASE_TITLE.match(title) if section.kind == "case-study" else None
        if case:  # the path says "Case study 3: Title"; the text has the title on its own
            rest = rest.replace(" ".join(case.group(1).split()), " ", 1)
    if section.kind == "case-study":  # "Case study 3" above the case study's title
        rest = re.sub(r"\bcase study \d+\b", " ", rest, count=1, flags=re.I)
    return not any(ch.isalnum() for ch in rest)
