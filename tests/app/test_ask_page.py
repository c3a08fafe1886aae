"""The Ask page: answers with numbered sources, stored chats, feedback, bad input."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from kb.answers.record import PARTIAL_NOTE
from kb.core.settings import Settings, get_settings
from kb.workspace.state import ChatStore

QUESTION = "What are the benefits of sharing a chief executive between councils?"


def test_asking_shows_the_answer_with_its_numbered_sources(
    open_app: Callable[..., AppTest], app_settings: Settings
) -> None:
    at = open_app("ask")
    at.chat_input[0].set_value(QUESTION).run()
    assert not at.exception, [e.value for e in at.exception]
    labels = [m.value for m in at.markdown if m.value.startswith('<span id="src-')]
    assert labels, "no numbered sources shown"
    assert '"></span>\\[1\\] ' in labels[0]  # a short label: document, section, page, date
    assert all(m.proto.help for m in at.markdown if m.value.startswith('<span id="src-'))
    answer = next(m.value for m in at.chat_message[1].markdown if "\\[1\\]" in m.value)
    assert "](#src-" in answer  # each [n] links to its source
    # Each source shows its passage with the cited sentences highlighted.
    sources = [e for e in at.expander if e.label.startswith("Read source")]
    assert any(":orange-background[" in m.value for m in sources[0].markdown)
    assert any(p.proto.page == "library" for p in at.get("page_link"))
    # The chat is stored: a new session (a restart) finds it with both turns.
    chats = ChatStore(app_settings.state_db).chats("officer")
    assert len(chats) == 1
    again = open_app("ask")
    assert again.sidebar.radio[0].options  # the earlier conversation is listed
    again.sidebar.radio[0].set_value(chats[0]["id"]).run()
    assert [m.name for m in again.chat_message] == ["user", "assistant"]


def test_a_starter_question_and_feedback_are_stored(
    open_app: Callable[..., AppTest], app_settings: Settings
) -> None:
    at = open_app("ask")
    starters = [b for b in at.button if b.key and b.key.startswith("starter-")]
    assert len(starters) >= 3
    starters[0].click().run()
    assert len(at.chat_message) == 2
    form_radio = next(r for r in at.radio if r.label == "Was this answer helpful?")
    form_radio.set_value("👎 No")
    next(t for t in at.text_input if t.label == "Why? (optional)").set_value("Too vague")
    next(t for t in at.text_area if t.label.startswith("What should")).set_value("Say more")
    next(b for b in at.button if b.label == "Send feedback").click().run()
    assert not at.exception
    rows = ChatStore(app_settings.state_db).feedback()
    assert len(rows) == 1
    row = rows[0]
    assert row["rating"] == "down" and row["comment"] == "Too vague"
    assert row["correction"] == "Say more" and row["question"] and row["answer"]
    assert isinstance(row["citations"], list)


def test_an_over_long_question_gets_a_message_not_an_error(
    open_app: Callable[..., AppTest], app_settings: Settings
) -> None:
    at = open_app("ask")
    at.chat_input[0].set_value("shared services " * 400).run()
    assert not at.exception
    assert any("characters long" in w.value for w in at.warning)
    assert ChatStore(app_settings.state_db).chats("officer") == []
    # What was typed is kept, to shorten and ask again.
    kept = next(t for t in at.text_area if t.label == "Your question")
    assert kept.value == "shared services " * 400


def test_help_explains_how_to_ask(open_app: Callable[..., AppTest], app_settings: Settings) -> None:
    at = open_app("ask")
    at.chat_input[0].set_value("help").run()
    assert not at.exception
    assert any("Ask about sharing services" in m.value for m in at.markdown)
    assert not any("Not covered" in i.value for i in at.info)
    assert ChatStore(app_settings.state_db).chats("officer") == []


def test_new_conversation_starts_a_new_thread(
    open_app: Callable[..., AppTest], app_settings: Settings
) -> None:
    at = open_app("ask")
    at.chat_input[0].set_value("What are the main benefits of sharing services?").run()
    next(b for b in at.sidebar.button if b.label == "New conversation").click().run()
    assert len(at.chat_message) == 0
    at.chat_input[0].set_value("What are the risks of sharing services?").run()
    assert not at.exception
    chats = ChatStore(app_settings.state_db).chats("officer")
    assert len(chats) == 2
    for chat in chats:
        assert len(ChatStore(app_settings.state_db).turns("officer", chat["id"])) == 2


def test_a_question_outside_the_guidance_says_it_is_not_covered(
    open_app: Callable[..., AppTest],
) -> None:
    at = open_app("ask")
    at.chat_input[0].set_value("Who won the football match last Saturday?").run()
    assert not at.exception
    assert any("Not covered" in i.value for i in at.info)


def test_a_weak_answer_says_first_that_the_library_may_not_answer_directly(
    open_app: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A bar no lead sentence reaches: every answer is marked as possibly indirect.
    monkeypatch.setenv("KB_ANSWER_WEAK_LEAD", "2.0")
    get_settings.cache_clear()
    at = open_app("ask")
    at.chat_input[0].set_value("Can two councils share a chief executive?").run()
    assert not at.exception
    assert [i.value for i in at.info] == [PARTIAL_NOTE]
    assert any("\\[1\\]" in m.value for m in at.chat_message[1].markdown)


def test_which_councils_shows_the_matching_case_studies_before_the_answer(
    open_app: Callable[..., AppTest],
) -> None:
    at = open_app("ask")
    at.chat_input[0].set_value("Which councils have shared a revenues and benefits service?").run()
    assert not at.exception
    shown = [m.value for m in at.chat_message[1].markdown]
    cards = shown.index("**Case studies that match**")
    answer = next(i for i, m in enumerate(shown) if "\\[1\\]" in m)
    assert cards < answer
    # A quote that does not say whose it is ("the councils") is led by its case study.
    assert "**South Hams and West Devon:** " in shown[answer]
