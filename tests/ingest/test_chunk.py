"""Chunks: within one section, with everything a citation needs, stable ids, token-sized.

Run on the real guide and articles as ingest prepares them. Property tests of
coverage on random text are in ``test_properties.py``.
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict

import pytest
import tiktoken
from llama_index.core.utils import get_tokenizer

from ingest.chunk import chunk_document, make_splitter
from ingest.manifest import read_manifest
from ingest.pipeline import prepare_document
from ingest.structure import load_profile, split_sections
from kb.core.records import Chunk, CleanDocument, DocumentMeta, Section, content_hash
from kb.core.settings import REPO_ROOT, Settings

CORPUS = REPO_ROOT / "corpus"
SETTINGS = Settings(corpus_dir=CORPUS)
SPLITTER = make_splitter(SETTINGS.chunk_tokens, SETTINGS.chunk_overlap)
Prepared = tuple[CleanDocument, list[Section], list[Chunk]]


def prepare(doc_id: str, splitter=SPLITTER) -> Prepared:  # type: ignore[no-untyped-def]
    meta = next(m for m in read_manifest(SETTINGS.manifest_path) if m.id == doc_id)
    doc = prepare_document(meta, SETTINGS, CORPUS / "structure")
    sections = split_sections(doc_id, doc.text, load_profile(CORPUS / "structure", doc_id))
    return doc, sections, chunk_document(doc, sections, splitter)


@pytest.fixture(scope="module")
def guide() -> Prepared:
    return prepare("lga-guide-2011")


@pytest.fixture(scope="module")
def perago() -> Prepared:
    return prepare("perago-2025-reorganised-landscape")


def home(chunk: Chunk, sections: list[Section]) -> list[Section]:
    """The sections that wholly contain a chunk."""
    return [s for s in sections if s.start <= chunk.start and chunk.end <= s.end]


def test_chunks_never_cross_a_section_boundary(guide: Prepared) -> None:
    _, sections, chunks = guide
    assert len(chunks) > 100
    for c in chunks:
        (section,) = home(c, sections)  # sections are disjoint: exactly one holds it
        assert section.path == c.section
        assert section.kind == c.section_kind and section.case_id == c.case_id


def test_no_chunk_holds_two_case_studies(guide: Prepared) -> None:
    _, _, chunks = guide
    case_chunks = [c for c in chunks if c.case_id]
    assert len({c.case_id for c in case_chunks}) == 9
    for c in case_chunks:
        assert c.section[0] == "Appendix 2 – Case studies"
        number = re.match(r"Case study (\d+):", c.section[1])
        assert number is not None
        assert set(re.findall(r"Case study (\d+)", c.text)) <= {number.group(1)}, c.text[:80]


def test_chunks_carry_document_metadata(guide: Prepared, perago: Prepared) -> None:
    doc, _, chunks = guide
    for c in chunks:
        assert c.doc_id == "lga-guide-2011"
        assert c.title == "Shared services and management: a guide for councils"
        assert (c.kind, c.date, c.date_label) == ("guide", "2011", "2011")
    article, _, article_chunks = perago
    for c in article_chunks:
        assert c.doc_id == "perago-2025-reorganised-landscape" and c.kind == "article"
        assert c.date is None and c.date_label == "undated (about 2025)"
        assert c.page is None  # a web page has no pages
    assert article.meta.title == article_chunks[0].title


def test_chunks_carry_the_page_they_start_on(guide: Prepared) -> None:
    doc, _, chunks = guide
    for c in chunks:
        mark = doc.page_at(c.start)
        assert mark is not None
        assert (c.page, c.page_exact) == (mark.page, mark.exact)
    pages = [c.page for c in chunks]
    assert pages == sorted(pages)  # reading order
    # The passage the raw text puts just before the page-14 footer.
    (c,) = [c for c in chunks if "housing services and benefits administration" in c.text][:1]
    assert (c.page, c.page_exact, c.page_label) == (14, True, "p. 14")
    assert any(not c.page_exact and c.page_label.startswith("p. ~") for c in chunks)


def test_offsets_point_at_the_chunk_text(guide: Prepared, perago: Prepared) -> None:
    for doc, _, chunks in (guide, perago):
        for c in chunks:
            assert 0 <= c.start < c.end <= len(doc.text)
            assert doc.text[c.start : c.end] == c.text
            assert c.text == c.text.strip()


def test_chunks_of_a_section_run_in_order_and_overlap(guide: Prepared) -> None:
    doc, _, chunks = guide
    by_section: dict[tuple[str, ...], list[Chunk]] = defaultdict(list)
    for c in chunks:
        by_section[c.section].append(c)
    encode = get_tokenizer()
    pairs = overlapping = 0
    for run in by_section.values():
        for a, b in zip(run, run[1:], strict=False):
            pairs += 1
            assert a.start < b.start and a.end < b.end
            assert not doc.text[a.end : b.start].strip(), "no text skipped between chunks"
            if b.start < a.end:
                overlapping += 1
                # The overlap is the same characters in both chunks, and no more than
                # the configured overlap (a token either side for the cut).
                shared = doc.text[b.start : a.end]
                assert a.text.endswith(shared) and b.text.startswith(shared)
                assert len(encode(shared)) <= SETTINGS.chunk_overlap + 2, shared
    assert pairs >= 20 and overlapping >= pairs / 4  # long sections are cut with overlap


def test_ids_are_stable_and_derived_from_content(guide: Prepared) -> None:
    doc, sections, chunks = guide
    again = chunk_document(
        doc, sections, make_splitter(SETTINGS.chunk_tokens, SETTINGS.chunk_overlap)
    )
    assert [c.id for c in again] == [c.id for c in chunks]
    assert again == chunks
    assert len({c.id for c in chunks}) == len(chunks)
    first = chunks[0]
    assert first.id == content_hash(f"{first.doc_id}|{' › '.join(first.section)}|{first.text}")


def test_an_edit_changes_only_the_ids_of_its_own_section(guide: Prepared) -> None:
    doc, sections, chunks = guide
    old = "Concerns about legality are often cited as a barrier"
    assert doc.text.count(old) == 1
    new = "Disputes about legality are often cited as a barrier"  # same length: offsets hold
    assert len(new) == len(old)
    edited = dataclasses.replace(doc, text=doc.text.replace(old, new))
    after = chunk_document(edited, sections, SPLITTER)
    legal = (
        "Is sharing the right option to achieve our aims?",
        "Is sharing possible?",
        "Is sharing legal?",
    )
    changed = {c.id for c in after} ^ {c.id for c in chunks}
    assert changed
    assert {c.section for c in after + chunks if c.id in changed} == {legal}


def test_repeated_text_in_a_section_keeps_each_copy_with_its_own_id() -> None:
    meta = DocumentMeta(id="table-doc", title="Table doc", file="t.txt", kind="note")
    row = "Council A shares revenues and benefits with Council B under a joint committee. "
    text = "Repeated rows\n\n" + row * 60
    doc = CleanDocument(meta, text)
    sections = split_sections(meta.id, text)
    chunks = chunk_document(doc, sections, SPLITTER)
    assert len(chunks) > 3
    assert len({c.id for c in chunks}) == len(chunks)
    assert len({c.text for c in chunks}) < len(chunks)  # identical texts, distinct ids
    assert chunks[-1].end == len(text.rstrip())  # the last copy is placed at the end


@pytest.mark.parametrize(("tokens", "overlap"), [(160, 32), (64, 8), (400, 50)])
def test_token_limit_is_respected(tokens: int, overlap: int) -> None:
    _, _, chunks = prepare("lga-guide-2011", make_splitter(tokens, overlap))
    encode = get_tokenizer()  # the splitter's counter: tiktoken, through llama-index
    assert isinstance(encode.func.__self__, tiktoken.Encoding)  # type: ignore[attr-defined]
    counts = sorted(len(encode(c.text)) for c in chunks)
    assert counts[-1] <= tokens
    assert counts[len(counts) // 2] > tokens / 3  # chunks are filled, not cut needlessly small


def test_navigation_and_heading_only_sections_make_no_chunks(guide: Prepared) -> None:
    _, sections, chunks = guide
    chunked = {c.section for c in chunks}
    nav = [s for s in sections if s.kind == "navigation"]
    assert nav and not any(s.path in chunked for s in nav)
    # "Is sharing possible?" is only a heading; its sub-sections carry it in their path.
    possible = ("Is sharing the right option to achieve our aims?", "Is sharing possible?")
    assert any(s.path == possible for s in sections)
    assert possible not in chunked
    assert (*possible, "Is sharing legal?") in chunked


def test_heading_only_sections_are_skipped_but_short_ones_with_words_kept() -> None:
    meta = DocumentMeta(id="short-doc", title="Short", file="s.md")
    text = (
        "# Governance\n\n## Officers\n\nJ. Smith, head of legal.\n\n## Members\n\n"
        "## Review\n\nEach year."
    )
    sections = split_sections(meta.id, text)
    assert [s.path for s in sections] == [
        ("Governance",),
        ("Governance", "Officers"),
        ("Governance", "Members"),
        ("Governance", "Review"),
    ]
    chunks = chunk_document(CleanDocument(meta, text), sections, SPLITTER)
    assert [(c.section[-1], c.text) for c in chunks] == [
        ("Officers", "## Officers\n\nJ. Smith, head of legal."),
        ("Review", "## Review\n\nEach year."),
    ]
