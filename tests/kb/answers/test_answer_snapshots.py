"""Whole answers to ten officer questions, compared with reviewed snapshots.

A change in what the product says shows up in review as a diff of
``tests/kb/answers/snapshots/answers.json``. After reviewing a deliberate change, rewrite
the file with ``pytest tests/kb/answers/test_answer_snapshots.py --update-snapshots``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kb.answers.record import citation_problems
from kb.api import KnowledgeBase

SNAPSHOTS = Path(__file__).parent / "snapshots" / "answers.json"
QUESTIONS = (
    "Can two councils share a chief executive?",
    "What are the main benefits of sharing services?",
    "Is it legal for a council to set up a company with its neighbours to provide services?",
    "How should a shared service be governed so members keep control?",
    "What stops councils from sharing services?",
    "How much did the South London Waste Partnership save?",
    "How do we keep staff on side when we merge two teams?",
    "Which councils have shared a revenues and benefits service?",
    "Can Cornwall Council share its legal team with Devon?",
    "How do I apply for a blue badge for my mother?",
)


def whole_answer(kb: KnowledgeBase, question: str) -> dict[str, Any]:
    answer = kb.answer(question)
    assert citation_problems(answer) == []
    return {
        "answer": answer.text,
        "abstained": answer.abstained,
        "scope_note": answer.scope_note,
        "partial": answer.partial,
        "cases_first": answer.cases_first,
        "sources": [
            f"[{c.n}] {c.passage.chunk.title} — "
            + ", ".join(
                x
                for x in (
                    c.passage.chunk.section_label,
                    c.passage.chunk.page_label,
                    c.passage.chunk.date_label,
                )
                if x
            )
            for c in answer.citations
        ],
        "notices": answer.notices,
    }


def test_answers_match_the_reviewed_snapshots(
    kb: KnowledgeBase, request: pytest.FixtureRequest
) -> None:
    got = {q: whole_answer(kb, q) for q in QUESTIONS}
    if request.config.getoption("--update-snapshots"):
        SNAPSHOTS.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n", "utf-8")
        pytest.skip("snapshots rewritten; review the diff before committing")
    assert SNAPSHOTS.exists(), "no snapshots yet: run with --update-snapshots and review them"
    want = json.loads(SNAPSHOTS.read_text("utf-8"))
    changed = [q for q in QUESTIONS if got[q] != want.get(q)]
    assert not changed, f"answers changed for {changed}; review, then --update-snapshots"


def test_the_chief_executive_answer_leads_with_an_answer(kb: KnowledgeBase) -> None:
    answer = kb.answer("Can two councils share a chief executive?")
    assert not answer.abstained
    lead = answer.sentences[0].text.lower()
    assert "chief executive" in lead
    assert sum(len(s.text.split()) for s in answer.sentences) <= 110
