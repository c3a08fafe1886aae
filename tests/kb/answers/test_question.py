"""Names that say who is asking, and names that say what is asked about."""

from __future__ import annotations

import pytest

from kb.answers.question import is_about_the_asker, join_names, scene_spans, without_names


@pytest.mark.parametrize(
    ("term", "question"),
    [
        ("SAP", "We're looking at a joint SAP system with the county. What has it saved?"),
        ("BI", "We're building Power BI dashboards for the joint service. What to measure?"),
        ("UNISON", "UNISON are asking about pay. What are the people issues?"),
        ("Cornwall", "Can Cornwall Council share its benefits service?"),
        ("ERP", "We use ERP software. Can we share it?"),
        ("2027", "Our waste contract ends in 2027. When should we start talking to neighbours?"),
        ("2023", "Since the 2023 elections changed control, how should we handle the politics?"),
        ("PCT", "The PCT has suggested a joint contact point. Has that been done anywhere?"),
    ],
)
def test_the_askers_council_product_or_union_is_set_aside(term: str, question: str) -> None:
    assert is_about_the_asker(term, question)


@pytest.mark.parametrize(
    ("term", "question"),
    [
        ("GDPR", "What GDPR agreement do two councils need to share data?"),
        ("2027", "What changed for shared services in 2027?"),
        ("HR", "HR is a service many councils share; what did it save?"),
        ("Freedom", "Is a council company covered by the Freedom of Information Act?"),
        ("2023", "Since the Procurement Act 2023 came in, can we still use Teckal?"),
        ("2014", "What did the 2014 amendments to TUPE change, after the guide came out?"),
        ("GDPR", "We share data. What GDPR agreement do we need?"),
    ],
)
def test_a_law_year_or_bare_acronym_is_what_is_asked(term: str, question: str) -> None:
    assert not is_about_the_asker(term, question)


def test_a_question_without_a_question_mark_sets_no_scene() -> None:
    assert scene_spans("waste contract ends 2027 joint procurement") == []


def test_the_scene_is_the_statement_before_the_question_and_a_leading_clause() -> None:
    question = "Our contract ends soon. Since the vote, how do we start? And who leads?"
    spans = [question[a:b] for a, b in scene_spans(question)]
    assert spans == ["Our contract ends soon.", "Since the vote,"]


def test_names_written_together_are_named_as_one() -> None:
    question = "We're Mole Valley and Epsom councils, with Civica and Capita systems. What next?"
    names = ["Mole", "Valley", "Epsom", "Civica", "Capita"]
    assert join_names(names, question) == "Mole Valley, Epsom, Civica or Capita"
    assert join_names(["Epsom"], question) == "Epsom"
    # Without the question, or apart in it, each is a name of its own.
    assert join_names(["Mole", "Valley"]) == "Mole or Valley"
    assert join_names(["Valley", "Mole"], question) == "Valley or Mole"


@pytest.mark.parametrize(
    ("question", "names", "read"),
    [
        (
            "We're Swale and have only talked to Medway about sharing. Should we look wider?",
            ["Swale", "Medway"],
            "We're a council and have only talked to a council about sharing. Should we look "
            "wider?",
        ),
        (
            "Can Cornwall Council share its legal team?",
            ["Cornwall"],
            "Can Council share its legal team?",
        ),
        (
            "Our new Veolia contract starts in spring.",
            ["Veolia"],
            "Our new contract starts in spring.",
        ),
        ("We're Mole Valley councils.", ["Mole", "Valley"], "We're councils."),
        (
            "Since the 2023 elections, and our SAP system…",
            ["2023", "SAP"],
            "Since the elections, and our system…",
        ),
        (
            "Rugby and Nuneaton are debating.",
            ["Rugby", "Nuneaton"],
            "a council and a council are debating.",
        ),
    ],
)
def test_a_name_standing_as_a_noun_is_read_as_a_council_and_a_modifier_is_dropped(
    question: str, names: list[str], read: str
) -> None:
    assert without_names(question, names) == read
    assert without_names(question, []) == question
