"""`kb eval answers`: judging answers in the `kb ask --json` schema against the gold sets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.answers import case_ids, evaluate_answers, judge_answer, question_sets
from eval.gold import GoldQuestion, gold_version
from kb.api import KnowledgeBase

Q = GoldQuestion(
    "q1",
    "?",
    ("shared chief executive", "joint waste contract"),
    case_ids=("bromsgrove-redditch", "south-london-waste"),
)


def answer(text: str, *passages: str, abstained: bool = False, cases=()) -> dict:
    return {
        "answer": text,
        "abstained": abstained,
        "notices": [],
        "citations": [{"n": i, "text": p, "doc_id": "d"} for i, p in enumerate(passages, 1)],
        "case_studies": [{"id": c, "title": c, "reason": "-"} for c in cases],
    }


def test_citations_are_supported_when_their_passage_holds_evidence():
    a = answer(
        "They share a chief executive [1]. Waste too [2]. And more [3].",
        "A Shared  Chief Executive since 2008.",
        "Unrelated passage.",
        "the JOINT waste contract",
        cases=["south-london-waste", "east-kent-services"],
    )
    j = judge_answer(Q, a)
    assert (j["citations"], j["supported"], j["quotes_found"], j["quotes"]) == (3, 2, 2, 2)
    assert j["dangling"] == 0 and j["case_hits"] == 1 and not j["abstained"]


def test_a_marker_without_its_source_is_dangling():
    j = judge_answer(Q, answer("See [1] and [4].", "a shared chief executive"))
    assert j["dangling"] == 1 and j["quotes_found"] == 1


def test_case_ids_come_from_dicts_records_or_strings():
    class Record:
        id = "east-kent-services"

    class Match:
        record = Record()

    assert case_ids([{"id": "a"}, "b", Match(), {"title": "no id"}]) == [
        "a",
        "b",
        "east-kent-services",
    ]


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(KnowledgeBase, "answer"), reason="answers not built yet")
def test_answers_evaluate_on_the_real_index(kb: KnowledgeBase):
    report = evaluate_answers(kb, subset=8)
    m = report["metrics"]
    assert m["in-scope"]["questions"] == 8 and len(report["questions"]) == 8
    assert 0 <= m["in-scope"]["citation_precision"] <= 1
    assert m["in-scope"]["dangling_citation_marks"] == 0
    assert m["out-of-scope"]["questions"] == len(report["out_of_scope"]) >= 20
    assert m["case-matching"]["checks"] == len(report["case_matching"])
    assert report["stamp"]["gold_version"] == gold_version()


def test_citations_from_the_evidence_section_count_as_section_supported():
    a = answer("A [1]. B [2]. C [3].", "a shared chief executive", "other words", "more words")
    a["citations"][1]["section"] = "Case study 1"
    a["citations"][0]["section"] = "Case study 1"
    j = judge_answer(Q, a, sections={("d", "Case study 1")})
    assert (j["supported"], j["in_evidence_section"]) == (1, 2)
    assert judge_answer(Q, a)["in_evidence_section"] == 1


@pytest.fixture
def own_sets(tmp_path: Path) -> tuple[Path, Path]:
    """An analyst's own in-scope and out-of-scope files, without splits (so: test)."""
    questions = tmp_path / "mine.jsonl"
    questions.write_text(
        json.dumps(
            {
                "id": "m1",
                "question": "We're two districts thinking of sharing a chief executive. "
                "Has anyone done it?",
                "evidence": ["South Hams and West Devon councils share a chief executive"],
            }
        )
        + "\n",
        encoding="utf-8",
    )
    oos = tmp_path / "oos.jsonl"
    oos.write_text(
        json.dumps({"id": "x1", "question": "How do I renew my passport?"}) + "\n",
        encoding="utf-8",
    )
    return questions, oos


@pytest.mark.slow
def test_an_analysts_own_sets_are_measured_alone(kb: KnowledgeBase, own_sets):
    questions, oos = own_sets
    report = evaluate_answers(kb, questions=questions, out_of_scope=oos)
    assert list(report["questions"]) == ["m1"] and list(report["out_of_scope"]) == ["x1"]
    assert report["out_of_scope"]["x1"] is True  # a passport question is refused
    assert report["questions"]["m1"]["evidence_in_citations"]
    # The library's own short and case-matching sets are not blended in.
    assert report["short_questions"] == {} and report["case_matching"] == {}
    assert report["metrics"]["case-matching"]["case_recall@3"] is None
    assert report["stamp"]["questions_file"] == str(questions)
    assert report["stamp"]["out_of_scope_file"] == str(oos)


def test_an_own_file_with_no_question_in_the_split_is_refused_before_answering(own_sets):
    questions, _ = own_sets
    with pytest.raises(ValueError, match="has no questions in the tune split"):
        question_sets("tune", questions=questions)
    gold, oos = question_sets("test", questions=questions)
    assert [q.id for q in gold] == ["m1"] and oos == []


def test_evidence_under_more_is_on_screen_but_not_in_the_answer():
    a = answer("Other words [1].", "the joint waste contract")
    a["sentences"] = [{"n": 1, "text": "Other words about waste."}]
    a["more"] = [{"n": 1, "text": "They signed the joint waste contract in 2008."}]
    j = judge_answer(Q, a)
    assert not j["evidence_in_answer"] and j["evidence_on_screen"]
    a["more"] = []
    assert not judge_answer(Q, a)["evidence_on_screen"]
