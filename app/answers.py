"""Answers as plain dicts the Ask page renders and stores (so a chat survives a restart)."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import asdict, is_dataclass
from typing import Any

from kb.api import KnowledgeBase

STARTERS = [
    "What are the main benefits of sharing services?",
    "How have councils shared a chief executive and management team?",
    "What governance arrangements can a shared service use?",
    "What should a business case for sharing include?",
    "What are the risks of sharing services and how can they be managed?",
]

_CITED = re.compile(r"([^\[\]]+?)((?:\s*\[\d+\])+)")
_MARK = re.compile(r"\[(\d+)\]")


def cited_sentences(text: str) -> dict[int, list[str]]:
    """For each ``[n]`` in an answer, the sentences that carry it."""
    out: dict[int, list[str]] = defaultdict(list)
    for m in _CITED.finditer(text):
        sentence = m.group(1).strip().lstrip("-•* ").strip()
        for n in _MARK.findall(m.group(2)):
            if sentence:
                out[int(n)].append(sentence)
    return out


def as_dict(obj: Any) -> dict[str, Any]:
    """A record from the knowledge base as a dict, whatever class it came as."""
    if isinstance(obj, dict):
        return obj
    if hasattr(obj, "to_dict"):
        return dict(obj.to_dict())
    if is_dataclass(obj) and not isinstance(obj, type):
        return asdict(obj)
    return dict(vars(obj))


def _citation(n: int, chunk: Any, quotes: list[str]) -> dict[str, Any]:
    return {
        "n": n,
        "text": chunk.text,
        "doc_id": chunk.doc_id,
        "title": chunk.title,
        "section": chunk.section_label,
        "page": chunk.page_label,
        "date": chunk.date_label,
        "start": chunk.start,
        "end": chunk.end,
        "quotes": quotes,
    }


def ask(
    kb: KnowledgeBase, question: str, history: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    """The answer to a question as a dict; raises QueryError for unusable input."""
    answer = kb.answer(question, history=history or None)
    quotes = cited_sentences(answer.text)
    return {
        "question": answer.question,
        "text": answer.text,
        "abstained": bool(answer.abstained),
        "citations": [
            _citation(c.n, c.passage.chunk, quotes.get(c.n, [])) for c in answer.citations
        ],
        "case_studies": [
            {k: as_dict(c).get(k) for k in ("id", "title", "reason")} for c in answer.case_studies
        ],
        "notices": [str(n) for n in answer.notices],
        "checklist": [
            {k: as_dict(i).get(k) for k in ("id", "question", "key_question", "section_title")}
            for i in answer.checklist
        ],
        "topics": [str(t) for t in answer.topics],
    }
