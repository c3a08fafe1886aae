"""Officers' questions the library already knows the answers to: the gold ``tune`` split.

They teach the adapted model (:mod:`kb.tuning`) and, at ingest, expand the BM25
text of the passage that answers each of them (document expansion with known
queries, as doc2query does with generated ones): a new question worded like an
old one then finds the passage by its words too. Only ``tune`` is ever read;
the ``test`` split stays unseen (tests/eval/test_splits.py). Officers'
corrections join them: ``kb tune`` writes each thumbs-down whose correction
quotes the library to ``FEEDBACK_FILE`` in the data folder, and the next ingest
reads it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from kb.core.records import Chunk
from kb.core.settings import Settings
from kb.core.text import fold

__all__ = [
    "FEEDBACK_FILE",
    "holdout_fold",
    "known_questions",
    "question_expansions",
    "tune_questions",
    "write_feedback_questions",
]

FEEDBACK_FILE = "known_feedback.jsonl"


def holdout_fold(question_id: str) -> bool:
    """Half of the tune split, by a hash of the id, kept out of training to choose weights on."""
    return int(hashlib.sha256(question_id.encode()).hexdigest(), 16) % 2 == 1


def held_out(question_id: str, half: int = 1) -> bool:
    """Whether a tune question is in the held-out ``half``: 1, the half weights are chosen
    on, or 0, the other, held out to check a choice on every tune question (cross-fitting)."""
    return int(holdout_fold(question_id)) == half


def tune_questions(
    paths: Sequence[Path], holdout: bool = False, half: int = 1
) -> list[dict[str, Any]]:
    """Gold questions of the ``tune`` split only (the ``test`` split is never read here).

    Args:
        paths: gold question files (JSONL); a missing one is skipped.
        holdout: leave out a held-out half of ``tune`` (:func:`held_out`), ``half``.
    """
    rows: list[dict[str, Any]] = []
    for path in paths:
        if path.exists():
            lines = path.read_text("utf-8").splitlines()
            rows += [json.loads(line) for line in lines if line.strip()]
    return [
        r for r in rows if r.get("split") == "tune" and not (holdout and held_out(r["id"], half))
    ]


def known_questions(settings: Settings) -> list[dict[str, Any]]:
    """The known questions a build uses (``settings.known_questions``)."""
    if settings.known_questions == "none":
        return []
    holdout = settings.known_questions != "tune"
    half = 0 if settings.known_questions == "tune-second-half" else 1
    known = tune_questions(settings.tune_question_files, holdout, half)
    if not holdout:  # a held-out weight search learns from the gold half only
        path = settings.data_dir / FEEDBACK_FILE
        if path.exists():
            lines = path.read_text("utf-8").splitlines()
            known += [json.loads(line) for line in lines if line.strip()]
    return known


def write_feedback_questions(settings: Settings, rows: Iterable[dict[str, Any]]) -> None:
    """Officers' corrected questions (``question`` and the quoted ``evidence``), for ingest.

    Written whole and then renamed, so an ingest never reads half a file.
    """
    path = settings.data_dir / FEEDBACK_FILE
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    if path.exists() and path.read_text("utf-8") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def question_expansions(
    chunks: Iterable[Chunk], questions: Iterable[dict[str, Any]]
) -> dict[str, list[str]]:
    """For each chunk id, the known questions whose evidence quote it holds, in file order."""
    folded = [(c.id, fold(c.text)) for c in chunks]
    out: dict[str, list[str]] = {}
    for q in questions:
        quotes = [fold(e) for e in q.get("evidence") or () if fold(e)]
        for cid, text in folded:
            if any(quote in text for quote in quotes):
                out.setdefault(cid, []).append(str(q["question"]))
    return out
