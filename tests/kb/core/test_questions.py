"""Known questions: the tune split only, its halves, and the passages they expand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb.core.questions import holdout_fold, known_questions, question_expansions
from kb.core.records import Chunk
from kb.core.settings import Settings


@pytest.fixture
def question_file(tmp_path: Path) -> Path:
    rows = [
        {"id": f"k{i}", "question": f"Tune question {i}?", "split": "tune",
         "evidence": [f"Evidence number {i} is here"]}
        for i in range(40)
    ] + [
        {"id": "t1", "question": "A test question?", "split": "test",
         "evidence": ["Evidence number 1 is here"]},
    ]  # fmt: skip
    path = tmp_path / "questions.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", "utf-8")
    return path


def _chunk(cid: str, text: str) -> Chunk:
    return Chunk(cid, "doc", text, "Title", ("Section",), 0, len(text), "guide", None, "2011")


def test_known_questions_are_tune_only_and_a_half_can_be_held_out(
    question_file: Path, tmp_path: Path
) -> None:
    def settings(mode: str) -> Settings:
        return Settings(
            data_dir=tmp_path, tune_question_files=(question_file,), known_questions=mode
        )

    every = known_questions(settings("tune"))
    assert {q["id"] for q in every} == {f"k{i}" for i in range(40)}  # never the test split
    first = known_questions(settings("tune-first-half"))
    assert {q["id"] for q in first} == {q["id"] for q in every if not holdout_fold(q["id"])}
    assert 10 < len(first) < 30
    assert known_questions(settings("none")) == []


def test_a_question_expands_the_chunks_holding_its_evidence(question_file: Path) -> None:
    chunks = [
        _chunk("a", "Some text. EVIDENCE number 1 is here, whatever the case."),
        _chunk("b", "Evidence number 1 is here too, in an overlapping chunk."),
        _chunk("c", "Nothing to see."),
    ]
    questions = [json.loads(line) for line in question_file.read_text("utf-8").splitlines()]
    expanded = question_expansions(chunks, [q for q in questions if q["split"] == "tune"])
    assert expanded == {"a": ["Tune question 1?"], "b": ["Tune question 1?"]}
