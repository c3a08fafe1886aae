"""Cut sections into token-sized chunks that never cross a section boundary."""

from __future__ import annotations

from llama_index.core.node_parser import SentenceSplitter

from kb.models import Chunk, CleanDocument, Section, content_hash

# Diagrams of the guide's own structure are navigation, not guidance.
SKIPPED_KINDS = ("navigation",)


def make_splitter(chunk_tokens: int, overlap: int) -> SentenceSplitter:
    """llama-index's sentence-aware splitter; tokens are counted with tiktoken."""
    return SentenceSplitter(chunk_size=chunk_tokens, chunk_overlap=overlap, paragraph_separator="\n\n")


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
        cursor = 0
        for piece in splitter.split_text(body):
            piece = piece.strip()
            if not piece:
                continue
            at = body.find(piece, cursor)
            if at < 0:  # the splitter normalised whitespace; fall back to the cursor
                at = body.find(piece[:40], cursor)
                at = at if at >= 0 else cursor
            start = section.start + at
            end = min(start + len(piece), section.end)
            cursor = max(cursor, at + 1)
            mark = doc.page_at(start)
            chunk_id = content_hash(f"{doc.meta.id}|{section.label}|{piece}")
            if chunk_id in seen:
                continue
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
                )
            )
    return chunks
