"""The corpus-adapted model: pairs mined from the build, a real (small) training run, the switch."""

from __future__ import annotations

import ast
import json
import re
import shutil
from pathlib import Path

import pytest

from eval.gold import load_questions
from ingest.pipeline import ingest
from kb.api import KnowledgeBase
from kb.core.questions import known_questions
from kb.core.settings import REPO_ROOT, Settings
from kb.core.store import IndexStore
from kb.core.text import fold
from kb.tuning import active_model, collect_pairs, mine_pairs, tune
from kb.tuning.build import record_feedback_questions
from kb.tuning.pairs import holdout_fold, tune_questions
from kb.tuning.trainer import batches
from kb.workspace.state import ChatStore, Feedback


@pytest.fixture(scope="module")
def pairs(kb: KnowledgeBase) -> list:
    return collect_pairs(kb.settings, kb.index)


def test_pairs_come_from_every_part_of_the_corpus(kb: KnowledgeBase, pairs: list) -> None:
    sources = {p.source for p in pairs}
    assert {"heading", "cloze", "case", "checklist", "question"} <= sources
    assert len(pairs) > 800
    for p in pairs:
        assert p.chunk_id in kb.index.chunks and p.query.strip() and p.passage.strip()
    # Inverse cloze: the sentence is taken out of the passage it must find.
    for p in (p for p in pairs if p.source == "cloze"):
        assert p.query not in p.passage
    # A repeated heading ("What was the approach?") says which case study it heads.
    approach = [
        p.query for p in pairs if p.source == "heading" and "What was the approach?" in p.query
    ]
    assert len(approach) >= 5
    assert all(q.startswith("Case study") for q in approach)


def test_mining_is_deterministic(kb: KnowledgeBase, pairs: list) -> None:
    again = collect_pairs(kb.settings, kb.index)
    assert [p.to_dict() for p in again] == [p.to_dict() for p in pairs]


def test_no_test_split_question_becomes_a_training_pair(pairs: list) -> None:
    test_questions = {q.question for q in load_questions(split="test")}
    tune = {q.question for q in load_questions(split="tune")}
    questions = [p.query for p in pairs if p.source == "question"]
    assert questions and set(questions) <= tune
    assert not test_questions & {p.query for p in pairs}


def test_holdout_keeps_half_of_tune_out_of_training() -> None:
    paths = [REPO_ROOT / "eval/questions.jsonl"]
    every, kept = tune_questions(paths), tune_questions(paths, holdout=True)
    assert {r["id"] for r in kept} == {r["id"] for r in every if not holdout_fold(r["id"])}
    assert 0.35 < len(kept) / len(every) < 0.65
    # Swapped halves (a choice made on one held-out half is checked on the other).
    other = tune_questions(paths, holdout=True, half=0)
    assert {r["id"] for r in other} == {r["id"] for r in every if holdout_fold(r["id"])}
    assert not {r["id"] for r in other} & {r["id"] for r in kept}


