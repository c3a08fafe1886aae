"""Cleaning: only the document's own words reach the index, with their page numbers.

Small inline texts pin each rule; the real corpus documents show the rules
doing their job on the text users actually search.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest.clean import clean_pdf_pages, clean_pdf_text, normalise_line, running_titles
from ingest.clean_web import clean_plain_text, clean_web_text
from ingest.structure import load_profile
from kb.core.records import CleanDocument, DocumentMeta, PageMark
from kb.core.settings import REPO_ROOT

CORPUS = REPO_ROOT / "corpus"
DOCS = CORPUS / "documents"
GUIDE_TITLE = "Shared services and management: a guide for councils"


def raw(doc_id: str) -> str:
    return (DOCS / f"{doc_id}.txt").read_text(encoding="utf-8")


def page_of(text: str, pages: list[PageMark], phrase: str) -> PageMark | None:
    meta = DocumentMeta(id="doc", title="Doc", file="doc.txt")
    offset = text.index(phrase)
    return CleanDocument(meta, text, pages).page_at(offset)


@pytest.fixture(scope="module")
def guide() -> tuple[str, list[PageMark]]:
    furniture = load_profile(CORPUS / "structure", "lga-guide-2011").furniture
    return clean_pdf_text(raw("lga-guide-2011"), furniture)


# -- lines ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("housing\tservices\tand\tbenefits\t", "housing services and benefits"),
        ("  two   spaces\u00a0and\u2009thin  ", "two spaces and thin"),
        ("ﬁnance and ﬂexible working", "finance and flexible working"),
        ("bell\x07 and\x0c form feed", "bell and form feed"),
        ("zero\u200bwidth", "zero width"),
    ],
)
def test_normalise_line(line: str, expected: str) -> None:
    assert normalise_line(line) == expected


# -- text extracted from a PDF --------------------------------------------------------

PDF_TEXT = f"""Sharing\tservices\tacross   two councils
 Councils in the county agreed to share a\tfinance team and
a long-
established legal service.

www.local.gov.uk/shared-services
www.local.gov.uk/shared-services
www.local.gov.uk/shared-services
mailto:team@example.gov.uk

14          {GUIDE_TITLE}

 The second page explains how the joint committee oversees the ﬁnance team.
It meets every quarter.

{GUIDE_TITLE}         15

 The third page sets out the exit arrangements for partners.
