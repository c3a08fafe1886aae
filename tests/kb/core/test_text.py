"""The one folding function and the one sentence splitter every stage uses."""

from __future__ import annotations

import pytest

from eval.gold import normalise
from kb.core.text import collapse, fold, fold_with_offsets, sentence_spans, split_sentences


@pytest.mark.parametrize(
    "text",
    [
        "Section 101 of the ‘Local Government Act’ — 1972",
        "ﬁnance  and\n\tHR “shared” services – Cllr. Smith",
        "Ünïcode  İstanbul",
    ],
)
def test_fold_is_the_gold_sets_rule_and_keeps_offsets(text: str) -> None:
    assert normalise(text) == fold(text)
    folded, offsets = fold_with_offsets(text)
    assert folded == fold(text)
    assert len(offsets) == len(folded) and offsets == sorted(offsets)


def test_a_closing_bracket_or_quote_stays_with_its_sentence() -> None:
    text = "(See the Bromsgrove and Redditch case study.) Some leaders said ‘no’. Then they agreed."
    assert split_sentences(text) == [
        "(See the Bromsgrove and Redditch case study.)",
        "Some leaders said ‘no’.",
        "Then they agreed.",
    ]


def test_a_wrapped_en_dash_mid_sentence_is_not_a_bullet_but_a_list_dash_is() -> None:
    wrapped = "arrangements – whether transactional\n– councils are looking to share."
    assert split_sentences(wrapped) == [collapse(wrapped)]
    listed = "Three things matter:\n- trust between leaders\n- a clear business case"
    assert split_sentences(listed) == [
        "Three things matter:",
        "- trust between leaders",
        "- a clear business case",
    ]


def test_an_abbreviation_does_not_end_a_sentence() -> None:
    text = "Some services, e.g. Legal and HR, were shared first. Others followed."
    assert split_sentences(text) == [
        "Some services, e.g. Legal and HR, were shared first.",
        "Others followed.",
    ]


def test_spans_cover_the_text_in_order() -> None:
    text = "One sentence here. Another one!\n\n• A bullet\n• And more"
    spans = sentence_spans(text)
    assert [collapse(text[a:b]) for a, b in spans if text[a:b].strip()] == split_sentences(text)
    assert all(a <= b for a, b in spans) and spans == sorted(spans)
