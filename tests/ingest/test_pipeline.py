"""The whole ingest on the real corpus: sections, case studies, clean chunks, re-ingest.

Killed ingests are in ``test_crash.py`` and bad files in ``test_bad_files.py``;
here an ingest fails by an exception inside the real build writer.
"""

from __future__ import annotations

import errno
import io
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from ingest.pipeline import extra_documents, ingest, prepare_document
from kb.api import KnowledgeBase
from kb.core.questions import known_questions, question_expansions
from kb.core.records import SearchFilters
from kb.core.settings import REPO_ROOT, Settings
from kb.core.store import Index, IndexStore

GUIDE = "lga-guide-2011"
# Page furniture and web clutter the cleaner removes (see ingest/clean.py).
CLUTTER = (
    "Leave a Reply",
    "Subscribe to our newsletter",
    "Your email address will not be published",
    "Skip to content",
    "Share this article",
    "Add this article to your",
    "accept the use of cookies",
    "Latest Public Sector News",
    "Source: PSE",
    "There are no comments",
    "Add your comment",
    "public sector executive tv",
    # The PSE page's sidebar of unrelated news.
    "Grenfell",
    "Peter Kyle",
    "community-led initiatives",
    "the devil is in the data",
    "Northern Powerhouse",
    "Take a moment to celebrate",
    "the raven",
    # The guide's running footer ("14          Shared services and management: ...").
    "Shared services and management: a guide for councils",
)
SEARCHES = (
    "Is sharing legal?",
    "How will the arrangement be governed?",
    "What savings did the waste partnership make?",
    "East Sussex Procurement Hub",
)


def results(settings: Settings) -> dict[str, list[dict]]:
    kb = KnowledgeBase(settings)
    return {q: [p.to_dict() for p in kb.search(q, k=5)] for q in SEARCHES}


def builds(settings: Settings) -> set[str]:
    return {p.name for p in IndexStore(settings).builds.iterdir()}


@pytest.fixture(scope="module")
def index(built_settings: Settings) -> Index:
    return IndexStore(built_settings).open()


# -- what the real ingest made ------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        ("What do we want to achieve?", "Understanding needs and wants"),
        (
            "Is sharing the right option to achieve our aims?",
            "Is sharing possible?",
            "Is sharing legal?",
        ),
        (
            "How can we implement our sharing ambitions?",
            "What will sharing look like?",
            "How will the arrangement be governed?",
        ),
        (
            "How can we implement our sharing ambitions?",
            "How do we get there?",
            "Big bang or organic change?",
        ),
        (
            "What have others been doing?",
            "Shared services compendium and case studies",
            "Case studies of shared services activity",
        ),
        ("Sources of further information",),
    ],
    ids=lambda p: p[-1],
)
def test_named_sections_are_found_with_their_paths(
    index: Index, kb: KnowledgeBase, path: tuple[str, ...]
) -> None:
    recorded = [tuple(s["path"]) for s in index.documents[GUIDE].sections]
    assert path in recorded
    chunks = [c for c in index.chunks.values() if c.section == path]
    assert chunks and all(c.doc_id == GUIDE for c in chunks)
    # Search by the heading finds the section's own text.
    top = kb.search(path[-1], k=5, filters=SearchFilters(doc_ids=(GUIDE,)))
    assert any(p.chunk.section == path for p in top)


def test_sections_and_their_text_are_stored_with_the_build(index: Index) -> None:
    text = index.document_text(GUIDE)
    for s in index.documents[GUIDE].sections:
        assert text[s["start"] : s["end"]].strip()
        if s["path"]:  # each section starts at its heading ("Case study 3" for a case study)
            heading = s["path"][-1].split(":")[0]
            assert text[s["start"] : s["end"]].startswith(heading), s["path"]
    for c in index.chunks.values():
        assert index.document_text(c.doc_id)[c.start : c.end] == c.text


