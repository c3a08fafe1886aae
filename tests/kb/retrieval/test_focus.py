"""The asking part of a question that tells a situation first."""

from __future__ import annotations

from kb.api import KnowledgeBase
from kb.core.settings import Settings
from kb.retrieval.focus import question_focus
from kb.retrieval.search import focus_vector


def test_the_asking_sentence_of_a_situation_is_its_focus() -> None:
    question = (
        "Our head of legal is leaving and the council next door has offered their solicitor "
        "two days a week. Can one council lend its employee to another?"
    )
    assert question_focus(question) == "Can one council lend its employee to another?"
    assert question_focus("We have three options. Which is cheapest? How long?") == (
        "Which is cheapest? How long?"
    )


def test_a_one_sentence_question_has_no_separate_focus() -> None:
    assert question_focus("Can two councils share a chief executive?") is None
    assert question_focus("shared services toolkit stages") is None
    assert question_focus("We're two districts - what should we watch?") is None


def test_focus_is_embedded_only_when_search_uses_it() -> None:
    calls: list[str] = []

    def embed(text: str) -> list[float]:
        calls.append(text)
        return [1.0]

    question = "We are two districts. Can we share a chief executive?"
    assert focus_vector(question, Settings(focus_weight=0.0), embed) is None and not calls
    assert focus_vector(question, Settings(focus_weight=0.5), embed) == [1.0]
    assert calls == ["Can we share a chief executive?"]


def test_a_focused_search_still_finds_the_passage(kb: KnowledgeBase) -> None:
    question = (
        "Our chief executive retires next spring and the district next door is in the same "
        "position. Can two councils share one chief executive?"
    )
    focused = KnowledgeBase(kb.settings.model_copy(update={"focus_weight": 1.0}))
    passages = focused.search(question, k=5)
    assert len(passages) == 5
    assert any("chief executive" in p.chunk.text.lower() for p in passages)
