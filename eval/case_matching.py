"""Recall@k of case-study matching over ``eval/case_matching.jsonl``."""

from __future__ import annotations

from typing import Any

from eval.gold import CaseMatch, load_case_matching
from kb.api import KnowledgeBase

__all__ = ["case_recall"]


def case_recall(
    kb: KnowledgeBase, k: int = 3, checks: list[CaseMatch] | None = None
) -> dict[str, Any]:
    """Mean share of each check's expected ids found in the top ``k`` matches.

    Returns ``{"recall": float, "k": k, "checks": n, "per_check": {id: {...}}}``;
    ``per_check`` holds each check's top ids and recall, for finding the misses.
    """
    checks = checks if checks is not None else load_case_matching()
    per_check: dict[str, dict[str, Any]] = {}
    for check in checks:
        top = [m.record.id for m in kb.match_cases(check.question, k=k)]
        found = len(set(top) & set(check.expected))
        per_check[check.id] = {
            "top": top,
            "expected": list(check.expected),
            "recall": found / len(check.expected),
        }
    recall = sum(c["recall"] for c in per_check.values()) / len(per_check) if per_check else 0.0
    return {"recall": round(recall, 4), "k": k, "checks": len(per_check), "per_check": per_check}