def _code_strings(source: str) -> list[str]:
    """String constants of a module, docstrings left out (they may name the files)."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def test_kb_and_ingest_never_read_the_test_split() -> None:
    """Only eval/ may read the test split, the blind sets or the out-of-scope questions."""
    offenders = []
    for package in ("kb", "ingest"):
        for path in (REPO_ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            strings = _code_strings(text)
            if any(re.search(r"questions_blind|out_of_scope|case_matching", s) for s in strings):
                offenders.append(str(path.relative_to(REPO_ROOT)))
            if "test" in strings and "split" in strings:
                offenders.append(str(path.relative_to(REPO_ROOT)))
            if re.search(r"^\s*(from|import) eval\b", text, re.M):
                offenders.append(str(path.relative_to(REPO_ROOT)))
    assert not offenders


def test_a_thumbs_down_with_a_quoted_correction_becomes_a_pair(copied_index: Settings) -> None:
    kb = KnowledgeBase(copied_index)
    chunk = next(c for c in kb.index.chunks.values() if len(c.text) > 300)
    quote = " ".join(chunk.text.split()[5:25])
    store = ChatStore(copied_index.state_db)
    store.add_feedback(
        Feedback("ann", "Who runs the shared team day to day?", "…", "down", correction=quote)
    )
    store.add_feedback(Feedback("ann", "A liked answer", "…", "up", correction=quote))
    store.add_feedback(Feedback("ann", "Too short a correction", "…", "down", correction="no"))
    learned = [p for p in collect_pairs(copied_index, kb.index) if p.source == "feedback"]
    assert [(p.query, fold(quote) in fold(p.passage)) for p in learned] == [
        ("Who runs the shared team day to day?", True)
    ]


def test_a_corrected_question_expands_bm25_at_the_next_ingest(copied_index: Settings) -> None:
    kb = KnowledgeBase(copied_index)
    question = "Which committee looks after the zebra crossings budget?"  # no passage has it
    assert not any("zebra" in c.text.lower() for c in kb.index.chunks.values())
    chunk = next(c for c in kb.index.chunks.values() if len(c.text) > 300)
    quote = " ".join(chunk.text.split()[5:25])
    ChatStore(copied_index.state_db).add_feedback(
        Feedback("ann", question, "…", "down", correction=quote)
    )
    assert record_feedback_questions(copied_index, kb.index) == 1
    assert question in [q["question"] for q in known_questions(copied_index)]
    held = copied_index.model_copy(update={"known_questions": "tune-first-half"})
    assert question not in [q["question"] for q in known_questions(held)]
    ingest(copied_index, progress=False)
    index = IndexStore(copied_index).open()
    top = [cid for cid, _ in index.bm25_search("zebra crossings", 3)]
    # Found by the words of the officer's question: the passage (or its overlap) quoted.
    assert top and fold(quote) in fold(index.chunks[top[0]].text)


def test_batches_never_hold_one_passage_twice(pairs: list) -> None:
    doubled = pairs[:40] + pairs[:10]
    planned = batches(doubled, 8, seed=0)
    assert sum(len(b) for b in planned) == 50
    for batch in planned:
        assert len({p.chunk_id for p in batch}) == len(batch)


def test_mine_pairs_on_an_index_without_extras(kb: KnowledgeBase) -> None:
    bare = mine_pairs(kb.index)
    assert {p.source for p in bare} == {"heading", "cloze"}


@pytest.mark.slow
def test_tune_trains_reuses_switches_and_can_be_turned_off(copied_index: Settings) -> None:
    settings = copied_index.model_copy(
        update={
            "tune_max_pairs": 48,
            "tune_batch_size": 16,
            "tune_max_tokens": 48,
            "tune_sentences": False,  # tests/kb/tuning/test_answer_sentences.py trains that one
        }
    )
    shutil.rmtree(settings.data_dir / "models")  # start from the stock model
    assert active_model(settings) == settings.embed_model
    ingest(settings, progress=False)
    kb = KnowledgeBase(settings)
    before = kb.search("Can two councils share a chief executive?", k=3)

    made = tune(settings, kb.index)
    assert not made.reused and made.steps == 3 * settings.tune_epochs and made.disk_mb > 10
    tuned = Path(made.model_dir)
    assert active_model(settings) == str(tuned)
    info = json.loads((tuned / "tuning.json").read_text())
    assert info["pairs"] and info["base"] == settings.embed_model

    again = tune(settings, kb.index)
    assert again.reused and again.model_dir == made.model_dir

    report = ingest(settings, progress=False)
    assert report.replaced  # every document re-embedded with the tuned model
    after = kb.search("Can two councils share a chief executive?", k=3)
    assert kb.index.info["embed_model"] == str(tuned)
    assert kb._embedder_model == str(tuned)  # noqa: SLF001 - queries use the build's model
    assert before and after

    off = settings.model_copy(update={"tune": False})
    assert active_model(off) == settings.embed_model
