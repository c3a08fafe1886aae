"""`kb tune`: mine pairs from the current build, then train (or re-use) the adapted model."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from kb.core.model_registry import (
    INFO_FILE,
    disk_mb,
    model_dir_for,
    model_identity,
    models_dir,
    read_info,
    switch_model,
)
from kb.core.questions import write_feedback_questions
from kb.core.settings import Settings
from kb.core.store import Index
from kb.tuning.pairs import TrainingPair, feedback_pairs, mine_pairs, tune_questions
from kb.tuning.trainer import TrainParams, train_model

__all__ = [
    "TuneResult",
    "collect_pairs",
    "inputs_hash",
    "record_feedback_questions",
    "train_params",
    "tune",
]

# Bump when mining or training change in a way the hash does not see.
TUNING_VERSION = "1"


@dataclass
class TuneResult:
    """What ``kb tune`` did: the model it made or re-used, from which pairs, how long it took."""

    model_dir: str
    reused: bool
    pairs: dict[str, int] = field(default_factory=dict)
    steps: int = 0
    seconds: float = 0.0
    disk_mb: float = 0.0
    loss: float | None = None
    # The answer-sentence model inside model_dir (kb/tuning/answer_sentences.py), if any.
    sentence_model: str | None = None
    sentence_reused: bool = False
    sentence_pairs: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def inputs_hash(base: str, pairs: list[TrainingPair], params: TrainParams) -> str:
    digest = hashlib.sha256(f"{TUNING_VERSION}|{model_identity(base)}|".encode())
    digest.update(json.dumps(asdict(params), sort_keys=True).encode())
    for p in pairs:
        digest.update(f"{p.source}\x1f{p.query}\x1f{p.passage}\x1e".encode())
    return digest.hexdigest()[:12]


def train_params(settings: Settings) -> TrainParams:
    return TrainParams(
        epochs=settings.tune_epochs,
        batch_size=settings.tune_batch_size,
        max_tokens=settings.tune_max_tokens,
        learning_rate=settings.tune_learning_rate,
        hard_negatives=settings.tune_hard_negatives,
        threads=max(1, os.cpu_count() or 1),
    )


def _feedback(settings: Settings) -> list[dict[str, Any]]:
    if not settings.state_db.exists():  # never create the app's database just to read it
        return []
    from kb.workspace.state import ChatStore

    return ChatStore(settings.state_db).feedback()


def record_feedback_questions(settings: Settings, index: Index) -> int:
    """Write officers' corrected questions for the next ingest's BM25 (kb/core/questions.py).

    Returns how many there are.
    """
    corrected = feedback_pairs(index, _feedback(settings))
    write_feedback_questions(
        settings, [{"question": p.query, "evidence": [p.evidence]} for p in corrected]
    )
    return len(corrected)


def collect_pairs(
    settings: Settings, index: Index, holdout: bool = False, half: int = 1
) -> list[TrainingPair]:
    """Every training pair for the current build (``holdout`` keeps ``half`` of tune out)."""
    from kb.cases.library import REVIEWED_FILE
    from kb.cases.matching import library_for
    from kb.checklist.questions import load_checklist

    cases = library_for(index, settings.corpus_dir / REVIEWED_FILE).records
    items = load_checklist(settings.corpus_dir / "checklist.yaml").items
    return mine_pairs(
        index,
        cases=[c for c in cases if c.kind == "full"],
        checklist_items=items,
        questions=tune_questions(settings.tune_question_files, holdout, half),
        feedback=_feedback(settings),
        hard_negatives=settings.tune_hard_negatives,
    )[: settings.tune_max_pairs]


def _tune_adapted(
    settings: Settings, index: Index, holdout: bool, force: bool, progress: Any, half: int
) -> TuneResult:
    """The adapted model of :func:`tune`: trained or re-used, made current unless held out."""
    pairs = collect_pairs(settings, index, holdout, half)
    if not holdout:
        record_feedback_questions(settings, index)
    params = train_params(settings)
    # Thread count changes float rounding, not what the model learns: leave it out of the name.
    digest = inputs_hash(
        settings.embed_model, pairs, TrainParams(**{**asdict(params), "threads": 0})
    )
    if holdout:
        digest = ("holdout-" if half == 1 else "holdout0-") + digest
    target = model_dir_for(settings, digest)
    counts = dict(sorted(Counter(p.source for p in pairs).items()))
    info = read_info(target)
    if info is not None and not force:
        if not holdout:
            switch_model(settings, target)
        return TuneResult(
            str(target),
            True,
            counts,
            info.get("steps", 0),
            info.get("seconds", 0.0),
            disk_mb(target),
            info.get("loss"),
        )
    tmp = models_dir(settings) / f".tmp-{digest}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    started = time.perf_counter()
    figures = train_model(settings.embed_model, pairs, tmp, params, progress)
    (tmp / INFO_FILE).write_text(
        json.dumps(
            {
                "base": settings.embed_model,
                "base_id": model_identity(settings.embed_model),
                "hash": digest,
                "pairs": counts,
                "params": asdict(params),
                "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                **figures,
                "seconds": round(time.perf_counter() - started, 1),
            },
            indent=1,
        ),
        encoding="utf-8",
    )
    shutil.rmtree(target, ignore_errors=True)
    os.replace(tmp, target)  # complete before it can be named current
    if not holdout:
        switch_model(settings, target)
    info = read_info(target) or {}
    return TuneResult(
        str(target),
        False,
        counts,
        int(figures["steps"]),
        float(info.get("seconds", 0.0)),
        disk_mb(target),
        figures["loss"],
    )


def tune(
    settings: Settings,
    index: Index,
    holdout: bool = False,
    force: bool = False,
    progress: Callable[[int, int, float], None] | None = None,
    half: int = 1,
) -> TuneResult:
    """Make the adapted model for this build's text, or re-use it, and make it current;
    then its answer-sentence model (``settings.tune_sentences``).

    Args:
        holdout: leave half of the tune questions out of training (the models
            the weights are chosen with, eval/tune_retrieval.py); not made current.
        half: which half ``holdout`` leaves out (kb.core.questions.held_out).
        force: train even when a model with the same inputs exists.
    """
    result = _tune_adapted(settings, index, holdout, force, progress, half)
    if settings.tune_sentences:
        _answer_sentences(settings, index, result, holdout, force, progress, half)
    return result


def _answer_sentences(
    settings: Settings,
    index: Index,
    result: TuneResult,
    holdout: bool,
    force: bool,
    progress: Callable[[int, int, float], None] | None,
    half: int,
) -> None:
    from kb.core.query_encoder import query_encoder
    from kb.tuning.answer_sentences import library_sentences, sentence_model, sentence_pairs

    adapted = Path(result.model_dir)
    questions = tune_questions(settings.tune_question_files, holdout, half)
    feedback = _feedback(settings)
    sentences = library_sentences(index)
    params = replace(
        train_params(settings),
        epochs=settings.tune_sentence_epochs,
        learning_rate=settings.tune_sentence_learning_rate,
        hard_negatives=True,
    )

    def make_pairs() -> list[TrainingPair]:
        encoder = query_encoder(str(adapted), settings.embed_device, settings.embed_batch_size)
        vectors = np.asarray(encoder.get_text_embedding_batch(sentences), dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        return sentence_pairs(sentences, questions, encoder.get_query_embedding, vectors, feedback)

    inputs = [adapted.name, questions, [dict(r) for r in feedback], sentences]
    path, reused = sentence_model(adapted, make_pairs, inputs, params, force, progress)
    result.sentence_model = str(path) if path else None
    result.sentence_reused = reused
    result.sentence_pairs = int((read_info(path) or {}).get("pairs", 0)) if path else 0
    result.disk_mb = disk_mb(adapted)  # the sentence model lives inside it
