"""Exports: briefings and conversations as Markdown, Word and PDF, with the same content."""

from __future__ import annotations

from io import BytesIO

from kb.answers.record import PARTIAL_NOTE
from kb.checklist.assessments import Assessment, ItemState
from kb.checklist.questions import Checklist, ChecklistItem
from kb.workspace.export import (
    assessment_docx,
    assessment_markdown,
    assessment_pdf,
    conversation_docx,
    conversation_markdown,
    conversation_pdf,
)


def test_a_conversation_exports_with_its_numbered_sources() -> None:
    turns = [
        {"role": "user", "content": "Can two councils share a chief executive?"},
        {
            "role": "assistant",
            "content": "Bromsgrove and Redditch appointed a shared chief executive [1].",
            "payload": {
                "citations": [
                    {
                        "n": 1,
                        "title": "Shared services and management",
                        "page": "p. ~58",
                        "section": "Appendix 2 › Case study 1",
                        "date": "2011",
                        "text": "They agreed to appoint a shared chief executive in June 2008.",
                    }
                ],
                "notices": ["The Audit Commission was abolished in 2015."],
                "case_studies": [{"id": "bromsgrove-redditch", "title": "Bromsgrove and Redditch"}],
                "more": [
                    {
                        "n": 1,
                        "text": "They agreed to appoint a shared chief executive in June 2008.",
                        "notices": ["Source [1] mentions “June 2008”. Since then: a test."],
                    }
                ],
            },
        },
    ]
    md = conversation_markdown("Chief executives", turns)
    assert md.startswith("# Chief executives\n")
    more = md.index("More from the library:")
    assert more < md.index("- They agreed to appoint a shared chief executive in June 2008. [1]")
    assert more < md.index("> Note: Source [1] mentions “June 2008”") < md.index("Sources:")
    assert "## Q: Can two councils share a chief executive?" in md
    assert "shared chief executive [1]." in md
    assert "- [1] Shared services and management, Appendix 2 › Case study 1, p. ~58, 2011" in md
    assert "> They agreed to appoint a shared chief executive in June 2008." in md
    assert "> Note: The Audit Commission was abolished in 2015." in md
    assert "Related case studies: Bromsgrove and Redditch" in md


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return " ".join(
        " ".join((p.extract_text() or "").split()) for p in PdfReader(BytesIO(data)).pages
    )


def _docx_text(data: bytes) -> str:
    from docx import Document

    return "\n".join(p.text for p in Document(BytesIO(data)).paragraphs)


CHECKLIST = Checklist(
    doc_id="lga-guide",
    items=[
        ChecklistItem(
            id=f"q{n}",
            key_question=kq,
            section_title=section,
            section_path=("Key questions", section),
            question=f"Question {n} on {section.lower()}?",
            guidance=f"Guidance {n}.",
            quote=f"The guide's words {n}.",
        )
        for n, (kq, section) in enumerate(
            [("Why share?", "Purpose")] * 2 + [("How?", "Governance")] * 2 + [("How?", "Staff")]
        )
    ],
)


def _assessment(**items: ItemState) -> Assessment:
    return Assessment(
        1,
        "ann",
        "Legal with the county",
        "2026-12-01T09:00:00Z",
        "2026-12-04T14:05:00Z",
        dict(items),
        owner="ann",
    )


def test_a_conversation_export_keeps_the_answers_own_caveats() -> None:
    turns = [
        {"role": "user", "content": "Can Cornwall share its legal team?"},
        {
            "role": "assistant",
            "content": "Councils can share legal services [1].",
            "payload": {
                "partial": True,
                "scope_note": "The library does not mention Cornwall specifically.",
                "citations": [{"n": 1, "title": "Guide", "date": "2011", "text": "Councils…"}],
            },
        },
    ]
    md = conversation_markdown("Legal", turns)
    assert "Related case studies" not in md
    note = md.index(f"> {PARTIAL_NOTE}")
    assert note < md.index("Councils can share legal services [1].")
    assert md.index("> The library does not mention Cornwall specifically.") > note


