"""Uploaded file names cannot escape the data directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.errors import IngestError
from ingest.uploads import safe_upload_path

HOSTILE = [
    "../../etc/passwd.txt",
    "..\\..\\windows\\system32\\x.md",
    "/etc/cron.d/evil.txt",
    "C:\\Users\\a\\report.pdf",
    "....//....//x.html",
    ".hidden.md",
    "a/../../b.txt",
    "name\x00.txt.pdf",
    "%2e%2e%2fsecret.txt",
    "ﾠ／etc／passwd.txt",
    "Report (final) — £ & 'v2'.PDF",
    "x" * 400 + ".txt",
]


@pytest.mark.parametrize("filename", HOSTILE)
def test_names_stay_inside_the_uploads_folder(tmp_path: Path, filename: str) -> None:
    data = tmp_path / "data"
    path = safe_upload_path(data, filename)
    assert path.parent == (data / "uploads").resolve()
    assert not path.name.startswith(".") and "/" not in path.name and "\\" not in path.name
    assert all(ch.isprintable() for ch in path.name) and len(path.name) <= 110


def test_existing_files_are_not_overwritten(tmp_path: Path) -> None:
    first = safe_upload_path(tmp_path, "minutes.txt")
    first.write_text("x", "utf-8")
    assert safe_upload_path(tmp_path, "minutes.txt").name == "minutes-2.txt"


@pytest.mark.parametrize(
    "filename", ["evil.sh", "noext", "", "../x.py", "a.pdf.exe", "..md", "\n\r\t.md"]
)
def test_unsupported_types_are_refused(tmp_path: Path, filename: str) -> None:
    with pytest.raises(IngestError, match="unsupported file type"):
        safe_upload_path(tmp_path, filename)
