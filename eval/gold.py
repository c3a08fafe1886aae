"""Gold sets: loading them, and judging a passage relevant by its evidence quotes.

The sets are versioned data (see ``eval/README.md``); this module only reads
them. Relevance is judged by text, not by chunk id: a passage is relevant to
a question when it contains any of the question's evidence quotes after
:func:`normalise`, so the sets survive re-chunking.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.core.text import fold

EVAL_DIR = Path(__file__).resolve().parent
QUESTIONS = EVAL_DIR / "questions.jsonl"
OUT_OF_SCOPE = EVAL_DIR / "out_of_scope.jsonl"
CASE_MATCHING = EVAL_DIR / "case_matching.jsonl"
# Written blind (from the documents only, before any was run); all in the test split.
BLIND_QUESTIONS = EVAL_DIR / "questions_blind.jsonl"
BLIND_OUT_OF_SCOPE = EVAL_DIR / "out_of_scope_blind.jsonl"
# Short "what is…?" questions written blind (all test), labelled only in or out of
# scope: whether a plain question about the library's subject is answered, and a
# plain one about something else refused.
SHORT_QUESTIONS = EVAL_DIR / "short_blind.jsonl"
# Short questions for choosing thresholds: written for the tune split, never reported.
SHORT_TUNE_QUESTIONS = EVAL_DIR / "short_tune.jsonl"
# Officer-voice questions for tuning only (all `tune`): training pairs and weights, never reported.
TUNE_OFFICER_QUESTIONS = EVAL_DIR / "questions_tune_officer.jsonl"

# `tune` is what weights, thresholds and training pairs may be chosen on; `test` is
# reported and read by nothing in kb/ or ingest/ (tests/eval/test_splits.py).
SPLITS = ("tune", "test")

KINDS = ("fact", "how-to", "legal", "numbers", "governance", "barrier", "case", "article")
STYLES = ("keyword", "question", "situational")

_VERSION = re.compile(r"\*\*Version:\s*(\d+)\*\*")


def normalise(text: str) -> str:
    """NFKC, lower case, straight quotes, hyphen dashes, one space (:func:`kb.core.text.fold`)."""
    return fold(text)


@dataclass(frozen=True)
class GoldQuestion:
    """One development question with the quotes that answer it."""

    id: str
    question: str
    evidence: tuple[str, ...]
    kind: str = ""
    doc_id: str = ""
    style: str = ""
    case_ids: tuple[str, ...] = field(default_factory=tuple)
    split: str = "test"
    # Councils, places, products or later events the question names (blind set).
    names: tuple[str, ...] = field(default_factory=tuple)
    # dev (questions.jsonl) | blind (questions_blind.jsonl) | officer (questions_tune_officer.jsonl)
    source: str = "dev"

    @property
    def normalised_evidence(self) -> tuple[str, ...]:
        return tuple(normalise(q) for q in self.evidence)

    def quotes_in(self, passage_text: str) -> set[int]:
        """Indexes of the evidence quotes that ``passage_text`` contains."""
        text = normalise(passage_text)
        return {i for i, q in enumerate(self.normalised_evidence) if q and q in text}

    def is_relevant(self, passage_text: str) -> bool:
        return bool(self.quotes_in(passage_text))


@dataclass(frozen=True)
class ShortQuestion:
    """A short question labelled only in or out of scope (``load_short_questions``)."""

    id: str
    question: str
    in_scope: bool
    split: str = "test"


@dataclass(frozen=True)
class OutOfScopeQuestion:
    """A question the corpus does not answer; the right response is to abstain."""

    id: str
    question: str
    note: str = ""
    split: str = "test"
    source: str = "dev"


@dataclass(frozen=True)
class CaseMatch:
    """A situation and the case studies that must be among the top three matches."""

    id: str
    question: str
    expected: tuple[str, ...]
    note: str = ""


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{path.name} cannot be read as UTF-8 text") from None
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path.name} line {n} is not valid JSON: {exc.msg}") from exc
    return rows


def _check_split(split: str | None) -> None:
    if split is not None and split not in SPLITS:
        raise ValueError(f"Unknown split {split!r}: use one of {', '.join(SPLITS)}.")


def _require(row: Any, fields: tuple[str, ...], where: str) -> None:
    """A record read from a file someone else may have written: say what is wrong."""
    if not isinstance(row, dict):
        raise ValueError(f"{where} is not a JSON object")
    missing = [f for f in fields if not row.get(f)]
    if missing:
        raise ValueError(f"{where} has no {' or '.join(repr(f) for f in missing)}")


def _question(row: dict[str, Any], source: str, where: str = "a gold question") -> GoldQuestion:
    _require(row, ("id", "question", "evidence"), where)
    evidence = row["evidence"]
    if isinstance(evidence, str) or not all(isinstance(e, str) and e.strip() for e in evidence):
        raise ValueError(f"{where}: 'evidence' must be a list of quotes (strings)")
    return GoldQuestion(
        id=row["id"],
        question=row["question"],
        evidence=tuple(row["evidence"]),
        kind=row.get("kind", ""),
        doc_id=row.get("doc_id", ""),
        style=row.get("style", ""),
        case_ids=tuple(row.get("case_ids") or ()),
        split=row.get("split", "test"),
        names=tuple(row.get("names") or ()),
        source=source,
    )


def load_questions(path: Path | None = None, split: str | None = None) -> list[GoldQuestion]:
    """Gold questions: ``path`` alone, or the development set plus the blind set.

    Args:
        path: one JSONL file; by default ``questions.jsonl`` and ``questions_blind.jsonl``.
        split: ``tune`` or ``test`` to keep one split; None keeps both.
    """
    _check_split(split)
    if path is not None:
        rows = [
            _question(r, "dev", f"{path.name} record {n}")
            for n, r in enumerate(load_jsonl(path), 1)
        ]
    else:
        rows = [_question(r, "dev") for r in load_jsonl(QUESTIONS)]
        for extra, source in ((BLIND_QUESTIONS, "blind"), (TUNE_OFFICER_QUESTIONS, "officer")):
            if extra.exists():
                rows += [_question(r, source) for r in load_jsonl(extra)]
    return [q for q in rows if split is None or q.split == split]


def load_out_of_scope(
    path: Path | None = None, split: str | None = None
) -> list[OutOfScopeQuestion]:
    """Out-of-scope questions (development and blind near-misses unless ``path``)."""
    _check_split(split)
    sources = [(path, "dev")] if path is not None else [(OUT_OF_SCOPE, "dev")]
    if path is None and BLIND_OUT_OF_SCOPE.exists():
        sources.append((BLIND_OUT_OF_SCOPE, "blind"))
    rows = []
    for file, source in sources:
        for n, r in enumerate(load_jsonl(file), 1):
            _require(r, ("id", "question"), f"{file.name} record {n}")
            rows.append(
                OutOfScopeQuestion(
                    r["id"], r["question"], r.get("note", ""), r.get("split", "test"), source
                )
            )
    return [o for o in rows if split is None or o.split == split]


def load_short_questions(path: Path | None = None, split: str | None = None) -> list[ShortQuestion]:
    """Short questions labelled in or out of scope: the blind test set
    (``SHORT_QUESTIONS``) and the tune set (``SHORT_TUNE_QUESTIONS``), unless ``path``."""
    _check_split(split)
    files = [path] if path is not None else [SHORT_QUESTIONS, SHORT_TUNE_QUESTIONS]
    rows = [r for file in files if file.exists() for r in load_jsonl(file)]
    questions = [
        ShortQuestion(r["id"], r["question"], bool(r["in_scope"]), r.get("split", "test"))
        for r in rows
    ]
    return [b for b in questions if split is None or b.split == split]


def load_case_matching(path: Path | None = None, split: str | None = None) -> list[CaseMatch]:
    _check_split(split)
    return [
        CaseMatch(row["id"], row["question"], tuple(row["expected"]), row.get("note", ""))
        for row in load_jsonl(path or CASE_MATCHING)
        if split is None or row.get("split", "test") == split
    ]


def subset(questions: list[GoldQuestion], n: int | None) -> list[GoldQuestion]:
    """A deterministic, kind-balanced subset of ``n`` questions (all when ``n`` is None).

    Takes questions round-robin across kinds in file order, so a small subset
    still covers every kind and is the same on every run.
    """
    if n is None or n >= len(questions):
        return list(questions)
    by_kind: dict[str, list[GoldQuestion]] = {}
    for q in questions:
        by_kind.setdefault(q.kind, []).append(q)
    picked: list[GoldQuestion] = []
    queues = [list(v) for v in by_kind.values()]
    while len(picked) < n:
        for queue in queues:
            if queue and len(picked) < n:
                picked.append(queue.pop(0))
    order = {q.id: i for i, q in enumerate(questions)}
    return sorted(picked, key=lambda q: order[q.id])


def gold_version(readme: Path | None = None) -> str:
    """The gold sets' version as the README states it."""
    text = (readme or EVAL_DIR / "README.md").read_text(encoding="utf-8")
    match = _VERSION.search(text)
    return match.group(1) if match else "unknown"


def file_hash(*paths: Path) -> str:
    """A short hash over files' bytes, to tell whether two reports used the same data."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


# Words too common to make two questions alike.
_COMMON = frozenset("a an and are be can do for how in is it of on our the to we what with".split())
# Above this content-word overlap a tune question too nearly repeats a test question.
NEAR_DUPLICATE = 0.4


def word_overlap(a: str, b: str) -> float:
    """Jaccard overlap of two questions' content words (after :func:`normalise`)."""
    wa = set(re.findall(r"[a-z]+", normalise(a))) - _COMMON
    wb = set(re.findall(r"[a-z]+", normalise(b))) - _COMMON
    return len(wa & wb) / len(wa | wb) if wa | wb else 0.0


def nearest_test_question(question: str, test: list[GoldQuestion]) -> tuple[float, str]:
    """The test question ``question`` most nearly repeats, and how nearly."""
    return max(((word_overlap(question, t.question), t.id) for t in test), default=(0.0, ""))
