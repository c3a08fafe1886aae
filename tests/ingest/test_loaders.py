"""Loading files into text: each supported type, real PDF page numbers, clear refusals.

Bad binaries (empty, truncated, encrypted, oversized files) are covered in
``test_bad_files.py``; this file covers the formats themselves.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from pypdf import PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from ingest.errors import IngestError
from ingest.loaders import SUPPORTED, html_to_text, load_file

# Three pages, each with words found on no other page.
PAGES = [
    ["Page one: the finance directors met in Taunton.", "They agreed a shared payroll team."],
    ["Page two: the legal officers drafted a Section 101 delegation.", "Members approved it."],
    ["Page three: the waste contract was let for eight years.", "Recycling rose sharply."],
]
PHRASES = ["Taunton", "Section 101 delegation", "eight years"]


def write_pdf(path: Path, pages: list[list[str]], labels: tuple[str, int] | None = None) -> Path:
    """A real PDF drawn with reportlab; ``labels`` = (style, first number) sets page labels."""
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4)
    for lines in pages:
        y = 780
        for line in lines:
            pdf.drawString(72, y, line)
            y -= 18
        pdf.showPage()
    pdf.save()
    data = buf.getvalue()
    if labels is not None:
        writer = PdfWriter(clone_from=io.BytesIO(data))
        style, start = labels
        writer.set_page_label(0, len(pages) - 1, style=style, start=start)
        out = io.BytesIO()
        writer.write(out)
        data = out.getvalue()
    path.write_bytes(data)
    return path


@pytest.fixture
def three_page_pdf(tmp_path: Path) -> Path:
    return write_pdf(tmp_path / "minutes.pdf", PAGES)


def test_plain_text_is_read_as_is(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    body = "Shared services\n\nTwo councils share a chief executive – and save £200,000.\n"
    path.write_text(body, encoding="utf-8")
    loaded = load_file(path)
    assert loaded.text == body
    assert loaded.format == "plain" and loaded.pages == []


def test_the_manifest_format_is_kept_for_text_files(tmp_path: Path) -> None:
    path = tmp_path / "article.txt"
    path.write_text("Copied from a web page.\n", encoding="utf-8")
    assert load_file(path, fmt="web-text").format == "web-text"
    assert load_file(path, fmt="pdf-text").format == "pdf-text"


def test_utf8_byte_order_mark_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes("\ufeffJoint committee minutes".encode())
    assert load_file(path).text == "Joint committee minutes"


@pytest.mark.parametrize("name", ["guide.md", "guide.markdown", "GUIDE.MD"])
def test_markdown_is_plain_text_with_its_headings(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    body = "# Shared legal services\n\n## Governance\n\nA joint committee oversees the team.\n"
    path.write_text(body, encoding="utf-8")
    loaded = load_file(path)
    assert loaded.text == body and loaded.format == "plain"


HTML = """<!doctype html>
<html><head><title>Ignored title</title>
<style>p { color: red; }</style><script>var tracking = "SCRIPT-TEXT";</script></head>
<body>
<header>SITE-HEADER</header>
<nav><a href="/">NAV-HOME</a></nav>
<h1>Shared waste services</h1>
<p>Three districts let one contract &amp; saved &pound;400,000 a year.</p>
<ul><li>Single depot</li><li>Aligned collection days</li></ul>
<aside>ASIDE-RELATED-NEWS</aside>
<form>FORM-SUBSCRIBE</form>
<footer>SITE-FOOTER</footer>
</body></html>"""


@pytest.mark.parametrize("name", ["page.html", "page.htm", "PAGE.HTML"])
def test_html_keeps_the_visible_article_text_only(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(HTML, encoding="utf-8")
    loaded = load_file(path)
    assert loaded.format == "html" and loaded.pages == []
    text = loaded.text
    assert "Shared waste services" in text
    assert "Three districts let one contract & saved £400,000 a year." in text  # entities decoded
    assert "- Single depot" in text and "- Aligned collection days" in text
    for hidden in (
        "SCRIPT-TEXT",
        "color: red",
        "SITE-HEADER",
        "NAV-HOME",
        "ASIDE-RELATED-NEWS",
        "FORM-SUBSCRIBE",
        "SITE-FOOTER",
    ):
        assert hidden not in text
    # Block elements become separate paragraphs rather than one run-on line.
    heading_end = text.index("Shared waste services") + len("Shared waste services")
    assert "\n\n" in text[heading_end : text.index("Three districts")]


def test_nested_skipped_elements_do_not_hide_what_follows() -> None:
    text = html_to_text("<nav><ul><li>Menu</li><footer>x</footer></ul></nav><p>Body text.</p>")
    assert "Menu" not in text and "Body text." in text


def test_pdf_pages_are_numbered_and_hold_their_own_text(three_page_pdf: Path) -> None:
    loaded = load_file(three_page_pdf)
    assert loaded.format == "pdf"
    assert [number for number, _ in loaded.pages] == [1, 2, 3]
    for (_, text), phrase in zip(loaded.pages, PHRASES, strict=True):
        assert phrase in text
        assert all(other not in text for other in PHRASES if other != phrase)
    assert all(phrase in loaded.text for phrase in PHRASES)
    assert (
        loaded.text.index("Taunton")
        < loaded.text.index("Section 101")
        < (loaded.text.index("eight years"))
    )


def test_printed_page_numbers_beat_physical_positions(tmp_path: Path) -> None:
    # A chapter printed as pages 12-14: citations must say p. 13, not p. 2.
    loaded = load_file(write_pdf(tmp_path / "chapter.pdf", PAGES, labels=("/D", 12)))
    assert [number for number, _ in loaded.pages] == [12, 13, 14]
    assert "Section 101" in dict(loaded.pages)[13]


def test_roman_page_labels_fall_back_to_positions(tmp_path: Path) -> None:
    loaded = load_file(write_pdf(tmp_path / "preface.pdf", PAGES, labels=("/r", 1)))
    assert [number for number, _ in loaded.pages] == [1, 2, 3]


def test_pdf_without_text_says_so(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "scan.pdf", [[], []])
    with pytest.raises(IngestError, match=r"^scan\.pdf: .*no extractable text"):
        load_file(path)


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("budget.xlsx", ".xlsx"),
        ("minutes.docx", ".docx"),
        ("README", "(none)"),
        ("archive.tar.gz", ".gz"),
    ],
)
def test_unsupported_extension_is_refused_with_the_supported_list(
    tmp_path: Path, name: str, shown: str
) -> None:
    path = tmp_path / name
    path.write_text("some text", encoding="utf-8")
    with pytest.raises(IngestError) as err:
        load_file(path)
    message = str(err.value)
    assert message.startswith(f"{name}: unsupported file type {shown};")
    assert all(ext in message for ext in SUPPORTED)
    assert "\n" not in message and message.endswith(".")


def test_missing_file_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(IngestError) as err:
        load_file(tmp_path / "gone.txt")
    assert str(err.value) == "gone.txt: cannot be read (No such file or directory)."


def test_dangling_link_cannot_be_read(tmp_path: Path) -> None:
    link = tmp_path / "shortcut.md"
    os.symlink(tmp_path / "moved-away.md", link)
    with pytest.raises(IngestError, match=r"^shortcut\.md: cannot be read \("):
        load_file(link)


def test_a_folder_with_a_file_name_cannot_be_read(tmp_path: Path) -> None:
    # stat() succeeds on a folder; reading it must still be a clear IngestError.
    folder = tmp_path / "report.txt"
    folder.mkdir()
    (folder / "inside.txt").write_text("x" * 100, encoding="utf-8")  # a non-zero folder size
    with pytest.raises(IngestError) as err:
        load_file(folder)
    assert str(err.value) == "report.txt: cannot be read (Is a directory)."