def test_which_councils_exports_the_case_studies_before_the_answer() -> None:
    answer = {
        "cases_first": True,
        "case_studies": [{"id": "sh-wd", "title": "South Hams and West Devon"}],
        "citations": [{"n": 1, "title": "Guide", "date": "2011", "text": "They share."}],
    }
    turns = [
        {"role": "user", "content": "Which councils share revenues and benefits?"},
        {"role": "assistant", "content": "They share [1].", "payload": answer},
    ]
    md = conversation_markdown("Which", turns)
    assert md.index("Related case studies: South Hams and West Devon") < md.index("They share [1].")
    assert md.count("Related case studies") == 1


def test_a_briefing_lists_only_started_sections_unless_asked_with_dates_in_words() -> None:
    a = _assessment(q2=ItemState("in_progress", "Ask Surrey how their contract works"))
    md = assessment_markdown(a, CHECKLIST)
    assert "last changed 4 December 2026" in md and "T14:05" not in md
    assert "### Question 2 on governance?" in md and "### Question 3 on governance?" in md
    assert "Question 0" not in md and "Question 4" not in md
    assert "2 sections of the checklist not started yet are left out" in md
    assert "  > Ask Surrey how their contract works" in md
    everything = assessment_markdown(a, CHECKLIST, everything=True)
    assert all(f"Question {n} " in everything for n in range(5))
    assert "No question started yet." in assessment_markdown(_assessment(), CHECKLIST)


def test_word_and_pdf_briefings_say_what_the_markdown_says() -> None:
    a = _assessment(
        q0=ItemState("done", "Members agreed on 3 March"),
        q4=ItemState("not_started", "Unison to be consulted – £40,000 budget"),
    )
    md = assessment_markdown(a, CHECKLIST)
    word = _docx_text(assessment_docx(a, CHECKLIST))
    pdf = _pdf_text(assessment_pdf(a, CHECKLIST))
    for text in (
        "Legal with the county",
        "last changed 4 December 2026",
        "Members agreed on 3 March",
        "Unison to be consulted – £40,000 budget",
        "Status: Done",
        "The guide's words 4.",
        "Key questions › Staff",
    ):
        assert text in md and text in word and text in pdf, text


def test_a_conversation_exports_the_same_content_and_citations_in_every_format() -> None:
    turns = [
        {"role": "user", "content": "Can two councils share a chief executive?"},
        {
            "role": "assistant",
            "content": "Bromsgrove and Redditch appointed a shared chief executive [1].",
            "payload": {
                "sentences": [
                    {"text": "Bromsgrove and Redditch appointed a shared chief executive.", "n": 1}
                ],
                "citations": [
                    {
                        "n": 1,
                        "title": "Shared services and management",
                        "page": 58,
                        "page_label": "p. ~58",
                        "section": "Appendix 2 › Case study 1",
                        "date": "2011",
                        "text": "Long passage. They agreed to appoint a shared chief executive.",
                        "quotes": [
                            {
                                "text": "They agreed to appoint a shared chief executive.",
                                "start": 14,
                                "end": 62,
                            }
                        ],
                    }
                ],
            },
        },
    ]
    md = conversation_markdown("Chief executives", turns)
    word = _docx_text(conversation_docx("Chief executives", turns))
    pdf = _pdf_text(conversation_pdf("Chief executives", turns))
    for text in (
        "Q: Can two councils share a chief executive?",
        "appointed a shared chief executive. [1]",
        "[1] Shared services and management, Appendix 2 › Case study 1, p. ~58, 2011",
        "They agreed to appoint a shared chief executive.",
        "means about page N",
    ):
        assert text in md and text in word and text in pdf, text
    assert "Long passage" not in md  # the quoted sentences, not the whole passage


def test_an_exported_answer_names_the_case_study_a_quote_is_from() -> None:
    said = "The partnership provides a revenues and benefits service for the three councils."
    turns = [
        {"role": "user", "content": "Who runs a shared revenues service?"},
        {
            "role": "assistant",
            "content": f"Anglia Revenues Partnership: {said} [1]",
            "payload": {
                "sentences": [{"text": said, "n": 1, "about": "Anglia Revenues Partnership"}]
            },
        },
    ]
    assert f"Anglia Revenues Partnership: {said} [1]" in conversation_markdown("R&B", turns)