def test_the_nine_case_studies_are_separate_units(
    index: Index, kb: KnowledgeBase, guide_case_ids: set[str]
) -> None:
    case_chunks = [c for c in index.chunks.values() if c.case_id]
    assert {c.case_id for c in case_chunks} == guide_case_ids
    for case_id in guide_case_ids:
        own = [c for c in case_chunks if c.case_id == case_id]
        heads = {c.section[1] for c in own}
        assert len(heads) == 1, heads  # one case study heading per case id
        parts = {c.section[2] for c in own if len(c.section) > 2}
        assert any(p.endswith("approach?") for p in parts)
        assert {"What’s been achieved?", "What’s been learned?"} <= parts
        # Their spans do not interleave with another case study's.
        lo, hi = min(c.start for c in own), max(c.end for c in own)
        assert not [c for c in case_chunks if c.case_id != case_id and lo <= c.start < hi]
    passages = kb.search("waste", k=10, filters=SearchFilters(section="Case study 7"))
    assert passages and {p.chunk.case_id for p in passages} == {"south-london-waste"}


def test_no_chunk_holds_clutter(index: Index) -> None:
    assert len(index.chunks) > 100
    for c in index.chunks.values():
        for clutter in CLUTTER:
            assert clutter.lower() not in c.text.lower(), (c.doc_id, clutter)
    for doc_id in index.documents:
        text = index.document_text(doc_id)
        assert not any(clutter.lower() in text.lower() for clutter in CLUTTER), doc_id
    source = (REPO_ROOT / "corpus/documents/pse-2016-future-shared-services.txt").read_text("utf-8")
    assert all(h in source for h in ("Grenfell", "Peter Kyle", "Northern Powerhouse"))


def test_chunks_carry_their_citation_data(index: Index) -> None:
    for c in index.chunks.values():
        meta = index.documents[c.doc_id].meta
        assert (c.title, c.kind, c.date, c.date_label) == (
            meta.title,
            meta.kind,
            meta.date,
            meta.date_label,
        )
        assert (c.page is not None) == (c.doc_id == GUIDE)
    assert {c.date_label for c in index.chunks.values()} == {
        "2011",
        "2020",
        "April 2016",
        "2 February 2011",
        "undated (about 2025)",
    }


# -- a PDF through the whole pipeline -------------------------------------------------

PDF_PAGES = {
    21: [
        "Shared payroll began in Taunton in April.",
        "Four councils joined the payroll team.",
        "The host council employs the payroll staff.",
        "Partners pay a fixed annual fee.",
    ],
    22: [
        "A Section 101 delegation covers legal work.",
        "The solicitors moved to one office.",
        "Members review the legal service each quarter.",
        "Either partner may leave on notice.",
    ],
    23: [
        "The waste contract was let for eight years.",
        "Recycling rose to sixty per cent.",
        "Bin colours were aligned across districts.",
        "Residents were told months ahead.",
    ],
}


def write_pdf(path: Path, first_label: int) -> Path:
    from pypdf import PdfReader, PdfWriter

    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4)
    for lines in PDF_PAGES.values():
        for n, line in enumerate(lines):
            pdf.drawString(72, 780 - 18 * n, line)
        pdf.showPage()
    pdf.save()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(buf.getvalue())))
    writer.set_page_label(0, len(PDF_PAGES) - 1, style="/D", start=first_label)
    with open(path, "wb") as fh:
        writer.write(fh)
    return path


