"""Quotable sentences and lists, and the weight of a question's words."""

from __future__ import annotations

from kb.answers.sentences import TermWeights, split_sentences
from kb.core.text import quoted_in

LIST = (
    "In the first 18 months the following services have been shared between the two "
    "councils:\n\n• electoral services\n\n• community safety\n\n• payroll and\n\nprocurement."
    "\n\nAs part of the programme, one council leads the county-wide regulatory services."
)


def test_a_list_is_quoted_whole_with_its_lead_in() -> None:
    pieces = split_sentences(LIST)
    block = pieces[0]
    assert block.kind == "list"
    assert block.text == (
        "In the first 18 months the following services have been shared between the two "
        "councils: • electoral services • community safety • payroll and procurement."
    )
    assert " ".join(LIST[block.start : block.end].split()) == block.text
    assert pieces[1].kind == "sentence" and pieces[1].text.startswith("As part of the programme")


def test_a_list_cut_off_by_the_passage_or_made_of_questions_is_not_quoted() -> None:
    cut = LIST.split("\n\nAs part")[0].replace("procurement.", "procure")
    assert not any(s.kind == "list" for s in split_sentences(cut))
    questions = (
        "Councils need to answer two questions when thinking about sharing:\n\n"
        "• What benefits will sharing bring?\n\n• Is sharing the best way to get them?\n\n"
        "The answers differ from one service to another across the county."
    )
    assert [s.text for s in split_sentences(questions)] == [
        "The answers differ from one service to another across the county."
    ]


LONG_LIST = (
    "In East Kent, the councils have agreed that they will only share services where they:"
    "\n\n• can achieve a 10 per cent reduction on the combined revenue budget by the second "
    "year of operation\n\n• have a high degree of certainty about the continued quality "
    + "of the service, "
    * 20
    + "as members asked.\n\n• Other councils have followed the same rule since then.\n\n"
    "The programme began in autumn 2008 and took over two and a half years."
)


def test_a_long_list_is_quoted_item_by_item_with_its_lead_in() -> None:
    pieces = [s for s in split_sentences(LONG_LIST) if s.kind == "item"]
    lead = "In East Kent, the councils have agreed that they will only share services where they:"
    assert [p.text for p in pieces][0] == (
        f"{lead} … can achieve a 10 per cent reduction on the combined revenue budget by the "
        "second year of operation"
    )
    # The middle item is too long to quote with its lead-in; the list too long to quote whole.
    assert len(pieces) == 2 and not any(s.kind == "list" for s in split_sentences(LONG_LIST))
    for p in pieces:
        assert [" ".join(LONG_LIST[a:b].split()) for a, b in p.parts] == p.text.split(" … ")
        assert quoted_in(p.text, LONG_LIST[p.start : p.end])
    # An item that is a sentence by itself stays quotable alone.
    alone = [s.text for s in split_sentences(LONG_LIST) if s.kind == "sentence"]
    assert "Other councils have followed the same rule since then." in alone


def test_a_list_item_is_quoted_without_its_web_address_or_joining_and() -> None:
    text = (
        "Other resources from the report that you may find helpful at this stage are:\n\n"
        "• general guidance on options appraisal for councils www.example.org/ download/"
        "guidance_on_option_appraisal.pdf\n\n"
        "• key questions in appraising shared service options in detail; and\n\n"
        "• a long item " + "that goes on and on " * 15 + "to the end.\n\nThe end."
    )
    assert [s.text.split(" … ")[1] for s in split_sentences(text) if s.kind == "item"] == [
        "general guidance on options appraisal for councils",
        "key questions in appraising shared service options in detail",
    ]


def test_a_passage_that_opens_in_a_list_quotes_its_items_that_say_enough_alone() -> None:
    # The lead-in ("The dimensions of change are:") ended the passage before this one.
    text = (
        "• location – where work is to be undertaken, and whether relocation costs will "
        "be compensated for\n\n• pay\n\n• Staffing levels will change in most cases.\n\n"
        "These dimensions of change are discussed in the guide's sources at length."
    )
    items = [(s.text, s.kind) for s in split_sentences(text) if s.kind == "item"]
    assert items == [
        (
            "location – where work is to be undertaken, and whether relocation costs will "
            "be compensated for",
            "item",
        )
    ]
    # "pay" says too little; the third item is a sentence and is quoted as one.
    assert "Staffing levels will change in most cases." in [s.text for s in split_sentences(text)]


def test_a_list_of_titles_the_passage_opens_with_is_not_quoted() -> None:
    # The lead-in ("The case studies are:") ended the passage before this one.
    text = (
        "• East Lindsey and South Holland Councils: merged back office functions\n\n"
        "• South Hams and West Devon shared service and management\n\n"
        "Other publications also include case studies of shared services activity."
    )
    assert [s.text for s in split_sentences(text)] == [
        "Other publications also include case studies of shared services activity."
    ]


def test_an_elided_quote_is_only_in_a_text_that_says_each_piece_in_order() -> None:
    assert quoted_in("Councils must have: … a monitoring officer", LONG_LIST) is False
    text = "Councils must have:\n\n• a head of paid service\n\n• a monitoring officer"
    assert quoted_in("Councils must have: … a monitoring officer", text)
    assert not quoted_in("a monitoring officer … Councils must have:", text)
    assert quoted_in("… a monitoring officer", text)  # a quote begun mid-list


def test_a_paragraph_without_its_full_stop_is_quoted_but_not_a_reference_link_or_cut_line() -> None:
    text = (
        "Sharing across more than two councils\n\n"
        "As yet there are no examples of sharing chief executives across more than two "
        "organisations, despite there being many shared services\n\n"
        "www.example.org/page.php?cid=12\n\n"
        "The Toolbox provides 40 tools for building trust between partners: "
        "www.example.org/content. php?cid=12\n\n"
        "A benchmarking club run by an association for its member councils since "
        "2009 www.example.org/x\n\n"
        "Audit Commission (2008) ‘Back to front: Efficiency of back office functions in "
        "local government’, Audit Commission\n\n"
        "A range of related tools and online resources for councils can also be found at\n\n"
        "London Borough of Hammersmith and Fulham, Royal Borough of Kensington and Chelsea "
        "Council\n\n"
        "The final sentence of the passage may go on in the next one without"
    )
    assert [(s.text, s.kind) for s in split_sentences(text)] == [
        (
            "As yet there are no examples of sharing chief executives across more than two "
            "organisations, despite there being many shared services",
            "unstopped",
        ),
        ("The Toolbox provides 40 tools for building trust between partners", "unstopped"),
    ]


def test_an_aside_in_brackets_is_quoted_without_them_and_a_pointer_not_at_all() -> None:
    text = (
        "Larger teams processed more claims each year. (A common result from efforts to "
        "achieve economies of scale.) (See the Bromsgrove and Redditch case study.) "
        "(Initially the approach was being explored with Boston as a third partner). "
        "Both councils kept (a) their own budgets and (b) their own policies on charging."
    )
    said = [s.text for s in split_sentences(text)]
    assert said == [
        "Larger teams processed more claims each year.",
        "A common result from efforts to achieve economies of scale.",
        "Initially the approach was being explored with Boston as a third partner",
        "Both councils kept (a) their own budgets and (b) their own policies on charging.",
    ]
    for s in split_sentences(text):
        assert " ".join(text[s.start : s.end].split()) == s.text


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
