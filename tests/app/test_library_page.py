"""The Library page and adding or removing documents from the app."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from app.uploads import add_document, remove_document, upload_dir
from ingest.errors import IngestError
from kb.core.settings import Settings
from kb.core.store import IndexStore


def test_the_library_lists_documents_with_dates(open_app: Callable[..., AppTest]) -> None:
    at = open_app("library")
    assert not at.dataframe  # readable cards, not a raw table with an id column
    assert any(b.key == "open-lga-guide-2011" for b in at.button)
    assert any("2011" in c.value and "passages" in c.value for c in at.caption)
    assert not any("manifest" in c.value for c in at.caption)


def test_remove_without_the_tick_says_so(
    open_app: Callable[..., AppTest], app_settings: Settings
) -> None:
    add_document(app_settings, "note.txt", b"Shared legal services in Kent.\n", "Kent note")
    at = open_app("library")
    assert any("Officer upload" in m.value for m in at.markdown)
    next(b for b in at.button if b.label == "Remove").click().run()
    assert any("nothing was removed" in w.value for w in at.warning)
    assert "kent-note" in IndexStore(app_settings).open().documents


def test_a_citation_link_opens_the_document_at_the_passage(
    open_app: Callable[..., AppTest], app_settings: Settings
) -> None:
    index = IndexStore(app_settings).open()
    chunk = next(c for c in index.chunks.values() if c.doc_id == "lga-guide-2011" and c.page)
    at = open_app("library", doc=chunk.doc_id, start=str(chunk.start), end=str(chunk.end))
    assert [s.value for s in at.subheader][:1] == ["Cited passage"]
    highlighted = [m.value for m in at.markdown if ":orange-background[" in m.value]
    assert highlighted, "the cited passage is not highlighted"
    first_words = " ".join(chunk.text.split()[:3])
    assert any(first_words.split()[0] in h for h in highlighted)


def test_corpus_text_is_shown_as_text(open_app: Callable[..., AppTest]) -> None:
    at = open_app("library", doc="lga-guide-2011")
    for m in at.markdown:
        assert m.proto.allow_html is False


def test_adding_and_removing_a_document(app_settings: Settings) -> None:
    text = (
        b"Shared legal services in Kent\n\nThe councils of Kent pooled their legal teams in "
        b"one service hosted by the county. The partnership reported lower external counsel "
        b"costs and better resilience for planning inquiries.\n"
    )
    report = add_document(app_settings, "kent legal.txt", text, "Kent legal partnership", "2019")
    assert report.ok and report.added == ["kent-legal-partnership"]
    index = IndexStore(app_settings).open()
    record = index.documents["kent-legal-partnership"]
    assert record.added_by == "upload" and record.meta.date == "2019"
    assert list(upload_dir(app_settings).iterdir()) != []
    remove_document(app_settings, "kent-legal-partnership")
    assert "kent-legal-partnership" not in IndexStore(app_settings).open().documents
    assert list(upload_dir(app_settings).iterdir()) == []


@pytest.mark.parametrize(
    ("name", "data", "date", "message"),
    [
        ("notes.docx", b"PK\x03\x04", "", "unsupported file type"),
        ("empty.txt", b"", "", "empty"),
        ("report.pdf", b"%PDF-1.4 this is not really a pdf", "", "report.pdf"),
        ("fine.txt", b"Some text about sharing services.", "last spring", "date"),
    ],
)
def test_a_bad_upload_gets_a_message_and_changes_nothing(
    app_settings: Settings, name: str, data: bytes, date: str, message: str
) -> None:
    before = IndexStore(app_settings).current_id()
    try:
        report = add_document(app_settings, name, data, "Bad one", date)
    except IngestError as exc:
        assert message in str(exc)
    else:
        assert not report.ok
        assert any(message in reason for reason in report.failed.values())
    assert IndexStore(app_settings).current_id() == before
    assert not upload_dir(app_settings).exists() or list(upload_dir(app_settings).iterdir()) == []
