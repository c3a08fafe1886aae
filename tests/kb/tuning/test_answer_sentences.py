"""The answer-sentence model: pairs of a question and the sentence holding its evidence,
trained inside the adapted model, re-used, and what answers choose sentences by."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from eval.answers import holds_evidence
from eval.gold import load_questions
from kb.answers.sentences import split_sentences
from kb.api import KnowledgeBase
from kb.core.model_registry import SENTENCE_DIR, answer_sentence_model
from kb.core.settings import Settings
from kb.core.store import IndexStore
from kb.core.text import holds_quote
from kb.tuning import tune
from kb.tuning.answer_sentences import library_sentences, sentence_pairs

QUOTE = "South Hams and West Devon councils share a chief executive"


@pytest.fixture(scope="module")
def library(kb: KnowledgeBase) -> tuple[list[str], np.ndarray]:
    """The build's quotable sentences and their vectors by the build's model."""
    sentences = library_sentences(kb.index)
    return sentences, kb.answerer.build_cache(kb.index).sentence_vectors(sentences)


def test_library_sentences_are_quotable_and_listed_once(kb: KnowledgeBase, library) -> None:
    sentences, _ = library
    assert len(sentences) == len(set(sentences)) > 1000
    assert any(QUOTE in s for s in sentences)


def test_a_sentence_marked_garbled_at_ingest_is_never_a_training_sentence(
    kb: KnowledgeBase,
) -> None:
    chunk = next(c for c in kb.index.chunks.values() if len(split_sentences(c.text)) >= 3)
    first, *rest = split_sentences(chunk.text)
    marked = replace(chunk, garbled=((first.start, first.end),))
    found = library_sentences(SimpleNamespace(chunks={chunk.id: marked}))  # type: ignore[arg-type]
    assert first.text not in found and [s.text for s in rest] == found


def test_a_question_pairs_with_each_sentence_holding_its_evidence(
    kb: KnowledgeBase, library
) -> None:
    sentences, vectors = library
    question = {"question": "Can two councils share a chief executive?", "evidence": [QUOTE]}
    pairs = sentence_pairs(sentences, [question], kb.embed_query, vectors)
    holding = [s for s in sentences if holds_quote(s, [QUOTE])]
    assert sorted(p.passage for p in pairs) == sorted(holding) and pairs
    negative = pairs[0].negative
    assert negative and not holds_quote(negative, [QUOTE])
    # The negative is the closest sentence that does not hold the evidence.
    q = np.asarray(kb.embed_query(question["question"]))
    order = np.argsort(-(vectors @ (q / np.linalg.norm(q))))
    closest = next(sentences[i] for i in order if not holds_quote(sentences[i], [QUOTE]))
    assert negative == closest
    assert {p.source for p in pairs} == {"sentence"} and all(p.chunk_id == p.passage for p in pairs)


def test_a_quoted_correction_counts_and_an_unquoted_question_does_not(
    kb: KnowledgeBase, library
) -> None:
    sentences, vectors = library
    rows = [
        {"question": "Who shares a chief executive?", "rating": "down", "correction": QUOTE},
        {"question": "Too short", "rating": "down", "correction": "chief executive"},
        {"question": "Liked it", "rating": "up", "correction": QUOTE},
    ]
    unknown = {"question": "What is a green bin?", "evidence": ["no such words in the library"]}
    pairs = sentence_pairs(sentences, [unknown], kb.embed_query, vectors, rows)
    assert {p.query for p in pairs} == {"Who shares a chief executive?"}


def test_the_session_build_answers_with_its_answer_sentence_model(kb: KnowledgeBase) -> None:
    cache = kb.answerer.build_cache(kb.index)
    assert answer_sentence_model(kb.index.info["embed_model"])
    assert cache.answer_vectors is not cache.sentence_vectors
    # Trained on tune's questions, it leads with their evidence far more often than the
    # adapted model does (a real test of it being used and having learned; the
    # held-out figures are in the README).
    questions = [q for q in load_questions(split="tune") if q.kind == "how-to"][:25]
    plain = KnowledgeBase(kb.settings.model_copy(update={"tune_sentences": False}))
    assert plain.answerer.build_cache(plain.index).answer_vectors is (
        plain.answerer.build_cache(plain.index).sentence_vectors
    )

    def leads(base: KnowledgeBase) -> int:
        return sum(
            bool(a.sentences) and holds_evidence(q, a.sentences[0].text)
            for q in questions
            for a in [base.answer(q.question)]
        )

    assert leads(kb) >= leads(plain) + 3


@pytest.mark.slow
def test_tune_trains_the_sentence_model_inside_the_adapted_one_and_reuses_it(
    copied_index: Settings,
) -> None:
    # The adapted model is re-used from the copy; one epoch is a new sentence model.
    settings = copied_index.model_copy(update={"tune_sentence_epochs": 1})
    index = IndexStore(settings).open()
    made = tune(settings, index)
    assert made.reused
    inside = Path(made.model_dir) / SENTENCE_DIR
    assert made.sentence_model == str(inside) and not made.sentence_reused
    info = json.loads((inside / "tuning.json").read_text())
    assert info["pairs"] == made.sentence_pairs > 300 and info["base"] == made.model_dir
    assert info["params"]["epochs"] == 1 and info["params"]["hard_negatives"]
    assert not list(Path(made.model_dir).glob(".tmp-*"))  # renamed into place whole

    again = tune(settings, index)
    assert again.sentence_reused and again.sentence_model == made.sentence_model

    kb = KnowledgeBase(settings)
    assert kb.answer("Can two councils share a chief executive?").sentences
    assert (kb.index.path / "answer-sentence-vectors.npz").exists()

    off = settings.model_copy(update={"tune_sentences": False})
    assert tune(off, index).sentence_model is None
