"""Property tests: cleaning, sectioning and chunking never crash and lose no text.

"No text lost" means: every non-whitespace character of the cleaned text lies
inside some chunk's ``[start, end)``, except in sections the chunker skips on
purpose (navigation diagrams), paragraphs that are only a heading of their
own section (the heading travels in every chunk's section path instead), and
punctuation in sections that hold nothing else.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.chunk import SKIPPED_KINDS, chunk_document, make_splitter
from ingest.clean import clean_pdf_text
from ingest.clean_web import clean_plain_text, clean_web_text
from ingest.structure import Profile, load_profile, paragraphs, split_sections
from kb.core.records import CleanDocument, DocumentMeta, Section
from kb.core.settings import REPO_ROOT

SPLITTER = make_splitter(160, 32)
META = DocumentMeta(id="prop-doc", title="Property document", file="prop.txt", date="2020")
FEW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Lines that exercise the cleaner's and the sectioner's rules, mixed with noise.
SPECIAL_LINES = [
    "Case study 1",
    "Case study 12",
    "What was the approach?",
    "What's been achieved?",
    "What’s been learned?",
    "Contacts",
    "Useful resources",
    "The structure of this section:",
    "14          Shared services and management: a guide for councils",
    "Shared services and management: a guide for councils          15",
    "www.local.gov.uk/shared-services",
    "https://example.org/a?b=c",
    "mailto:a@b.org",
    "Leave a Reply",
    "Subscribe to our newsletter",
    "Share this article on Twitter",
    "4 min read Written by: Victoria Ford",
    "# Heading one",
    "## Heading two",
    "###",
    "Is sharing legal?",
    "How will the arrangement be governed?",
    "• a bullet point",
    "- another bullet",
    "1. numbered item",
    " A line that starts a new page",
    "",
    "   ",
    "\t\t",
    "ﬁnance and ﬂexible working",
    "long-",
    "established partnership",
]
WORDS = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12
)
SENTENCE = st.lists(
    st.one_of(WORDS, st.sampled_from(["council", "shared", "services", "the", "and"])),
    min_size=1,
    max_size=40,
).map(lambda ws: " ".join(ws) + ".")
LINE = st.one_of(st.sampled_from(SPECIAL_LINES), SENTENCE, st.text(max_size=80))
DOCUMENT = st.lists(LINE, max_size=60).map("\n".join)
ANY_TEXT = st.one_of(DOCUMENT, st.text(max_size=600))
GUIDE = load_profile(REPO_ROOT / "corpus" / "structure", "lga-guide-2011")
GUIDE_LINE = st.one_of(
    st.sampled_from([h.starts_at or h.title for h in GUIDE.headings]), SENTENCE, LINE
)
GUIDE_LIKE = st.lists(GUIDE_LINE, max_size=60).map("\n\n".join)


def _heading_paragraph(text: str, section: Section) -> bool:
    norm = " ".join(re.sub(r"^#+\s*|\s*#*$", "", text).split()).rstrip(":")
    titles = {" ".join(t.split()).rstrip(":") for t in section.path}
    return bool(
        norm in titles
        or (section.kind == "case-study" and re.fullmatch(r"case study \d+", norm, re.I))
        or any(t.lower().startswith(norm.lower()) and len(norm) > 8 for t in titles)
        # a case study's title, printed over lines below "Case study N"
        or (
            section.kind == "case-study"
            and any(
                norm.lower() in t.split(":", 1)[-1].lower()
                for t in titles
                if re.match(r"case study \d+:", t, re.I)
            )
        )
    )


def uncovered(text: str, sections: list[Section], chunks: list) -> list[int]:
    """Offsets of non-whitespace characters that no chunk covers and that count."""
    covered = bytearray(len(text))
    for c in chunks:
        covered[c.start : c.end] = b"\x01" * (c.end - c.start)
    exempt = bytearray(len(text))
    for s in sections:
        if s.kind in SKIPPED_KINDS:
            exempt[s.start : s.end] = b"\x01" * (s.end - s.start)
            continue
        chunked = any(s.start <= c.start < s.end for c in chunks)
        for p in paragraphs(text[s.start : s.end]):
            # A heading, or punctuation left beside the heading of a skipped section.
            wordless = not chunked and not any(ch.isalnum() for ch in p.text)
            if _heading_paragraph(p.text, s) or wordless:
                exempt[s.start + p.start : s.start + p.end] = b"\x01" * (p.end - p.start)
    return [i for i, ch in enumerate(text) if not ch.isspace() and not covered[i] and not exempt[i]]


def check_document(text: str, profile: Profile | None = None) -> None:
    sections = split_sections(META.id, text, profile or Profile())
    # Sections are ordered, disjoint, inside the text, and hold all its words.
    for a, b in zip(sections, sections[1:], strict=False):
        assert a.end <= b.start
    assert all(0 <= s.start < s.end <= len(text) for s in sections)
    inside = bytearray(len(text))
    for s in sections:
        inside[s.start : s.end] = b"\x01" * (s.end - s.start)
    assert all(inside[i] for i, ch in enumerate(text) if not ch.isspace())

    chunks = chunk_document(CleanDocument(META, text), sections, SPLITTER)
    for c in chunks:
        assert 0 <= c.start < c.end <= len(text)
        assert text[c.start : c.end] == c.text, "offsets must point at the chunk's own text"
    assert len({c.id for c in chunks}) == len(chunks)
    missing = uncovered(text, sections, chunks)
    assert not missing, f"text not in any chunk: {text[missing[0] : missing[0] + 40]!r}"


@FEW
@given(ANY_TEXT)
def test_pdf_cleaning_never_crashes_and_keeps_pages_in_order(raw: str) -> None:
    text, pages = clean_pdf_text(raw)
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text)
    assert [m.start for m in pages] == sorted(m.start for m in pages)
    assert all(0 <= m.start <= max(len(text), 0) and m.page >= 1 for m in pages)
    check_document(text)


@FEW
@given(ANY_TEXT)
def test_web_cleaning_never_crashes_and_loses_nothing_after_it(raw: str) -> None:
    text = clean_web_text(raw)
    assert "\r" not in text and not text.startswith(" ")
    check_document(text)


@FEW
@given(ANY_TEXT)
def test_plain_cleaning_never_crashes_and_loses_nothing_after_it(raw: str) -> None:
    check_document(clean_plain_text(raw))


@FEW
@given(GUIDE_LIKE)
def test_the_guides_outline_applied_to_any_text(text: str) -> None:
    # The reviewed outline matched against text it was not written for.
    check_document(clean_plain_text(text), GUIDE)


@settings(max_examples=15, deadline=None)
@given(st.lists(SENTENCE, min_size=30, max_size=80), st.sampled_from(["\n\n", "\n", " "]))
def test_long_sections_are_covered_by_overlapping_chunks(sentences: list[str], sep: str) -> None:
    # Longer than several chunks, so the splitter's overlap and offsets matter.
    check_document("Heading of a long section\n\n" + sep.join(sentences))


@settings(max_examples=10, deadline=None)
@given(st.sampled_from(["0 ", "ab. ", "Shared services. ", "x", "…"]), st.integers(100, 900))
def test_repetitive_text_is_covered(unit: str, times: int) -> None:
    # Tables and lists repeat themselves; identical chunks must not vanish.
    check_document("Repeated rows\n\n" + unit * times)


def test_every_corpus_document_is_covered_by_its_chunks() -> None:
    from ingest.manifest import read_manifest
    from ingest.pipeline import prepare_document
    from kb.core.settings import Settings

    config = Settings(corpus_dir=REPO_ROOT / "corpus")
    structure = config.corpus_dir / "structure"
    for meta in read_manifest(config.manifest_path):
        doc = prepare_document(meta, config, structure)
        profile = load_profile(structure, meta.id)
        sections = split_sections(meta.id, doc.text, profile)
        chunks = chunk_document(
            doc, sections, make_splitter(config.chunk_tokens, config.chunk_overlap)
        )
        assert all(doc.text[c.start : c.end] == c.text for c in chunks), meta.id
        missing = uncovered(doc.text, sections, chunks)
        assert not missing, (meta.id, doc.text[missing[0] : missing[0] + 60])
