"""What the library covers: words, names, and the initials of names it spells out."""

from __future__ import annotations

import pytest

from kb.answers.abstain import Coverage, Signals, should_abstain


@pytest.fixture()
def coverage() -> Coverage:
    return Coverage.from_texts(
        [
            "The Primary Care Trust joined the call centre in 2008.",
            "Northamptonshire's Enterprise Resource Planning initiative saved money.",
            "Councils share Human Resources.",  # two words: too short to make initials
        ]
    )


def test_initials_of_a_name_the_library_spells_out_are_known(coverage: Coverage) -> None:
    assert coverage.unknown_terms("Has the PCT joined a call centre?") == []
    assert coverage.unknown_terms("Which councils share an ERP?") == []
    assert coverage.unknown_terms("Has the CCG joined a call centre?") == ["CCG"]


def test_initials_count_only_for_acronyms_of_three_letters_or_more(coverage: Coverage) -> None:
    assert coverage.unknown_terms("Do councils share HR?") == ["HR"]
    assert not coverage.knows("pct")  # a lower-case word is not an acronym


def test_names_and_years_the_library_never_uses_are_unknown(coverage: Coverage) -> None:
    assert coverage.unknown_terms("Did the Primary Care Trust join in 2008 or 2019?") == ["2019"]
    assert coverage.unknown_terms("Can Cornwall share benefits?") == ["Cornwall"]


def test_an_unknown_name_needs_a_closer_passage() -> None:
    assert not should_abstain(Signals(0.5), 0.35, 0.64, 0.36)
    assert should_abstain(Signals(0.5, unknown_names=("GDPR",)), 0.35, 0.64, 0.36)
    assert should_abstain(Signals(0.34), 0.35, 0.64, 0.36)


def test_the_stock_models_reading_answers_a_question_the_adapted_one_finds_far() -> None:
    far = Signals(0.25, stock_closeness=0.56)
    assert not should_abstain(far, 0.35, 0.64, 0.36, stock_threshold=0.5)
    # Off, unmeasured, or not close enough under the stock model either: refused.
    assert should_abstain(far, 0.35, 0.64, 0.36, stock_threshold=0.0)
    assert should_abstain(Signals(0.25), 0.35, 0.64, 0.36, stock_threshold=0.5)
    assert should_abstain(Signals(0.25, stock_closeness=0.45), 0.35, 0.64, 0.36, 0.5)
    # A name the library never mentions still needs a close passage.
    named = Signals(0.5, unknown_names=("GDPR",), stock_closeness=0.9)
    assert should_abstain(named, 0.35, 0.64, 0.36, stock_threshold=0.5)
