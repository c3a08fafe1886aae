"""Quotable sentences and lists, and the weight of a question's words."""

from __future__ import annotations

from kb.answers.sentences import TermWeights, split_sentences

LIST = (
    "In the first 18 months the following services have been shared between the two "
    "councils:\n\n• electoral services\n\n• community safety\n\n• payroll and\n\nprocurement."
    "\n\nAs part of the programme, one council leads the county-wide regulatory services."
)


def test_a_list_is_quoted_whole_with_its_lead_in() -> None:
    pieces = split_sentences(LIST)
    block = pieces[0]
    assert block.is_list
    assert block.text == (
        "In the first 18 months the following services have been shared between the two "
        "councils: • electoral services • community safety • payroll and procurement."
    )
    assert " ".join(LIST[block.start : block.end].split()) == block.text
    assert not pieces[1].is_list and pieces[1].text.startswith("As part of the programme")


def test_a_list_cut_off_by_the_passage_or_made_of_questions_is_not_quoted() -> None:
    cut = LIST.split("\n\nAs part")[0].replace("procurement.", "procure")
    assert not any(s.is_list for s in split_sentences(cut))
    questions = (
        "Councils need to answer two questions when thinking about sharing:\n\n"
        "• What benefits will sharing bring?\n\n• Is sharing the best way to get them?\n\n"
        "The answers differ from one service to another across the county."
    )
    assert [s.text for s in split_sentences(questions)] == [
        "The answers differ from one service to another across the county."
    ]


def test_rare_question_words_weigh_more_than_common_ones() -> None:
    weights = TermWeights(
        [
            "Councils share services.",
            "Councils share staff.",
            "Councils benchmark frontline services with APSE.",
        ]
    )
    rare, common = weights.overlap(
        "Which councils benchmark frontline services?",
        ["They benchmarked frontline work.", "Councils share services."],
    )
    assert rare > common > 0
    assert weights.overlap("the and of", ["anything"]) == [0.0]
