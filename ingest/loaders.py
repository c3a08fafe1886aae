"""Read a file into text (and real page numbers for PDFs), or say why not."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from ingest.errors import IngestError

SUPPORTED = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")


@dataclass
class LoadedText:
    """Raw text of a file; ``pages`` holds (page number, text) for real PDFs."""

    text: str
    format: str  # pdf | pdf-text | web-text | html | plain
    pages: list[tuple[int, str]] = field(default_factory=list)


def load_file(path: Path, fmt: str | None = None, max_mb: float = 50.0) -> LoadedText:
    """Load one file by extension; raise IngestError with a one-line reason."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise IngestError(
            f"{path.name}: unsupported file type {suffix or '(none)'}; "
            f"use one of {', '.join(SUPPORTED)}."
        )
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise IngestError(f"{path.name}: cannot be read ({exc.strerror}).") from exc
    if size == 0:
        raise IngestError(f"{path.name}: the file is empty.")
    if size > max_mb * 1024 * 1024:
        raise IngestError(f"{path.name}: {size / 1e6:.1f} MB is over the {max_mb:g} MB limit.")
    try:  # stat succeeds on folders and on files the user may not read
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"{path.name}: cannot be read ({exc.strerror}).") from exc
    if suffix == ".pdf":
        return _load_pdf(path, data)
    text = decode_text(data, path.name)
    if suffix in (".html", ".htm"):
        return LoadedText(html_to_text(text), "html")
    return LoadedText(text, fmt or "plain")


def decode_text(data: bytes, name: str) -> str:
    """UTF-8 first; legacy Windows-1252 files (common for council documents) next."""
    if b"\x00" in data[:4096]:
        raise IngestError(f"{name}: this is a binary file, not text.")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise IngestError(f"{name}: the text is in an unknown encoding.")
    if not text.strip():
        raise IngestError(f"{name}: the file holds no text.")
    printable = sum(ch.isprintable() or ch in "\n\r\t" for ch in text[:4096])
    if printable < 0.9 * min(len(text), 4096):
        raise IngestError(f"{name}: this looks like a binary file, not text.")
    return text


def _load_pdf(path: Path, data: bytes) -> LoadedText:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if b"%PDF-" not in data[:1024]:  # the header may follow a little junk
        raise IngestError(f"{path.name}: this is not a PDF file (no PDF header).")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not _open_without_password(reader):
            raise IngestError(f"{path.name}: the PDF is encrypted; save an unprotected copy.")
        labels = _page_labels(reader)
        pages = [(labels[i], page.extract_text() or "") for i, page in enumerate(reader.pages)]
    except IngestError:
        raise
    except RecursionError as exc:
        raise IngestError(f"{path.name}: the PDF cannot be read (its structure loops).") from exc
    except Exception as exc:  # noqa: BLE001 - pypdf raises many types on damaged files
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        kind = "damaged or truncated" if isinstance(exc, PdfReadError) else "unreadable"
        raise IngestError(f"{path.name}: the PDF is {kind} ({reason}).") from exc
    if not any(text.strip() for _, text in pages):
        raise IngestError(f"{path.name}: the PDF has no extractable text (scanned images?).")
    return LoadedText("\n".join(t for _, t in pages), "pdf", pages)


def _open_without_password(reader) -> bool:  # type: ignore[no-untyped-def]
    # Many PDFs are "encrypted" only to restrict printing or copying, with an
    # empty user password; those open and extract like any other.
    try:
        return bool(reader.decrypt(""))
    except Exception:  # noqa: BLE001 - unsupported cipher or missing crypto library
        return False


def _page_labels(reader) -> list[int]:  # type: ignore[no-untyped-def]
    # Printed page labels ("iv", "12") beat physical positions when numeric.
    count = len(reader.pages)
    try:
        labels = list(reader.page_labels)
    except Exception:  # noqa: BLE001 - malformed label trees are common; fall back
        labels = []
    if len(labels) == count and all(str(lbl).isdigit() for lbl in labels):
        return [int(lbl) for lbl in labels]
    return list(range(1, count + 1))


class _TextExtractor(HTMLParser):
    SKIP = {"script", "style", "nav", "header", "footer", "aside", "form", "noscript", "svg"}
    BLOCK = {
        "p",
        "div",
        "br",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "tr",
        "section",
        "article",
        "blockquote",
        "ul",
        "ol",
        "table",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs) -> None:  # type: ignore[no-untyped-def]
        if tag in self.SKIP:
            self._skip += 1
        elif tag in self.BLOCK:
            self.parts.append("\n\n" if tag.startswith("h") or tag == "p" else "\n")
        if tag == "li" and not self._skip:
            self.parts.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self._skip:
            self._skip -= 1
        elif tag in self.BLOCK:
            self.parts.append("\n\n" if tag.startswith("h") or tag == "p" else "\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of a page, without scripts, navigation, headers, footers or asides."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)