"""


def test_pdf_text_spacing_is_normalised() -> None:
    text, _ = clean_pdf_text(PDF_TEXT)
    assert "\t" not in text and "  " not in text
    assert "share a finance team" in text
    assert "long-established legal service" in text  # a word broken at a line end is re-joined
    assert "oversees the finance team" in text  # ligature unfolded


def test_repeated_url_lines_collapse_and_mailto_lines_go() -> None:
    text, _ = clean_pdf_text(PDF_TEXT)
    assert text.count("www.local.gov.uk/shared-services") == 1
    assert "mailto:" not in text


def test_running_footers_are_removed_and_give_page_numbers() -> None:
    text, pages = clean_pdf_text(PDF_TEXT)
    assert GUIDE_TITLE not in text
    assert not re.search(r"\b1[45]\b", text)
    # Page 14 ends at the first footer, page 15 at the second: both exact.
    assert page_of(text, pages, "Councils in the county") == PageMark(
        text.index("Councils in the county"), 14, exact=True
    )
    second = page_of(text, pages, "The second page")
    assert second is not None and (second.page, second.exact) == (15, True)
    # No footer closes the third page: its number is an estimate, and says so.
    third = page_of(text, pages, "The third page")
    assert third is not None and (third.page, third.exact) == (16, False)


def test_a_title_beside_a_number_once_is_not_furniture() -> None:
    lines = [f"14          {GUIDE_TITLE}", "Table 3          12", f"{GUIDE_TITLE}          15"]
    assert running_titles(lines) == {GUIDE_TITLE}
    text, pages = clean_pdf_text("Table 3          12\n\nA sentence about tables.\n")
    assert "Table 3 12" in text and pages == []


def test_profile_furniture_lines_are_dropped() -> None:
    raw_text = "The council’s\nAppendix 2 – Case studies\nsenior team was merged.\n"
    text, _ = clean_pdf_text(raw_text, furniture=("Appendix 2 – Case studies",))
    assert text == "The council’s senior team was merged."


def test_box_headings_stand_alone() -> None:
    text, _ = clean_pdf_text(
        "Useful resources\nThe LGA website lists tools.\nCase study 4\n"
        "Huntingdonshire\nWhat was the approach?\nA shared call centre.\n"
    )
    assert text.split("\n\n") == [
        "Useful resources",
        "The LGA website lists tools.",
        "Case study 4",
        "Huntingdonshire",
        "What was the approach?",
        "A shared call centre.",
    ]


def test_real_pdf_pages_are_exact_and_lose_running_headers() -> None:
    header = "Joint Waste Board – Annual report"
    pages = [
        (n, f"{header}\nPage {n} text about the waste partnership.\nMore on page {n}.\n{n}")
        for n in (3, 4, 5)
    ]
    text, marks = clean_pdf_pages(pages)
    assert header not in text
    assert not re.search(r"(^|\n)\d+($|\n)", text)  # bare page numbers are gone
    assert [(m.page, m.exact) for m in marks] == [(3, True), (4, True), (5, True)]
    for m in marks:
        assert text[m.start :].startswith(f"Page {m.page} text")


def test_the_guide_loses_its_page_furniture(guide: tuple[str, list[PageMark]]) -> None:
    text, _ = guide
    source = raw("lga-guide-2011")
    assert "\t" in source and f"14          {GUIDE_TITLE}" in source  # the problem exists
    assert "\t" not in text and "  " not in text
    assert GUIDE_TITLE not in text
    assert "Appendix 2 – Case studies senior" not in text.replace("\n", " ")
    lines = text.split("\n")
    repeats = [
        a
        for a, b in zip(lines, lines[2:], strict=False)
        if a == b and re.match(r"^(https?://|www\.)", a)
    ]
    assert not repeats, repeats[:3]


def test_the_guides_printed_page_numbers_are_recovered(
    guide: tuple[str, list[PageMark]],
) -> None:
    text, pages = guide
    assert [m.start for m in pages] == sorted(m.start for m in pages)
    assert [m.page for m in pages] == sorted(m.page for m in pages)
    exact = {m.page for m in pages if m.exact}
    # The raw text shows footers for pages 14, 31, 46 and 76.
    assert exact == {14, 31, 46, 76}
    page = page_of(text, pages, "housing services and benefits administration")
    assert page is not None and (page.page, page.exact) == (14, True)
    page = page_of(text, pages, "shared services financially unviable")
    assert page is not None and (page.page, page.exact) == (31, True)
    first, last = pages[0].page, pages[-1].page
    assert 1 <= first <= 6 and 75 <= last <= 90  # the guide has about 80 pages


# -- text copied from a web page ------------------------------------------------------


def clean_known_page(doc_id: str) -> str:
    """A manifest page cleaned as ingest cleans it: with the rules its profile names."""
    profile = load_profile(CORPUS / "structure", doc_id)
    assert profile.known
    return clean_web_text(raw(doc_id), end_markers="web-page-end" in profile.rules)


WEB_TEXT = """Skip to content
  • Share this article on Twitter
  • Add this article to your LinkedIn page
  • Email this article