def test_a_pdf_ingests_with_its_printed_page_numbers(
    small_corpus: Settings, tmp_path: Path
) -> None:
    # Small chunks, so that each page starts chunks of its own.
    settings = small_corpus.model_copy(update={"chunk_tokens": 40, "chunk_overlap": 8})
    extra, failed = extra_documents([write_pdf(tmp_path / "Board papers.pdf", 21)])
    report = ingest(settings, extra=extra, progress=False)
    assert report.ok and not failed, report.failed
    assert "board-papers" in report.added

    index = IndexStore(settings).open()
    text = index.document_text("board-papers")
    starts = {page: text.index(lines[0]) for page, lines in PDF_PAGES.items()}
    chunks = [index.chunks[c] for c in index.documents["board-papers"].chunk_ids]
    assert {c.page for c in chunks} == set(PDF_PAGES)
    for c in chunks:
        on = max(page for page, start in starts.items() if start <= c.start)
        assert (c.page, c.page_exact, c.page_label) == (on, True, f"p. {on}"), c.text
    hits = KnowledgeBase(settings).search("recycling rose to sixty per cent", k=3)
    (hit, *_) = [p.chunk for p in hits if "Recycling rose to sixty per cent." in p.chunk.text]
    assert hit.doc_id == "board-papers" and hit.title == "Board papers"
    assert hit.page in (22, 23)  # the page it starts on; it may start with page 22's last line


# -- re-ingest --------------------------------------------------------------------------


def test_a_second_ingest_changes_nothing(copied_index: Settings) -> None:
    store = IndexStore(copied_index)
    before_build, before_builds = store.current_id(), builds(copied_index)
    before_ids = list(store.open().order)
    report = ingest(copied_index, progress=False)
    assert report.ok and not report.changed
    assert (report.added, report.replaced, report.removed) == ([], [], [])
    assert sorted(report.unchanged) == sorted(store.open().documents)
    assert report.build_id == before_build and report.chunks == len(before_ids)
    assert store.current_id() == before_build and builds(copied_index) == before_builds
    assert store.open().order == before_ids


