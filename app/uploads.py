"""Adding and removing library documents from the app (admins only when a password is set)."""

from __future__ import annotations

import uuid
from pathlib import Path

from ingest.errors import IngestError
from ingest.loaders import SUPPORTED
from ingest.manifest import meta_from_entry, slugify
from ingest.pipeline import ingest
from kb.core.records import IngestReport
from kb.core.settings import Settings

UPLOAD_TYPES = sorted(s.lstrip(".") for s in SUPPORTED)


def upload_dir(settings: Settings) -> Path:
    return settings.data_dir / "uploads"


def add_document(
    settings: Settings,
    filename: str,
    data: bytes,
    title: str,
    date: str = "",
    kind: str = "article",
    taken: set[str] | frozenset[str] = frozenset(),
) -> IngestReport:
    """Save an uploaded file under a generated name and ingest it.

    Raises IngestError with a message for the user when the upload is unusable;
    a file that fails to ingest is deleted again and the index is left as it was.
    """
    suffix = Path(filename).suffix.lower()
    if suffix not in SUPPORTED:
        raise IngestError(
            f"{filename}: unsupported file type {suffix or '(none)'}; use "
            f"{', '.join(UPLOAD_TYPES)}."
        )
    if not data:
        raise IngestError(f"{filename}: the file is empty.")
    if len(data) > settings.max_file_mb * 1024 * 1024:
        raise IngestError(f"{filename}: larger than {settings.max_file_mb:g} MB.")
    title = " ".join(title.split()) or Path(filename).stem
    doc_id, n = slugify(title), 2
    while doc_id in taken:
        doc_id, n = f"{slugify(title)}-{n}", n + 1
    # The user's file name never reaches the file system: a random name, the checked suffix.
    path = upload_dir(settings) / f"{uuid.uuid4().hex}{suffix}"
    meta = meta_from_entry(
        {
            "id": doc_id,
            "title": title,
            "file": str(path),
            "kind": kind,
            "date": date.strip() or None,
            "date_note": "Added from the app.",
        },
        upload_dir(settings),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    try:
        report = ingest(settings, extra=[meta], progress=False)
    except Exception:
        path.unlink(missing_ok=True)
        raise
    if not report.ok or meta.id not in report.added + report.replaced:
        path.unlink(missing_ok=True)
    # Reasons name the stored file; the user knows it by the name they uploaded.
    report.failed = {
        (filename if k == path.name else k): v.replace(path.name, filename)
        for k, v in report.failed.items()
    }
    return report


def remove_document(settings: Settings, doc_id: str) -> IngestReport:
    """Remove an uploaded document from the index (manifest documents stay)."""
    report = ingest(settings, remove=(doc_id,), progress=False)
    for f in upload_dir(settings).glob("*"):
        # Uploaded files no build refers to any more can go.
        if f.is_file() and not _referenced(settings, f):
            f.unlink(missing_ok=True)
    return report


def _referenced(settings: Settings, path: Path) -> bool:
    from kb.core.store import IndexStore

    index = IndexStore(settings).open()
    return any(Path(d.meta.file) == path for d in index.documents.values())
