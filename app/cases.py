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


PERIODS = {"per year": "A year", "cumulative": "In all (over several years)", "one-off": "Once"}


def savings_rows(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per stated saving, with plain column names; each row is its own bar.

    A case study's total and a component of it (South Oxfordshire and Vale's
    £3.5 million for all services, and £1.37 million of it from waste) are
    different scopes, so they are never added together.
    """
    rows = []
    for c in cases:
        for n, s in enumerate(c.get("savings") or []):
            s = as_dict(s)
            if s.get("amount_gbp") is None:
                continue
            period = str(s.get("period") or "as stated")
            rows.append(
                {
                    "Case study": str(c.get("title", c.get("id"))),
                    "Saving (£)": float(s["amount_gbp"]),
                    "Over": PERIODS.get(period, period),
                    "Achieved or expected": "Expected" if s.get("projected") else "Achieved",
                    "What it covers": str(s.get("refers_to") or ""),
                    "In the source's words": str(s.get("sentence") or ""),
                    "Bar": f"{c.get('id')}#{n}",
                }
            )
    return rows


def savings_chart(rows: list[dict[str, Any]]) -> Any:
    """Bars side by side, one per stated saving: never stacked, labels never cut."""
    import altair as alt
    import pandas as pd

    return (
        alt.Chart(pd.DataFrame(rows))
        .mark_bar()
        .encode(
            x=alt.X("Saving (£):Q", title="Saving stated (£)", stack=None),
            y=alt.Y(
                "Case study:N",
                title=None,
                sort="-x",
                axis=alt.Axis(labelLimit=0, labelExpr="split(datum.label, ' and ')"),
            ),
            yOffset=alt.YOffset("Bar:N"),
            color=alt.Color("Over:N", title="Over", legend=alt.Legend(orient="bottom")),
            opacity=alt.Opacity(
                "Achieved or expected:N",
                scale=alt.Scale(domain=["Achieved", "Expected"], range=[1.0, 0.45]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=["Case study", "Saving (£)", "Over", "Achieved or expected", "What it covers"],
        )
    )
