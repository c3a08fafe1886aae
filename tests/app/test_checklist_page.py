"""The Checklist page: named assessments whose status and notes survive a new session."""

from __future__ import annotations

import io
from collections.abc import Callable

from docx import Document
from streamlit.testing.v1 import AppTest

from kb.checklist.assessments import AssessmentStore
from kb.core.settings import Settings


def _create(at: AppTest, name: str) -> AppTest:
    at.sidebar.text_input[0].set_value(name)
    next(b for b in at.sidebar.button if b.label == "Create").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _status_boxes(at: AppTest) -> list:
    return [s for s in at.selectbox if s.key and s.key.startswith("status-")]


def test_a_status_and_notes_set_in_one_session_are_there_in_the_next(
    open_app: Callable[..., AppTest], app_settings: Settings
) -> None:
    at = _create(open_app("checklist"), "Waste partnership with Y")
    first = _status_boxes(at)[0]
    item_key = first.key
    first.set_value("done").run()
    notes_key = item_key.replace("status-", "notes-")
    at.text_area(key=notes_key).set_value("Agreed with finance on 3 May").run()
    assert not at.exception

    again = open_app("checklist")  # a new browser session: state comes from SQLite
    assert again.sidebar.selectbox[0].format_func(again.sidebar.selectbox[0].value) == (
        "Waste partnership with Y"
    )
    assert again.selectbox(key=item_key).value == "done"
    assert again.text_area(key=notes_key).value == "Agreed with finance on 3 May"
    assert any("1/" in p.proto.text for p in again.get("progress"))


def test_two_assessments_side_by_side_keep_their_own_answers(
    open_app: Callable[..., AppTest], app_settings: Settings
) -> None:
    a = _create(open_app("checklist"), "Revenues with District A")
    b = _create(open_app("checklist"), "Legal with County B")
    _status_boxes(a)[0].set_value("in_progress").run()
    _status_boxes(b)[1].set_value("not_applicable").run()
    store = AssessmentStore(app_settings.state_db)
    by_name = {x.name: store.get("officer", x.id) for x in store.list("officer")}
    assert [s.status for s in by_name["Revenues with District A"].items.values()] == ["in_progress"]
    assert [s.status for s in by_name["Legal with County B"].items.values()] == ["not_applicable"]


def test_export_buttons_offer_markdown_word_and_pdf(open_app: Callable[..., AppTest]) -> None:
    at = _create(open_app("checklist"), "Export me")
    labels = [d.proto.label for d in at.get("download_button")]
    assert labels == [
        "Export briefing (Markdown)",
        "Export briefing (Word)",
        "Export briefing (PDF)",
    ]


def test_a_checklist_link_without_an_assessment_offers_to_start_one(
    open_app: Callable[..., AppTest],
) -> None:
    at = open_app("checklist", item="kq3-governance-01")
    assert any("Create assessment" == b.label for b in at.button)
    box = next(t for t in at.text_input if t.label == "Name of the proposal")
    box.set_value("Governance review")
    next(b for b in at.button if b.label == "Create assessment").click().run()
    assert not at.exception, [e.value for e in at.exception]
    kq = next(r for r in at.radio if r.label == "Key question")
    assert kq.value == "How can we implement our sharing ambitions?"


def test_exported_briefings_hold_the_notes(app_settings: Settings) -> None:
    from kb.checklist.questions import load_checklist
    from kb.workspace.export import assessment_docx, assessment_markdown

    checklist = load_checklist(app_settings.corpus_dir / "checklist.yaml")
    store = AssessmentStore(app_settings.state_db)
    aid = store.create("officer", "Shared HR")
    item = checklist.items[0]
    store.set_item("officer", aid, item.id, "in_progress", "Ask unions before July")
    assessment = store.get("officer", aid)
    md = assessment_markdown(assessment, checklist)
    assert "# Shared HR" in md and "Ask unions before July" in md and "In progress" in md
    assert item.question in md
    doc = Document(io.BytesIO(assessment_docx(assessment, checklist)))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Ask unions before July" in text and item.question in text


def test_an_item_shows_its_guidance_passages_and_case_studies(
    open_app: Callable[..., AppTest],
) -> None:
    at = _create(open_app("checklist"), "With guidance")
    toggle = next(t for t in at.toggle if t.key and t.key.startswith("more-"))
    toggle.set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(m.value.startswith("> ") for m in at.markdown)  # quoted guide passages


def test_a_link_to_an_item_opens_its_key_question(open_app: Callable[..., AppTest]) -> None:
    _create(open_app("checklist"), "Linked")
    at = open_app("checklist", item="kq3-governance-01")
    kq = next(r for r in at.radio if r.label == "Key question")
    assert kq.value == "How can we implement our sharing ambitions?"
