"""Answers as plain dicts the Ask page renders and stores (so a chat survives a restart)."""

from __future__ import annotations

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


def ask(
    kb: KnowledgeBase, question: str, history: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    """The answer to a question as its record's dict (kb.models.Answer.to_dict).

    Stored as the conversation turn's payload, so a chat survives a restart and
    the page, the exports and the evaluation read the same record. Raises
    QueryError for unusable input.
    """
    answer = kb.answer(question, history=history or None)
    return {**answer.to_dict(), "text": answer.text}


def as_dict(obj: Any) -> dict[str, Any]:
    """A record from the knowledge base as a dict, whatever class it came as."""
    if isinstance(obj, dict):
        return obj
    if hasattr(obj, "to_dict"):
        return dict(obj.to_dict())
    if is_dataclass(obj) and not isinstance(obj, type):
        return asdict(obj)
    return dict(vars(obj))
