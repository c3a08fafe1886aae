"""`kb eval answers`: judging answers in the `kb ask --json` schema against the gold sets."""

from __future__ import annotations

import pytest

from eval.answers import case_ids, evaluate_answers, judge_answer
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
