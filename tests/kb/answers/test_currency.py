"""Currency notices: the reviewed facts file and matching cited passages against it."""

from __future__ import annotations

from pathlib import Path

from kb.answers.currency import CurrencyFacts, load_currency
from kb.core.settings import REPO_ROOT

FACTS = REPO_ROOT / "corpus" / "currency.yaml"


def test_reviewed_file_loads_with_sources() -> None:
    facts = load_currency(FACTS)
    ids = {f.id for f in facts.facts}
    assert {
        "audit-commission",
        "public-contracts-regulations-2006",
        "pct-gp-consortia",
        "idea",
        "improvement-efficiency-partnerships",
    } <= ids
    for fact in facts.facts:
        assert fact.terms and fact.notice and fact.sources, fact.id


def test_terms_match_whole_words_and_respect_case() -> None:
    facts = load_currency(FACTS)

    def ids(text: str) -> set[str]:
        return {f.id for f in facts.matching(text)}

    assert "audit-commission" in ids("The Audit\n  Commission’s value for money profiles")
    assert "audit-commission" in ids("see the audit commission website")
    assert "public-contracts-regulations-2006" in ids("under the Public Contracts Regulations 2006")
    assert "idea" in ids("The IDeA has published guidance")
    assert "idea" not in ids("Sharing was a good idea for both councils")  # case-sensitive fact
    assert "pct-abbreviation" in ids("the local PCTs and fire service")
    assert "pct-abbreviation" not in ids("savings of 10 pct")
    assert ids("Councils shared a chief executive.") == set()


def test_notices_name_the_citing_sources() -> None:
    facts = load_currency(FACTS)
    notices = facts.notices_for(
        [
            (1, "The Audit Commission’s VfM profiles"),
            (2, "Nothing changed here."),
            (3, "the audit commission reported"),
        ]
    )
    assert len(notices) == 1
    assert notices[0].startswith("Sources [1], [3] mention")
    assert "abolished" in notices[0] and "2015" in notices[0]
    single = facts.notices_for([(2, "Primary Care Trusts and GP consortia")])
    assert len(single) == 1 and single[0].startswith("Source [2] mentions")


def test_missing_file_means_no_notices(tmp_path: Path) -> None:
    assert load_currency(tmp_path / "none.yaml").facts == []
    empty = CurrencyFacts.from_file(tmp_path / "none.yaml")
    assert empty.notices_for([(1, "Audit Commission")]) == []
