"""The frozen tune/test split and the blind sets: the rule holds, and the sets are as promised."""

from __future__ import annotations

import hashlib
from collections import Counter

from eval.gold import (
    BLIND_OUT_OF_SCOPE,
    BLIND_QUESTIONS,
    NEAR_DUPLICATE,
    QUESTIONS,
    SHORT_QUESTIONS,
    SHORT_TUNE_QUESTIONS,
    SPLITS,
    TUNE_OFFICER_QUESTIONS,
    load_case_matching,
    load_jsonl,
    load_out_of_scope,
    load_questions,
    load_short_questions,
    nearest_test_question,
    word_overlap,
)


def _rule(rows: list[dict], by_kind: bool) -> dict[str, str]:
    """The split as first made: per kind, ids ordered by sha256, the first 60% tune."""
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(r.get("kind", "all") if by_kind else "all", []).append(r)
    split = {}
    for group in groups.values():
        ordered = sorted(group, key=lambda r: hashlib.sha256(r["id"].encode()).hexdigest())
        n_tune = round(len(ordered) * 0.6)
        split.update({r["id"]: "tune" if i < n_tune else "test" for i, r in enumerate(ordered)})
    return split


def test_the_development_split_is_the_frozen_hash_rule() -> None:
    rows = load_jsonl(QUESTIONS)
    assert {r["id"]: r["split"] for r in rows} == _rule(rows, by_kind=True)
    for loader in (load_out_of_scope, load_case_matching):
        assert {x.id for x in loader(split="tune")} and {x.id for x in loader(split="test")}


def test_every_kind_is_in_both_splits() -> None:
    dev = load_questions(QUESTIONS)
    for split in SPLITS:
        assert {q.kind for q in dev if q.split == split} == {q.kind for q in dev}


def test_the_blind_set_is_all_test_and_covers_what_the_issue_asks() -> None:
    if not BLIND_QUESTIONS.exists():
        return
    blind = [q for q in load_questions() if q.source == "blind"]
    assert blind and all(q.split == "test" for q in blind)
    kinds = Counter(q.kind for q in blind)
    assert len(blind) >= 120
    assert kinds["legal"] + kinds["governance"] >= 25
    assert kinds["barrier"] >= 25 and kinds["how-to"] >= 25 and kinds["article"] >= 30
    assert sum(bool(q.names) for q in blind) >= 40  # questions naming a council or product
    near_misses = [o for o in load_out_of_scope() if o.source == "blind"]
    assert len(near_misses) >= 20 and all(o.split == "test" for o in near_misses)


def test_officer_tuning_questions_are_never_test() -> None:
    if TUNE_OFFICER_QUESTIONS.exists():
        rows = load_jsonl(TUNE_OFFICER_QUESTIONS)
        assert rows and all(r["split"] == "tune" for r in rows)


def test_no_officer_tuning_question_repeats_a_test_question() -> None:
    """Training on a near-copy of a test question would report memory, not retrieval."""
    test = load_questions(split="test")
    officer = [q for q in load_questions() if q.source == "officer"]
    repeats = {
        q.id: nearest_test_question(q.question, test)
        for q in officer
        if nearest_test_question(q.question, test)[0] >= NEAR_DUPLICATE
    }
    assert not repeats


def test_word_overlap_sees_a_reworded_repeat() -> None:
    a = "Why did Weymouth and West Dorset decide to share revenues and benefits, not outsource?"
    b = "Why did Weymouth and Portland and West Dorset choose to share revenues and benefits?"
    assert word_overlap(a, b) >= NEAR_DUPLICATE
    assert word_overlap(a, "Who audits a joint committee's accounts?") < NEAR_DUPLICATE


def test_ids_are_unique_across_every_set() -> None:
    ids = [q.id for q in load_questions()]
    assert len(ids) == len(set(ids))
    oos = [o.id for o in load_out_of_scope()]
    assert len(oos) == len(set(oos))
    assert BLIND_OUT_OF_SCOPE.name != BLIND_QUESTIONS.name


def test_an_unknown_split_is_refused_clearly() -> None:
    import pytest

    with pytest.raises(ValueError, match="Unknown split 'dev'"):
        load_questions(split="dev")


def test_the_short_questions_are_split_by_file_and_labelled_both_ways() -> None:
    short = load_short_questions()
    blind = load_short_questions(SHORT_QUESTIONS)
    tune = load_short_questions(SHORT_TUNE_QUESTIONS)
    assert blind and all(b.split == "test" for b in blind)
    assert tune and all(b.split == "tune" for b in tune)
    assert load_short_questions(split="test") == blind
    assert load_short_questions(split="tune") == tune
    for group in (blind, tune):
        assert {b.in_scope for b in group} == {True, False}
    assert len({b.id for b in short}) == len(short)
    assert not {b.id for b in short} & {q.id for q in load_questions()}


def test_no_short_tune_question_repeats_a_test_question() -> None:
    # Short questions share words by nature ("What is section 101?" and "What is a
    # section 113 agreement?" share half theirs), so the bar is more than half: a
    # tune question that close would tune on test.
    test = [b.question for b in load_short_questions(split="test")]
    test += [o.question for o in load_out_of_scope(split="test")]
    test += [q.question for q in load_questions(split="test")]
    close = {
        b.question: max(test, key=lambda t: word_overlap(b.question, t))
        for b in load_short_questions(split="tune")
        if max(word_overlap(b.question, t) for t in test) > 0.5
    }
    assert not close
