"""The guide's checklist: loading it, and finding the items on a question's topic."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kb.api import KnowledgeBase
from kb.checklist.questions import Checklist, load_checklist
from kb.core.settings import REPO_ROOT

CHECKLIST = REPO_ROOT / "corpus" / "checklist.yaml"


def test_checklist_loads_every_item_with_its_section() -> None:
    checklist = load_checklist(CHECKLIST)
    assert len(checklist.items) >= 40
    assert len({i.id for i in checklist.items}) == len(checklist.items)
    for item in checklist.items:
        assert item.question.strip() and item.section_path and item.key_question
    assert {i.key_question for i in checklist.items} >= {
        "What do we want to achieve?",
        "Is sharing the right option to achieve our aims?",
        "How can we implement our sharing ambitions?",
    }


def _unit(kb: KnowledgeBase, text: str) -> np.ndarray:
    v = np.asarray(kb.embed_query(text), dtype=np.float32)
    return v / np.linalg.norm(v)


def test_items_from_the_sections_of_cited_passages_come_first(kb: KnowledgeBase) -> None:
    checklist = load_checklist(CHECKLIST)
    question = "Is it legal for councils to share services, and which powers apply?"
    passages = kb.search(question, k=3, mode="dense")
    assert any("Is sharing legal?" in p.chunk.section for p in passages)
    items = checklist.related(_unit(kb, question), passages, kb.embedder.get_text_embedding_batch)
    assert 1 <= len(items) <= 3
    assert items[0].section_path[-1] == "Is sharing legal?"


def test_answer_offers_checklist_items_on_the_topic(kb: KnowledgeBase) -> None:
    answer = kb.answer("How should a shared service arrangement be governed?")
    assert not answer.abstained
    assert answer.checklist
    assert any(
        "govern" in (i.question + " ".join(i.section_path)).lower() for i in answer.checklist
    )


def test_nothing_related_to_an_unrelated_question(kb: KnowledgeBase) -> None:
    checklist = load_checklist(CHECKLIST)
    items = checklist.related(
        _unit(kb, "a recipe for shepherd's pie"), [], kb.embedder.get_text_embedding_batch
    )
    assert items == []


def test_missing_file_is_an_empty_checklist(tmp_path: Path) -> None:
    empty = load_checklist(tmp_path / "none.yaml")
    assert isinstance(empty, Checklist) and empty.items == []
    assert empty.related(np.ones(3), [], lambda texts: []) == []
