"""Saying which case study a quoted sentence is from, when the sentence does not."""

from __future__ import annotations

import pytest

from kb.api import KnowledgeBase
from kb.cases.names import mentions, short_name, unnamed_source
from kb.core.records import CaseRecord, Chunk

ANGLIA = "The partnership provides a revenues and benefits service for the three partner councils"


def _case(title: str, *councils: str) -> CaseRecord:
    return CaseRecord(
        id=title.lower().replace(" ", "-"), title=title, kind="full", councils=list(councils)
    )


@pytest.fixture
def full_case() -> CaseRecord:
    title = "Huntingdonshire District Council’s approach to a shared call centre"
    return _case(title, "Huntingdonshire District Council", "Cambridgeshire County Council")


@pytest.fixture
def named_case() -> CaseRecord:
    councils = ("London Borough of Sutton", "Royal Borough of Kingston upon Thames")
    return _case("South London Waste Partnership", *councils)


def test_a_case_is_called_by_its_councils_unless_its_title_is_a_name(
    full_case: CaseRecord, named_case: CaseRecord
) -> None:
    assert short_name(full_case) == "Huntingdonshire and Cambridgeshire"
    assert short_name(named_case) == "South London Waste Partnership"
    model = CaseRecord(
        "east-kent", "East Kent Services model", "full", ["Canterbury City Council", "Dover"]
    )
    assert short_name(model) == "Canterbury and Dover"  # not "East Kent Services model"
    three = CaseRecord("x", "A long title: three councils", "short", ["A Council", "B", "C"])
    assert short_name(three) == "A, B and C"


def test_a_case_is_named_by_a_council_its_initials_or_its_acronym(
    full_case: CaseRecord, named_case: CaseRecord
) -> None:
    assert {"Huntingdonshire", "HDC", "Cambridgeshire", "CCC"} <= set(mentions(full_case))
    assert {"Sutton", "Kingston upon Thames", "SLWP"} <= set(mentions(named_case))
    pannel = CaseRecord("p", "North Lincolnshire procurement (PANNEL)", "full", [])
    assert "PANNEL" in mentions(pannel)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("HDC has been participating in a shared call centre.", True),
        ("Huntingdonshire councillors were reassured.", True),
        ("The councils saved £71,000 a year.", False),
        ("The hdc acronym in lower case is not a name.", False),
    ],
)
def test_only_a_sentence_that_does_not_say_whose_it_is_gets_the_name(
    full_case: CaseRecord, text: str, named: bool
) -> None:
    expected = "" if named else "Huntingdonshire and Cambridgeshire"
    assert unnamed_source(full_case, text) == expected
    assert unnamed_source(None, text) == ""


def test_a_named_example_is_found_by_where_its_text_is(kb: KnowledgeBase) -> None:
    library = kb.case_library()
    chunk = next(c for c in kb.index.chunks.values() if ANGLIA in c.text)
    at = chunk.text.index(ANGLIA)
    found = library.at(chunk, at)
    assert found is not None and found.id == "anglia-revenues-partnership"
    before = library.at(chunk, at - 1)  # the record's text starts with the sentence
    assert before is None or before.id != found.id
    appendix = next(c for c in kb.index.chunks.values() if c.case_id == "south-hams-west-devon")
    assert library.at(appendix, 0).id == "south-hams-west-devon"


def test_an_answer_says_which_case_study_an_unnamed_quote_is_from(kb: KnowledgeBase) -> None:
    from kb.answers.record import citation_problems
    from kb.core.results import Answer

    answer = kb.answer("Which councils have shared a revenues and benefits service?")
    lead = answer.sentences[0]
    assert "South Hams" not in lead.text and lead.about == "South Hams and West Devon"
    assert answer.text.startswith(f"South Hams and West Devon: {lead.text} [")
    assert citation_problems(answer) == []
    assert Answer.from_dict(answer.to_dict()).sentences == answer.sentences
    # Named in the quote itself: nothing said before it.
    named = kb.answer("How much did the South London Waste Partnership save?").sentences[0]
    assert "SLWP" in named.text and named.about == ""


def test_passages_of_one_case_study_in_a_row_name_it_once(kb: KnowledgeBase) -> None:
    from kb.answers.candidates import Candidate
    from kb.answers.record import assemble
    from kb.answers.sentences import split_sentences
    from kb.core.results import Passage

    def unnamed(chunk: Chunk, rank: int) -> Candidate | None:
        for s in split_sentences(chunk.text):
            if kb.case_about(chunk, s.start, s.text):
                return Candidate(Passage(chunk, 1.0, rank), s.text, s.start, s.end, 0)
        return None

    chunks = [c for c in kb.index.chunks.values() if c.case_id == "south-hams-west-devon"]
    first, second = [c for c in (unnamed(chunk, i) for i, chunk in enumerate(chunks)) if c][:2]
    guide = kb.search("Is sharing legal?", k=1)[0]
    said = split_sentences(guide.chunk.text)[0]
    general = Candidate(guide, said.text, said.start, said.end, 0)
    name = "South Hams and West Devon"

    answer = assemble("q", [first, second, general], about=kb.case_about)
    assert [s.n for s in answer.sentences] == [1, 2, 3]
    assert [s.about for s in answer.sentences] == [name, "", ""]
    # Back to the case after a passage of the guide: named again.
    answer = assemble("q", [first, general, second], about=kb.case_about)
    assert [s.about for s in answer.sentences] == [name, "", name]
