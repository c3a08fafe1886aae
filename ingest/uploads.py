"""Where an uploaded file may be saved: always inside the uploads folder."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from ingest.errors import IngestError
from ingest.loaders import SUPPORTED

_UNSAFE = re.compile(r"[^\w.\- ()]+")


def safe_upload_path(data_dir: Path, filename: str) -> Path:
    """A path under ``<data_dir>/uploads`` for a user-supplied file name.

    Folders, drive letters, ``..``, control characters and hidden-file dots are
    stripped, so the name can never escape the folder; unsupported types raise
    IngestError. An existing file is not overwritten: a number is added.
    """
    name = unicodedata.normalize("NFKC", filename or "")
    name = name.replace("\\", "/").split("/")[-1]  # no folders, from any OS
    name = "".join(ch for ch in name if ch.isprintable())
    name = _UNSAFE.sub("_", name).strip(" .")
    stem, suffix = Path(name).stem.strip(" ._"), Path(name).suffix.lower()
    if suffix not in SUPPORTED:
        raise IngestError(
            f"{filename!r}: unsupported file type {suffix or '(none)'}; use one of "
            f"{', '.join(SUPPORTED)}."
        )
    stem = (stem or "upload")[:100]
    folder = (data_dir / "uploads").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    path, n = folder / f"{stem}{suffix}", 2
    while path.exists():
        path, n = folder / f"{stem}-{n}{suffix}", n + 1
    if path.resolve().parent != folder:  # belt and braces
        raise IngestError(f"{filename!r}: not a usable file name.")
    return path
