"""Case-study records (``kb.cases()``, ``kb.match_cases()``) as plain dicts for the pages."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.answers import as_dict
from kb.api import KnowledgeBase

FACETS = {
    "services": "Service",
    "model": "Sharing model",
    "council_types": "Council type",
}


def names(value: Any) -> list[str]:
    """A facet or list field as a list of display strings."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [str(value.get("name") or value.get("title") or value)]
    if isinstance(value, Iterable):
        return [n for v in value for n in names(v)]
    return [str(value)]


def all_cases(kb: KnowledgeBase) -> list[dict[str, Any]]:
    return [as_dict(r) for r in kb.cases()]


def matching(kb: KnowledgeBase, text: str, k: int = 5) -> list[tuple[str, str]]:
    """(case id, reason) for the cases that best match a question or situation."""
    return [(str(m.record.id), str(m.reason)) for m in kb.match_cases(text, k=k)]


def facet_values(cases: list[dict[str, Any]], field: str) -> list[str]:
    return sorted({v for c in cases for v in names(c.get(field))})


def filtered(cases: list[dict[str, Any]], chosen: dict[str, list[str]], kind: str) -> list[dict]:
    """Cases with at least one chosen value of every facet that has a choice."""
    out = []
    for c in cases:
        if kind != "all" and c.get("kind", "full") != kind:
            continue
        if all(not want or set(want) & set(names(c.get(f))) for f, want in chosen.items()):
            out.append(c)
    return out


def savings_rows(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per stated saving: the figure as the case study states it."""
    rows = []
    for c in cases:
        for s in c.get("savings") or []:
            s = as_dict(s)
            if s.get("amount_gbp") is None:
                continue
            rows.append(
                {
                    "case": c.get("title", c.get("id")),
                    "amount_gbp": float(s["amount_gbp"]),
                    "period": str(s.get("period") or "as stated")
                    + (" (projected)" if s.get("projected") else ""),
                    "refers_to": str(s.get("refers_to") or ""),
                    "sentence": str(s.get("sentence") or ""),
                }
            )
    return rows
