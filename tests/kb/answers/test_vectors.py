"""Sentence vectors kept beside a build: the next process loads them, a new build does not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from kb.answers.vectors import ANSWER_FILE, FILE, SentenceVectors
from kb.api import KnowledgeBase, build_model
from kb.core.model_registry import answer_sentence_model, read_info
from kb.core.settings import Settings

SENTENCES = ["Councils can share a chief executive.", "Waste contracts were procured jointly."]


def _counting(kb: KnowledgeBase, calls: list[int]) -> Any:
    def embed(texts: list[str]) -> Any:
        calls.append(len(texts))
        return kb.answerer.tools.embed_texts(texts)

    return embed


def test_vectors_saved_beside_a_build_are_loaded_not_embedded_again(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    calls: list[int] = []
    first = SentenceVectors(tmp_path, _counting(kb, calls))
    vectors = first(SENTENCES + SENTENCES[:1])
    assert calls == [2] and np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    first.save()
    again = SentenceVectors(tmp_path, _counting(kb, calls))
    assert np.array_equal(again(SENTENCES), vectors[:2])
    assert calls == [2], "loaded from the file, not embedded"
    (tmp_path / FILE).write_bytes(b"not a numpy file")
    damaged = SentenceVectors(tmp_path, _counting(kb, calls))
    assert np.allclose(damaged(SENTENCES), vectors[:2], atol=1e-5) and calls == [2, 2]


def test_vectors_by_another_training_of_the_model_are_not_read_back(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    # The answer-sentence model is retrained in place when only its own settings change.
    calls: list[int] = []
    first = SentenceVectors(tmp_path, _counting(kb, calls), model_id="trained-once")
    vectors = first(SENTENCES)
    first.save()
    same = SentenceVectors(tmp_path, _counting(kb, calls), model_id="trained-once")
    assert np.array_equal(same(SENTENCES), vectors) and calls == [2]
    retrained = SentenceVectors(tmp_path, _counting(kb, calls), model_id="trained-again")
    retrained(SENTENCES)
    assert calls == [2, 2], "the other training's vectors were embedded again, not loaded"


def test_a_cold_answer_leaves_its_vectors_for_the_next_process(copied_index: Settings) -> None:
    kb = KnowledgeBase(copied_index)
    path = kb.index.path / FILE
    path.unlink(missing_ok=True)
    first = kb.answer("How much did the South London Waste Partnership save?")
    assert path.exists()
    calls: list[int] = []
    fresh = KnowledgeBase(copied_index)
    store = fresh.answerer.build_cache(fresh.index).sentence_vectors
    store._embed = _counting(fresh, calls)  # noqa: SLF001 - count what the new process embeds
    again = fresh.answer("How much did the South London Waste Partnership save?")
    assert again.to_dict() == first.to_dict()
    assert calls == [], "every sentence and checklist vector came from the file"


def test_saved_answer_sentence_vectors_name_the_training_of_their_model(
    copied_index: Settings,
) -> None:
    kb = KnowledgeBase(copied_index)
    model = answer_sentence_model(build_model(kb.index) or "")
    assert model is not None
    digest = (read_info(Path(model)) or {}).get("hash")
    path = kb.index.path / ANSWER_FILE
    path.unlink(missing_ok=True)
    kb.answer("Can two councils share a chief executive?")
    with np.load(path) as saved:
        assert digest and str(saved["model"]) == digest
