"""Two PDF columns read across: repaired where the layout allows, else marked, never quoted."""

from __future__ import annotations

import pytest

from ingest.chunk import chunk_document, make_splitter
from ingest.clean import Cleaned, clean_pdf
from ingest.columns import find_column_runs, read_columns
from ingest.manifest import read_manifest
from ingest.pipeline import prepare_document
from ingest.structure import load_profile, split_sections
from kb.api import KnowledgeBase
from kb.core.records import Chunk, CleanDocument
from kb.core.settings import REPO_ROOT, Settings

CORPUS = REPO_ROOT / "corpus"
GUIDE_RAW = (CORPUS / "documents/lga-guide-2011.txt").read_text(encoding="utf-8")
# What the raw text holds where the chief-executive page was read across its columns.
CROSSED = (
    "Councils district councils were discussing",
    "In others operating across several organisations",
    "the move to share was a planned response, A",
    "servicesare the more attention",
    "The shared www.sharedservicearchitects",
)
# The two columns of that page, as the guide prints them.
LEFT = (
    "In some cases these have been interim arrangements that have been made permanent. "
    "In others the move to share was a planned response, for example when a chief executive "
    "had announced their intention to retire. Councils will need to consider what the "
    "implications of timing will be for staff and customers.",
    "But the more partners there are the more attention will need to be paid to fostering "
    "good working relationships between them",
    "The Anglia Revenues Partnership is an example of a shared service arrangement that has "
    "expanded to include new partners after it was established.",
)
RIGHT = (
    "A ‘Local Government Chronicle’ survey in July 2010 found one quarter of responding "
    "district councils were discussing the possibility of sharing a chief executive and "
    "senior management teams. A small number were keen to share but had not yet found a "
    "suitable partner.",
    "Useful resources\n\nTools 23-30 in the ‘Shared Service Architect’s Toolbox’ will help "
    "councils:\n• assess their own and partners’ level of commitment to shared services\n"
    "• build trust between partners.",
)


@pytest.fixture(scope="module")
def guide() -> Cleaned:
    profile = load_profile(CORPUS / "structure", "lga-guide-2011")
    return clean_pdf(GUIDE_RAW, profile.furniture, tuple(h.title for h in profile.headings))


@pytest.fixture(scope="module")
def guide_chunks() -> list[Chunk]:
    settings = Settings(corpus_dir=CORPUS)
    (meta,) = [m for m in read_manifest(settings.manifest_path) if m.id == "lga-guide-2011"]
    doc = prepare_document(meta, settings, CORPUS / "structure")
    sections = split_sections(meta.id, doc.text, load_profile(CORPUS / "structure", meta.id))
    return chunk_document(doc, sections, make_splitter(200, 20))


def test_the_guides_crossed_page_is_found_once_and_wide_tables_are_left_alone() -> None:
    lines = GUIDE_RAW.splitlines()
    # Wide lines also fill the "Sources of further information" table, ...
    assert len(find_column_runs(lines)) > 5
    # ... but only the chief-executive page reads badly line to line.
    (run,) = read_columns(lines)
    assert "Councils district councils" in lines[run.start + 3]
    assert run.repaired


def test_the_chief_executive_passage_reads_in_column_order(guide: Cleaned) -> None:
    assert guide.repaired == 1 and guide.garbled == []
    for crossed in CROSSED:
        assert crossed not in guide.text
    for column in (LEFT, RIGHT):
        positions = [guide.text.index(paragraph) for paragraph in column]
        assert positions == sorted(positions)
    assert guide.text.index(LEFT[-1]) < guide.text.index(RIGHT[0])


def test_the_wide_sources_table_is_neither_repaired_nor_marked(guide: Cleaned) -> None:
    assert (
        "This publication looks at the political, economic and social impact of merging "
        "services and offers recommendations" in guide.text
    )


def test_no_chunk_of_the_guide_holds_a_crossed_sentence_unmarked(
    guide_chunks: list[Chunk],
) -> None:
    for chunk in guide_chunks:
        for crossed in CROSSED:
            at = chunk.text.find(crossed)
            assert at < 0 or chunk.is_garbled(at, at + len(crossed)), (crossed, chunk.id)
    assert any(RIGHT[0][:80] in c.text for c in guide_chunks)


# A page whose crossed lines are too wide to cut into two column lines: marked.
_ORDINARY = [f"an ordinary column line number {i} of the text" for i in range(40)]
_TOO_WIDE = [
    "this line runs right across the page and a good deal further than two columns ever "
    f"could, so it is not cut {i}."
    for i in range(4)
]


def test_a_run_that_cannot_be_cut_into_columns_is_marked() -> None:
    raw = "\n".join(_ORDINARY[:20] + _TOO_WIDE + _ORDINARY[20:])
    (run,) = read_columns(raw.splitlines())
    assert not run.repaired
    cleaned = clean_pdf(raw)
    ((start, end),) = cleaned.garbled
    assert cleaned.text[start:end] == " ".join(_TOO_WIDE)


def test_marks_travel_into_chunks_and_their_stored_metadata() -> None:
    from kb.core.records import DocumentMeta, Section

    raw = "\n".join(_ORDINARY[:20] + _TOO_WIDE + _ORDINARY[20:])
    cleaned = clean_pdf(raw)
    meta = DocumentMeta(id="note", title="Note", file="note.txt", kind="article")
    doc = CleanDocument(meta, cleaned.text, garbled=cleaned.garbled)
    (chunk, *_) = chunk_document(
        doc, [Section("note", (), 0, len(doc.text))], make_splitter(2000, 0)
    )
    at = chunk.text.index("this line runs")
    assert chunk.is_garbled(at, at + 10)
    assert not chunk.is_garbled(0, 20)
    stored = Chunk.from_metadata(chunk.id, chunk.text, chunk.to_metadata())
    assert stored.garbled == chunk.garbled and stored.garbled


def test_no_answer_quotes_a_garbled_sentence(kb: KnowledgeBase) -> None:
    answer = kb.answer(
        "We're two districts thinking of sharing a chief executive. What should we watch?"
    )
    for citation in answer.citations:
        for quote in citation.quotes:
            assert not citation.passage.chunk.is_garbled(quote.start, quote.end)
    for crossed in CROSSED:
        assert crossed not in answer.text
