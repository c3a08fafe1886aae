"""Bad input loses nothing: each bad file gets a one-line reason, the rest ingest.

The bad files are made by fixtures (no committed binaries): empty, binary,
truncated and encrypted PDFs, a file over the size limit, a duplicate of an
indexed document; beside them good files with a legacy encoding and odd names.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pypdf import PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from ingest.errors import IngestError
from ingest.loaders import load_file
from ingest.pipeline import extra_documents, ingest
from kb.api import KnowledgeBase
from kb.core.records import SearchFilters
from kb.core.settings import Settings
from kb.core.store import IndexStore

FIXTURES = Path(__file__).parent.parent / "fixtures"
LIMIT_MB = 0.05  # the size limit for these tests: 50 kB

# File name -> a phrase its one-line reason must contain.
BAD = {
    "empty.txt": "empty",
    "blank page.md": "no text",
    "image.txt": "binary",
    "Truncated report (draft).pdf": "damaged or truncated",
    "locked – v2.pdf": "encrypted",
    "not really.pdf": "not a PDF",
    "huge minutes.txt": "limit",
    "alpha copy.md": "same text as document alpha-note",
    "budget.xlsx": "unsupported file type",
}
GOOD = {
    "Odd name (v2) — £ & 'quotes' #1.md": "odd-name-v2-quotes-1",
    "legacy notes.txt": "legacy-notes",
    "joint working.pdf": "joint-working",
}


def make_pdf(pages: list[str]) -> bytes:
    """A small real PDF, one string of text per page."""
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4)
    for text in pages:
        y = 800
        for line in text.split("\n"):
            pdf.drawString(72, y, line)
            y -= 16
        pdf.showPage()
    pdf.save()
    return buf.getvalue()


PDF_PAGES = [
    "Joint working between neighbouring councils\n"
    "Two councils merged their revenues and benefits teams under one manager.\n"
    "Savings came from a single IT system and shared management posts.",
    "Lessons from the first year\n"
    "Staff consultation started early and unions were kept informed throughout.\n"
    "The partners agreed a cost-sharing formula based on caseload.",
]


@pytest.fixture
def upload_dir(tmp_path: Path) -> Path:
    """Good and bad files side by side, as a user might drop them in."""
    folder = tmp_path / "uploads"
    folder.mkdir()
    pdf = make_pdf(PDF_PAGES)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blank page.md").write_text("   \n\n\t  \n", encoding="utf-8")
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
    (folder / "image.txt").write_bytes(png + bytes(range(256)) * 4)
    (folder / "Truncated report (draft).pdf").write_bytes(pdf[: len(pdf) // 2])
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    writer.encrypt(user_password="secret", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    (folder / "locked – v2.pdf").write_bytes(out.getvalue())
    (folder / "not really.pdf").write_text("Just some text saved with the wrong name.", "utf-8")
    (folder / "huge minutes.txt").write_text("Minutes of the joint committee. " * 3000, "utf-8")
    shutil.copy(FIXTURES / "alpha.md", folder / "alpha copy.md")
    (folder / "budget.xlsx").write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    (folder / "Odd name (v2) — £ & 'quotes' #1.md").write_text(
        "# Shared procurement\n\nFour councils pooled their procurement officers into one team "
        "and ran joint tenders for highways maintenance and office supplies.\n",
        encoding="utf-8",
    )
    # Windows-1252: pound sign, curly quotes and an en dash, as old council files have.
    (folder / "legacy notes.txt").write_bytes(
        "Legacy notes\n\nThe shared service cost £120,000 a year – the “host” council "
        "invoiced its partner quarterly for the finance team’s time.\n".encode("cp1252")
    )
    (folder / "joint working.pdf").write_bytes(pdf)
    return folder


@pytest.mark.parametrize("name", sorted(set(BAD) - {"alpha copy.md"}))
def test_loader_gives_each_bad_file_a_one_line_reason(upload_dir: Path, name: str) -> None:
    with pytest.raises(IngestError) as err:
        load_file(upload_dir / name, max_mb=LIMIT_MB)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(name)
    assert BAD[name].lower() in message.lower()


def test_legacy_encoding_is_read_correctly(upload_dir: Path) -> None:
    text = load_file(upload_dir / "legacy notes.txt").text
    assert "£120,000" in text and "“host”" in text and "team’s" in text


def test_pdf_with_only_an_owner_password_opens(tmp_path: Path) -> None:
    # "Encrypted" only to restrict printing: readable without a password.
    writer = PdfWriter(clone_from=io.BytesIO(make_pdf(PDF_PAGES)))
    writer.encrypt(user_password="", owner_password="owner")
    path = tmp_path / "restricted.pdf"
    with open(path, "wb") as fh:
        writer.write(fh)
    loaded = load_file(path)
    assert [p for p, _ in loaded.pages] == [1, 2]
    assert "revenues and benefits" in loaded.text


def _snapshot(settings: Settings, doc_ids: tuple[str, ...]) -> dict[str, object]:
    """What users of the given documents see: chunks, vectors, texts and searches."""
    index = IndexStore(settings).open()
    position = {cid: i for i, cid in enumerate(index.order)}
    vectors = index.embeddings()
    kb = KnowledgeBase(settings)
    only = SearchFilters(doc_ids=doc_ids)
    queries = ("joint committee oversight", "refuse contract savings", "notice to leave")
    return {
        "chunks": {d: [index.chunks[c] for c in index.documents[d].chunk_ids] for d in doc_ids},
        "vectors": {
            d: vectors[[position[c] for c in index.documents[d].chunk_ids]] for d in doc_ids
        },
        "texts": {d: index.document_text(d) for d in doc_ids},
        "dense": {
            q: [p.to_dict() for p in kb.search(q, filters=only, mode="dense")] for q in queries
        },
        "top": {q: kb.search(q, k=1, filters=only)[0].chunk.id for q in queries},
    }


def test_bad_files_fail_alone_and_the_index_answers_as_before(
    small_corpus: Settings, upload_dir: Path
) -> None:
    first = ingest(small_corpus, progress=False)
    assert first.ok, first.failed
    originals = ("alpha-note", "beta-note")
    before = _snapshot(small_corpus, originals)

    settings = small_corpus.model_copy(update={"max_file_mb": LIMIT_MB})
    extra, failed = extra_documents([upload_dir])
    report = ingest(settings, extra=extra, progress=False)
    report.failed.update(failed)

    assert not report.ok
    reasons = {Path(name).name: reason for name, reason in report.failed.items()}
    assert set(reasons) == set(BAD)
    for name, reason in reasons.items():
        assert "\n" not in reason, reason
        assert name in reason and BAD[name].lower() in reason.lower(), reason
    assert sorted(report.added) == sorted(GOOD.values())
    assert sorted(report.unchanged) == sorted(originals)

    index = IndexStore(settings).open()
    assert set(index.documents) == set(originals) | set(GOOD.values())
    assert "£120,000" in index.document_text("legacy-notes")
    assert index.documents["odd-name-v2-quotes-1"].meta.title == "Odd name (v2) — £ & 'quotes' #1"
    pdf_pages = {index.chunks[c].page for c in index.documents["joint-working"].chunk_ids}
    assert pdf_pages <= {1, 2} and 1 in pdf_pages

    after = _snapshot(settings, originals)
    assert after["chunks"] == before["chunks"]
    assert after["texts"] == before["texts"]
    for doc_id in originals:
        np.testing.assert_array_equal(after["vectors"][doc_id], before["vectors"][doc_id])  # type: ignore[index]
    assert after["dense"] == before["dense"]
    assert after["top"] == before["top"]
    hits = KnowledgeBase(settings).search("pooled procurement officers joint tenders", k=3)
    assert hits[0].chunk.doc_id == "odd-name-v2-quotes-1"


def test_a_damaged_new_version_keeps_the_old_one(small_corpus: Settings, tmp_path: Path) -> None:
    upload = tmp_path / "board paper.pdf"
    upload.write_bytes(make_pdf(PDF_PAGES))
    extra, _ = extra_documents([upload])
    assert "board-paper" in ingest(small_corpus, extra=extra, progress=False).added
    old = IndexStore(small_corpus).open().documents["board-paper"]

    data = upload.read_bytes()
    upload.write_bytes(data[: len(data) // 3])  # the file is damaged in place
    report = ingest(small_corpus, progress=False)
    assert list(report.failed) == ["board paper.pdf"]
    assert "damaged or truncated" in report.failed["board paper.pdf"]
    index = IndexStore(small_corpus).open()
    assert index.documents["board-paper"].chunk_ids == old.chunk_ids
    assert KnowledgeBase(small_corpus).search("revenues and benefits", k=1)[0].chunk.doc_id == (
        "board-paper"
    )


def test_names_that_slug_alike_are_both_kept(small_corpus: Settings, tmp_path: Path) -> None:
    (tmp_path / "Report.md").write_text(
        "Report one\n\nThe first report is about shared legal teams and their costs.\n", "utf-8"
    )
    (tmp_path / "report.txt").write_text(
        "Report two\n\nThe second report is about shared waste contracts and their savings.\n",
        "utf-8",
    )
    extra, failed = extra_documents([tmp_path / "Report.md", tmp_path / "report.txt"])
    report = ingest(small_corpus, extra=extra, progress=False)
    assert report.ok and not failed
    assert sorted(report.added) == ["alpha-note", "beta-note", "report", "report-2"]


@pytest.mark.slow
def test_cli_exit_status_names_each_failure(small_corpus: Settings, upload_dir: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KB_")},
        "KB_DATA_DIR": str(small_corpus.data_dir),
        "KB_CORPUS_DIR": str(small_corpus.corpus_dir),
        "KB_MAX_FILE_MB": str(LIMIT_MB),
        "HF_HUB_OFFLINE": "1",
    }
    kb = [sys.executable, "-m", "cli"]
    bad = subprocess.run(
        [*kb, "ingest", "-q", str(upload_dir)], env=env, capture_output=True, text=True, timeout=180
    )
    assert bad.returncode == 1, bad.stderr
    assert "Traceback" not in bad.stderr
    failures = [line for line in bad.stderr.splitlines() if line.startswith("failed: ")]
    assert len(failures) == len(BAD), bad.stderr
    for name in BAD:
        assert sum(name in line for line in failures) == 1, (name, failures)
    assert "odd-name-v2-quotes-1" in bad.stdout

    good = subprocess.run(
        [*kb, "ingest", "-q", str(upload_dir / "legacy notes.txt")],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert good.returncode == 0, good.stderr
    assert "unchanged" in good.stdout