Shared legal services save money
4 min read Written by: Jo Bloggs
We use cookies to improve your experience on our site.
Accept all cookies
Two councils share a legal team. The team advises on cookies and tracking for the council websites.
Click here to download the report
Subscribe to our newsletter
The partnership started in 2019.
Leave a Reply
Your email address will not be published.
Great article!
Latest news: council tax rises
"""


def test_web_clutter_is_dropped_and_the_article_kept() -> None:
    text = clean_web_text(WEB_TEXT, end_markers=True)
    assert text.split("\n\n") == [
        "Shared legal services save money",
        "Written by: Jo Bloggs",
        "Two councils share a legal team. The team advises on cookies and tracking for the "
        "council websites.",
        "The partnership started in 2019.",
    ]


@pytest.mark.parametrize(
    "ending",
    [
        "Leave a Reply",
        "Tell us what you think – have your say below or",
        "There are no comments. Why not be the first?",
        "Add your comment",
        "public sector executive tv",
        "Related articles",
        "More news",
        "Comments",
    ],
)
def test_everything_after_the_comments_or_sidebar_goes(ending: str) -> None:
    text = clean_web_text(
        f"The article body.\n{ending}\nUnrelated headline about housing\n", end_markers=True
    )
    assert text == "The article body."


def test_publictechnology_page_loses_reply_and_newsletter_prompts() -> None:
    source = raw("publictechnology-2020-webinar")
    text = clean_known_page("publictechnology-2020-webinar")
    for clutter in (
        "Leave a Reply",
        "Subscribe to our newsletter",
        "Your email address",
        "subscription has been confirmed",
        "Learn More",
        "Click here to",
    ):
        assert clutter in source
        assert clutter not in text
    assert text.startswith("How can local government get it right on shared services?")
    assert "626 shared-service arrangements" in text
    assert text.endswith("Sam Trendall")


PSE_SIDEBAR = (
    "Latest Public Sector News",
    "Source: PSE - April/ May 16",
    "Tell us what you think",
    "There are no comments",
    "public sector executive tv",
    "The importance of openness after Grenfell",
    "Peter Kyle MP",
    "How community-led initiatives can help save the housing shortage",
    "Artificial intelligence: the devil is in the data",
    "Northern Powerhouse Partner aims to connect the North once again",
    "Take a moment to celebrate",
)


def test_pse_page_loses_its_sidebar_of_unrelated_news() -> None:
    source = raw("pse-2016-future-shared-services")
    text = clean_known_page("pse-2016-future-shared-services")
    for clutter in PSE_SIDEBAR:
        assert clutter in source
        assert clutter not in text, clutter
    assert text.startswith("The future of shared services")
    assert "East Sussex Procurement Hub" in text
    assert text.endswith("in the most efficient and effective ways possible.")


def test_pa_page_loses_share_buttons_and_cookie_notice() -> None:
    source = raw("pa-2011-pushing-boundaries")
    text = clean_known_page("pa-2011-pushing-boundaries")
    for clutter in (
        "Skip to content",
        "Add this article to your",
        "Email this article",
        "View or print a PDF",
        "Share further",
        "Share this article on",
        "Bookmark this page",
        "you accept the use of cookies",
        "please click here",
    ):
        assert clutter in source
        assert clutter not in text, clutter
    assert "•" not in text
    assert text.startswith("Viewpoint: Pushing the boundaries of Shared Services")
    assert text.endswith("is a public sector shared services expert at PA Consulting Group.")


def test_perago_byline_keeps_the_author() -> None:
    text = clean_known_page("perago-2025-reorganised-landscape")
    assert text.split("\n\n")[:2] == [
        "Making shared services work in a reorganised landscape",
        "Written by: Victoria Ford",
    ]
    assert "min read" not in text
    assert "- better services for residents" in text


@pytest.mark.parametrize("path", sorted(DOCS.glob("*.txt")), ids=lambda p: p.stem)
def test_no_cleaned_corpus_text_has_controls_or_stray_spacing(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    text = (
        clean_pdf_text(source)[0] if path.stem == "lga-guide-2011" else clean_known_page(path.stem)
    )
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u00a0\t]", text)
    assert not re.search(r" \n|\n |  ", text)
    assert text == text.strip()


def test_plain_text_keeps_paragraphs_and_drops_extra_blank_lines() -> None:
    raw_text = "# Title\t\n\n\n\nFirst  paragraph\nwraps here.\n\n\n## Next\n"
    assert clean_plain_text(raw_text) == "# Title\n\nFirst paragraph\nwraps here.\n\n## Next"
