"""The Case studies page: list, filters, matching search and the detail view."""

from __future__ import annotations

from collections.abc import Callable

from streamlit.testing.v1 import AppTest


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
    assert {p.removesuffix(" (projected)") for p in table["period"]} <= {
        "per year",
        "cumulative",
        "one-off",
        "as stated",
    }
    assert "per year" in set(table["period"])
    assert at.get("vega_lite_chart"), "no savings chart"