def test_a_failed_ingest_leaves_the_old_index_answering(
    copied_index: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before, build = results(copied_index), IndexStore(copied_index).current_id()
    prior = builds(copied_index)  # the current build and the one before it
    note = tmp_path / "Committee note.txt"
    note.write_text(
        "Committee note\n\nThe joint committee of Ravenmoor and Skelby approved a shared "
        "fraud team for both districts, hosted by Ravenmoor.\n",
        encoding="utf-8",
    )
    extra, _ = extra_documents([note])

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    # The writer has written the new Chroma collection and BM25 index when this fails.
    monkeypatch.setattr(np, "save", disk_full)
    with pytest.raises(OSError, match="No space left"):
        ingest(copied_index, extra=extra, progress=False)
    monkeypatch.undo()

    store = IndexStore(copied_index)
    assert store.current_id() == build
    partial = builds(copied_index) - prior
    assert len(partial) == 1 and not (store.builds / partial.pop() / "build.json").exists()
    assert "committee-note" not in store.open().documents
    assert results(copied_index) == before

    # The next ingest completes, and clears the half-written build away.
    report = ingest(copied_index, extra=extra, progress=False)
    assert report.ok and report.added == ["committee-note"]
    assert builds(copied_index) == {build, report.build_id}
    hits = KnowledgeBase(copied_index).search("Ravenmoor and Skelby fraud team", k=3)
    assert "committee-note" in {p.chunk.doc_id for p in hits}


def test_removed_documents_are_deleted_and_changed_ones_replaced(
    copied_index: Settings, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(REPO_ROOT / "corpus", corpus)
    settings = Settings(data_dir=copied_index.data_dir, corpus_dir=corpus)
    old = IndexStore(settings).open()
    old_vectors = {cid: v for cid, v in zip(old.order, old.embeddings(), strict=True)}

    manifest = yaml.safe_load((corpus / "manifest.yaml").read_text("utf-8"))
    manifest["documents"] = [
        d for d in manifest["documents"] if d["id"] != "pse-2016-future-shared-services"
    ]
    (corpus / "manifest.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    perago = corpus / "documents/perago-2025-reorganised-landscape.txt"
    original = "Technology plays a critical enabling role."
    added = "A pilot in the Isles of Scilly shared one bereavement service across two councils."
    source = perago.read_text("utf-8")
    assert source.count(original) == 1
    perago.write_text(source.replace(original, f"{original} {added}"), encoding="utf-8")

    report = ingest(settings, progress=False)
    assert report.ok, report.failed
    assert report.removed == ["pse-2016-future-shared-services"]
    assert report.replaced == ["perago-2025-reorganised-landscape"] and report.added == []
    assert sorted(report.unchanged) == sorted(
        {GUIDE, "publictechnology-2020-webinar", "pa-2011-pushing-boundaries"}
    )

    new = IndexStore(settings).open()
    assert new.build_id != old.build_id
    assert "pse-2016-future-shared-services" not in new.documents
    assert not any(c.doc_id == "pse-2016-future-shared-services" for c in new.chunks.values())
    assert not (new.path / "texts/pse-2016-future-shared-services.txt").exists()
    kb = KnowledgeBase(settings)
    assert (
        kb.search(
            "East Sussex Procurement Hub",
            filters=SearchFilters(doc_ids=("pse-2016-future-shared-services",)),
        )
        == []
    )
    assert all(
        p.chunk.doc_id != "pse-2016-future-shared-services"
        for p in kb.search("East Sussex Procurement Hub savings", k=10)
    )

    # The changed document: its new text is indexed, and its stale chunks are gone.
    old_perago = set(old.documents["perago-2025-reorganised-landscape"].chunk_ids)
    new_perago = set(new.documents["perago-2025-reorganised-landscape"].chunk_ids)
    stale = old_perago - new_perago
    assert stale and old_perago & new_perago  # only the edited section's chunks changed
    assert not stale & set(new.chunks)
    assert any(original in old.chunks[c].text for c in stale)
    assert added in new.document_text("perago-2025-reorganised-landscape")
    hits = kb.search("bereavement service in the Isles of Scilly", k=3)
    assert any(added in p.chunk.text for p in hits)
    assert all(
        p.chunk.doc_id == "perago-2025-reorganised-landscape" for p in hits if added in p.chunk.text
    )

    # Unchanged documents keep their chunks and their vectors exactly.
    for doc_id in report.unchanged:
        assert new.documents[doc_id].chunk_ids == old.documents[doc_id].chunk_ids
    vectors = dict(zip(new.order, new.embeddings(), strict=True))
    for cid in new.documents[GUIDE].chunk_ids:
        np.testing.assert_array_equal(vectors[cid], old_vectors[cid])

    again = ingest(settings, progress=False)
    assert not again.changed and again.build_id == new.build_id


# -- corpus rules only for known documents; what cleaning dropped, and why ----------------

PAGE_WITH_BOX = """<html><body>
<h1>Waste partnership review</h1>
<p>The two councils merged their waste crews in 2019.</p>
<p>Share this article on Twitter</p>
<p>Related articles</p>
<p>The review found collections were more reliable after the merger.</p>
</body></html>
"""


def _upload(tmp_path: Path, name: str, content: str | bytes) -> list:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    extra, failed = extra_documents([path])
    assert not failed
    return extra


def test_an_uploaded_page_keeps_its_text_after_a_related_articles_box(
    small_corpus: Settings, tmp_path: Path
) -> None:
    (meta,) = _upload(tmp_path, "Waste review.html", PAGE_WITH_BOX)
    structure = small_corpus.corpus_dir / "structure"
    doc = prepare_document(meta, small_corpus, structure)
    assert "more reliable after the merger" in doc.text
    assert "Related articles" not in doc.text and "Share this article" not in doc.text
    assert doc.dropped == {
        "web clutter": len("Share this article on Twitter") + len("Related articles")
    }
    # A known page whose profile names the rule loses everything from the box on.
    structure.mkdir(parents=True, exist_ok=True)
    (structure / f"{meta.id}.yaml").write_text("rules: [web-page-end]\n", encoding="utf-8")
    doc = prepare_document(meta, small_corpus, structure)
    assert "more reliable" not in doc.text and doc.text.endswith("waste crews in 2019.")
    assert doc.dropped == {
        "web clutter": len("Share this article on Twitter"),
        "page end (comments, related articles)": len(
            "Related articles The review found collections were more reliable after the merger."
        ),
    }


TABLE_PAGES = {
    1: ["Tonnage collected by year", "2019", "48200", "Recycling rose sharply.", "1"],
    2: ["Costs fell in the second year.", "Staff numbers were stable.", "2"],
}


def _table_pdf() -> bytes:
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4)
    for lines in TABLE_PAGES.values():
        for n, line in enumerate(lines):
            pdf.drawString(72, 780 - 18 * n, line)
        pdf.showPage()
    pdf.save()
    return buf.getvalue()


def test_an_uploaded_pdf_keeps_its_table_figures_and_reports_what_went(
    small_corpus: Settings, tmp_path: Path
) -> None:
    (meta,) = _upload(tmp_path, "Tonnage.pdf", _table_pdf())
    structure = small_corpus.corpus_dir / "structure"
    doc = prepare_document(meta, small_corpus, structure)
    assert "2019" in doc.text and "48200" in doc.text
    # The page numbers alone on the pages' last lines go, and are counted.
    assert doc.dropped == {"page number": 2}
    structure.mkdir(parents=True, exist_ok=True)
    (structure / f"{meta.id}.yaml").write_text("rules: [drop-digit-lines]\n", encoding="utf-8")
    doc = prepare_document(meta, small_corpus, structure)
    assert "48200" not in doc.text and "Recycling rose sharply." in doc.text
    assert doc.dropped == {"page number": 2, "digit-only line": len("2019") + len("48200")}


def test_an_unknown_cleaning_rule_in_a_profile_is_an_error(tmp_path: Path) -> None:
    from ingest.structure import load_profile

    (tmp_path / "doc.yaml").write_text("rules: [drop-everything]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="drop-everything"):
        load_profile(tmp_path, "doc")


def test_ingest_reports_per_document_what_cleaning_dropped(
    small_corpus: Settings, tmp_path: Path, cli_env
) -> None:
    import json
    import subprocess
    import sys

    extra = _upload(tmp_path, "Waste review.html", PAGE_WITH_BOX)
    report = ingest(small_corpus, extra=extra, progress=False)
    assert report.ok, report.failed
    assert report.dropped == {
        "waste-review": {
            "web clutter": len("Share this article on Twitter") + len("Related articles")
        }
    }
    # A second run redoes nothing, so it has nothing to report.
    assert ingest(small_corpus, progress=False).dropped == {}
    page = tmp_path / "Other page.html"
    page.write_text(PAGE_WITH_BOX.replace("2019", "2020"), encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "cli", "ingest", str(page), "--json", "--quiet"],
        env=cli_env(small_corpus),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert json.loads(out)["dropped"] == {"other-page": {"web clutter": 45}}


def _known_hits(settings: Settings) -> float:
    """Share of 30 known questions whose evidence passage BM25 ranks in its top 3."""
    index = IndexStore(settings).open()
    hits = []
    for q in known_questions(settings.model_copy(update={"known_questions": "tune"}))[:30]:
        holding = question_expansions(index.chunks.values(), [q])
        top = [cid for cid, _ in index.bm25_search(q["question"], 3)]
        hits.append(bool(set(top) & set(holding)))
    return sum(hits) / len(hits)


def test_known_questions_expand_bm25_and_turning_them_off_re_embeds_nothing(
    copied_index: Settings,
) -> None:
    store = IndexStore(copied_index)
    before = store.open()
    assert before.info["expanded_chunks"] > 100
    expanded = _known_hits(copied_index)
    assert expanded >= 0.9, expanded
    plain = copied_index.model_copy(update={"known_questions": "none"})
    report = ingest(plain, progress=False)
    assert report.ok and report.build_id != before.build_id
    after = store.open()
    assert after.info["expanded_chunks"] == 0
    assert np.array_equal(after.embeddings(), before.embeddings())  # only BM25 was rebuilt
    assert _known_hits(plain) < expanded
    assert ingest(plain, progress=False).build_id == report.build_id  # then a no-op again
