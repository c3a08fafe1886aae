"""The Case studies page: list, filters, matching search and the detail view."""

from __future__ import annotations

from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from app.cases import all_cases, savings_chart, savings_rows
from kb.api import KnowledgeBase


def _cards(at: AppTest) -> list[str]:
    return [b.key.removeprefix("open-") for b in at.button if b.key and b.key.startswith("open-")]


def test_filters_change_the_list(open_app: Callable[..., AppTest]) -> None:
    at = open_app("cases")
    everything = _cards(at)
    assert "bromsgrove-redditch" in everything
    at.radio(key="f-kind").set_value("full").run()
    full = _cards(at)
    assert set(full) >= {"bromsgrove-redditch", "south-london-waste"}
    service = at.multiselect(key="f-services")
    if service.options:  # facets come with the case-study records
        choice = "waste" if "waste" in service.options else service.options[0]
        service.set_value([choice]).run()
        shown = _cards(at)
        assert shown and len(shown) < len(full)
        if choice == "waste":
            assert "south-london-waste" in shown and "bromsgrove-redditch" not in shown


def test_describing_a_situation_ranks_matching_cases_with_reasons(
    open_app: Callable[..., AppTest],
) -> None:
    at = open_app("cases")
    at.text_input[0].set_value("Two councils want to share a chief executive").run()
    assert not at.exception
    assert "bromsgrove-redditch" in _cards(at)[:3] or "south-hams-west-devon" in _cards(at)[:3]
    assert any(c.value.startswith("Why it matches") for c in at.caption)


def test_opening_a_case_study_shows_its_detail(open_app: Callable[..., AppTest]) -> None:
    at = open_app("cases")
    at.button(key="open-south-london-waste").click().run()
    assert not at.exception
    assert "South London" in at.header[0].value
    assert at.query_params["case"] in ("south-london-waste", ["south-london-waste"])
    # The same view opens straight from a link (as the Ask page's case cards do).
    direct = open_app("cases", case="south-london-waste")
    assert "South London" in direct.header[0].value


def test_the_savings_comparison_says_how_each_figure_was_stated(
    open_app: Callable[..., AppTest],
) -> None:
    at = open_app("cases")
    table = at.dataframe[0].value
    assert len(table) >= 5
    assert list(table.columns) == [
        "Case study",
        "Saving (£)",
        "Over",
        "Achieved or expected",
        "What it covers",
        "In the source's words",
    ]
    assert set(table["Over"]) <= {"A year", "In all (over several years)", "Once"}
    assert at.get("vega_lite_chart"), "no savings chart"


def test_no_bar_adds_savings_of_different_scope_over_the_real_records(kb: KnowledgeBase) -> None:
    rows = savings_rows(all_cases(kb))
    # South Oxfordshire and Vale: a £3.5m total and a £1.37m waste saving within it.
    vale = [r for r in rows if r["Case study"].startswith("South Oxfordshire")]
    assert sorted(r["Saving (£)"] for r in vale) == [1_374_930.0, 3_500_000.0]
    assert len({r["Bar"] for r in rows}) == len(rows)  # every saving its own bar
    spec = savings_chart(rows).to_dict()
    encoding = spec["encoding"]
    assert encoding["x"]["stack"] is None  # bars of one case sit side by side, never summed
    assert encoding["yOffset"]["field"] == "Bar"
    assert encoding["y"]["axis"]["labelLimit"] == 0  # labels are never cut
    # What the chart draws for a case is exactly its stated amounts, one per bar.
    drawn = {(r["Case study"], r["Bar"]): r["Saving (£)"] for r in spec_rows(spec)}
    assert sorted(v for (case, _), v in drawn.items() if case.startswith("South Oxf")) == [
        1_374_930.0,
        3_500_000.0,
    ]


def spec_rows(spec: dict) -> list[dict]:
    datasets = spec.get("datasets") or {}
    return [row for rows in datasets.values() for row in rows]
