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
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EVAL_DIR = Path(__file__).resolve().parent
QUESTIONS = EVAL_DIR / "questions.jsonl"
OUT_OF_SCOPE = EVAL_DIR / "out_of_scope.jsonl"
CASE_MATCHING = EVAL_DIR / "case_matching.jsonl"

KINDS = ("fact", "how-to", "legal", "numbers", "governance", "barrier", "case", "article")
STYLES = ("keyword", "question", "situational")

PUNCTUATION = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-"})
_VERSION = re.compile(r"\*\*Version:\s*(\d+)\*\*")


def normalise(text: str) -> str:
    """NFKC, lower case, straight quotes, hyphen dashes, one space for any whitespace."""
    text = unicodedata.normalize("NFKC", text).lower().translate(PUNCTUATION)
    return re.sub(r"\s+", " ", text).strip()


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
class OutOfScopeQuestion:
    """A question the corpus does not answer; the right response is to abstain."""

    id: str
    question: str
    note: str = ""


@dataclass(frozen=True)
class CaseMatch:
    """A situation and the case studies that must be among the top three matches."""

    id: str
    question: str
    expected: tuple[str, ...]
    note: str = ""


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path.name} line {n} is not valid JSON: {exc.msg}") from exc
    return rows


def load_questions(path: Path | None = None) -> list[GoldQuestion]:
    """The development gold set (default ``eval/questions.jsonl``)."""
    return [
        GoldQuestion(
            id=row["id"],
            question=row["question"],
            evidence=tuple(row["evidence"]),
            kind=row.get("kind", ""),
            doc_id=row.get("doc_id", ""),
            style=row.get("style", ""),
            case_ids=tuple(row.get("case_ids") or ()),
        )
        for row in load_jsonl(path or QUESTIONS)
    ]


def load_out_of_scope(path: Path | None = None) -> list[OutOfScopeQuestion]:
    return [
        OutOfScopeQuestion(row["id"], row["question"], row.get("note", ""))
        for row in load_jsonl(path or OUT_OF_SCOPE)
    ]


def load_case_matching(path: Path | None = None) -> list[CaseMatch]:
    return [
        CaseMatch(row["id"], row["question"], tuple(row["expected"]), row.get("note", ""))
        for row in load_jsonl(path or CASE_MATCHING)
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
