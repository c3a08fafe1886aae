"""The answer-sentence model: the adapted model taught which sentence answers a question.

Retrieval's model learns which *passage* holds an answer; an answer then quotes the
passage's best *sentences*, and a passage's sentences all look alike to it. So
``kb tune`` trains a second model from the adapted one on (tune question, sentence
that holds its gold evidence) pairs, each with a hard negative: the library sentence
the adapted model finds closest to the question that does not hold the evidence.
Composition (kb.answers.answerer) scores sentences with it; retrieval and the
refusal thresholds keep the adapted model.

Chosen on tune's two cross-fitted halves (each half's model trained on the other
half's questions; README, the corpus-adapted model): the gold evidence led 153 →
178 of 347 answers and was in 217 → 232.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np

from kb.answers.sentences import quotable_sentences
from kb.core.model_registry import INFO_FILE, SENTENCE_DIR, read_info
from kb.core.store import Index
from kb.core.text import holds_quote
from kb.tuning.pairs import MIN_CORRECTION_CHARS, TrainingPair
from kb.tuning.trainer import TrainParams, train_model

__all__ = ["SENTENCE_DIR", "library_sentences", "sentence_model", "sentence_pairs"]


def library_sentences(index: Index) -> list[str]:
    """Every sentence of the build an answer can quote, once (overlapping chunks repeat
    some)."""
    return list(
        dict.fromkeys(s.text for chunk in index.chunks.values() for s in quotable_sentences(chunk))
    )


def sentence_pairs(
    sentences: Sequence[str],
    questions: Iterable[dict[str, Any]],
    embed_query: Callable[[str], Sequence[float]],
    vectors: np.ndarray,
    feedback: Iterable[dict[str, Any]] = (),
) -> list[TrainingPair]:
    """(question, sentence holding its evidence, closest sentence that does not) pairs.

    ``vectors`` are the sentences' unit vectors by the adapted model, ``embed_query``
    embeds with it too. A thumbs-down whose correction quotes the library counts as a
    question with that quote as its evidence.
    """
    asked = [(str(q["question"]), list(q.get("evidence") or [])) for q in questions]
    for row in feedback:
        correction = " ".join(str(row.get("correction") or "").split())
        if row.get("rating") == "down" and len(correction) >= MIN_CORRECTION_CHARS:
            asked.append((str(row["question"]), [correction]))
    pairs: list[TrainingPair] = []
    for question, quotes in asked:
        holds = [i for i, s in enumerate(sentences) if holds_quote(s, quotes)]
        if not question.strip() or not holds:
            continue
        q = np.asarray(embed_query(question), dtype=np.float32)
        closeness = vectors @ (q / (np.linalg.norm(q) or 1.0))
        closeness[holds] = -np.inf
        negative = sentences[int(np.argmax(closeness))]
        for i in holds:
            # The sentence stands for its own "passage": batches keep one pair per sentence.
            pairs.append(TrainingPair(question, sentences[i], sentences[i], "sentence", negative))
    return pairs


def sentence_model(
    adapted: Path,
    make_pairs: Callable[[], Sequence[TrainingPair]],
    inputs: Sequence[object],
    params: TrainParams,
    force: bool = False,
    progress: Callable[[int, int, float], None] | None = None,
) -> tuple[Path | None, bool]:
    """Train the answer-sentence model inside ``adapted`` (or re-use it): (its folder,
    or None when there is nothing to train on; whether it was re-used).

    ``inputs`` (the questions, feedback and sentences ``make_pairs`` reads) name the
    model with ``params``: mining embeds the whole library, so a re-run with the same
    inputs is answered from the name alone. Written to a temporary folder and renamed
    when complete, so a reader never loads half a model.
    """
    target = adapted / SENTENCE_DIR
    named = [asdict(replace(params, threads=0)), *inputs]
    text = json.dumps(named, sort_keys=True, default=str)
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    info = read_info(target)
    if info is not None and info.get("hash") == digest and not force:
        return target, True
    pairs = make_pairs()
    if len(pairs) < 2:  # nothing to learn from (no tune questions): composition keeps
        return None, False  # the adapted model
    tmp = adapted / f".tmp-{SENTENCE_DIR}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    started = time.perf_counter()
    figures = train_model(str(adapted), pairs, tmp, params, progress)
    (tmp / INFO_FILE).write_text(
        json.dumps(
            {
                "base": str(adapted),
                "hash": digest,
                "pairs": len(pairs),
                "params": asdict(params),
                **figures,
                "seconds": round(time.perf_counter() - started, 1),
            },
            indent=1,
        ),
        encoding="utf-8",
    )
    shutil.rmtree(target, ignore_errors=True)
    os.replace(tmp, target)
    return target, False
