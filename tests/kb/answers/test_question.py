"""Names that say who is asking, and names that say what is asked about."""

from __future__ import annotations

import pytest

from kb.answers.question import is_about_the_asker


@pytest.mark.parametrize(
    ("term", "question"),
    [
        ("SAP", "We're looking at a joint SAP system with the county. What has it saved?"),
        ("BI", "We're building Power BI dashboards for the joint service. What to measure?"),
        ("UNISON", "UNISON are asking about pay. What are the people issues?"),
        ("Cornwall", "Can Cornwall Council share its benefits service?"),
        ("ERP", "We use ERP software. Can we share it?"),
    ],
)
def test_the_askers_council_product_or_union_is_set_aside(term: str, question: str) -> None:
    assert is_about_the_asker(term, question)


@pytest.mark.parametrize(
    ("term", "question"),
    [
        ("GDPR", "What GDPR agreement do two councils need to share data?"),
        ("2027", "What changed for shared services in 2027?"),
        ("HR", "HR is a service many councils share; what did it save?"),
    ],
)
def test_a_law_year_or_bare_acronym_is_what_is_asked(term: str, question: str) -> None:
    assert not is_about_the_asker(term, question)
