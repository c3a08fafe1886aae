"""Case-study records: reviewed data, filters, matching with reasons, and `kb cases`."""

from __future__ import annotations

import json
import subprocess
import sys
import unicodedata
from collections.abc import Callable

import pytest

from eval.case_matching import case_recall
from kb.api import KnowledgeBase
from kb.core.case_facets import MODELS, SERVICES
from kb.core.records import CaseRecord
from kb.core.settings import Settings

# Measured 0.979 (23 of 24 checks fully right; cm19 finds one of its two).
# 0.979 with the stock model; 0.917 with the adapted one (the default), which
# moved one check's expected case out of the top three.
RECALL_FLOOR = 0.9

COUNCILS = {
    "bromsgrove-redditch": {"Bromsgrove District Council", "Redditch Borough Council"},
    "east-lindsey-south-holland": {
        "East Lindsey District Council",
        "South Holland District Council",
    },
    "east-kent-services": {
        "Canterbury District Council",
        "Dover District Council",
        "Thanet District Council",
    },
    "huntingdonshire-call-centre": {
        "Huntingdonshire District Council",
        "Cambridgeshire County Council",
    },
    "north-ne-lincolnshire-procurement": {
        "North Lincolnshire Council",
        "North East Lincolnshire Council",
    },
    "south-hams-west-devon": {"South Hams District Council", "West Devon Borough Council"},
    "south-london-waste": {
        "London Borough of Sutton",
        "London Borough of Croydon",
        "Royal Borough of Kingston upon Thames",
        "London Borough of Merton",
    },
    "south-oxfordshire-vale-waste": {
        "South Oxfordshire District Council",
        "Vale of White Horse District Council",
    },
    "weymouth-portland-revenues-benefits": {
        "Weymouth and Portland Borough Council",
        "West Dorset District Council",
        "Purbeck District Council",
    },
}

# (amount, period) each case study states, after review.
SAVINGS = {
    "bromsgrove-redditch": {
        (500_000, "per year"),
        (250_000, "cumulative"),
        (500_000, "cumulative"),
        (2_000_000, "per year"),
    },
    "east-lindsey-south-holland": {
        (30_700_000, "cumulative"),
        (19_400_000, "cumulative"),
        (11_400_000, "cumulative"),
    },
    "east-kent-services": set(),
    "huntingdonshire-call-centre": {(71_000, "per year")},
    "north-ne-lincolnshire-procurement": {
        (1_500_000, "cumulative"),
        (250_000, "one-off"),
        (443_350, "per year"),
    },
    "south-hams-west-devon": {(350_000, "per year")},
    "south-london-waste": {(3_500_000, "cumulative")},
    "south-oxfordshire-vale-waste": {(3_500_000, "per year"), (1_374_930, "per year")},
    "weymouth-portland-revenues-benefits": {(558_875, "cumulative"), (1_000_000, "cumulative")},
}


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace("’", "'").replace("‘", "'")
    return " ".join(text.replace("–", "-").split())


def test_reviewed_data_loads_without_problems(kb: KnowledgeBase) -> None:
    library = kb.case_library()
    assert library.problems == []  # every quote and evidence sentence was found in its document
    ids = [r.id for r in library.records]
    assert len(ids) == len(set(ids))
    for r in library.records:
        assert set(r.services) <= set(SERVICES), r.id
        assert r.model in MODELS, r.id


def test_nine_case_studies_with_their_councils_and_savings(kb: KnowledgeBase) -> None:
    full = {r.id: r for r in kb.cases(kind="full")}
    assert set(full) == set(COUNCILS)
    for case_id, councils in COUNCILS.items():
        record = full[case_id]
        assert set(record.councils) == councils, case_id
        assert {(s.amount_gbp, s.period) for s in record.savings} == SAVINGS[case_id], case_id
        for s in record.savings:
            text = _fold(kb.index.document_text(s.doc_id or record.source["doc_id"]))
            assert _fold(s.sentence) in text, (case_id, s.sentence)
            assert s.refers_to, (case_id, s.amount_gbp)
    assert full["huntingdonshire-call-centre"].council_types == ["district", "county"]
    assert full["south-london-waste"].council_types == ["London borough"]
    assert full["east-lindsey-south-holland"].model == "company or joint venture"
    assert full["east-kent-services"].model == "joint committee"


def test_short_records_carry_a_source(kb: KnowledgeBase) -> None:
    short = kb.cases(kind="short")
    ids = {r.id for r in short}
    assert {
        "dorset-procurement",
        "essex-legal-services",
        "surrey-legal-services",
        "anglia-revenues-partnership",
        "southwest-one",
        "suffolk-customer-service-direct",
        "devon-building-control",
        "cambridgeshire-northamptonshire",
        "procurement-lincolnshire",
        "east-sussex-procurement-hub",
        "adoption-central-england",
        "tewkesbury-cheltenham",
        "essex-slough-libraries",
    } <= ids
    for r in short:
        src = r.source
        assert src["doc_id"] in kb.index.documents and src["date"], r.id
        assert src["start"] is not None and src["section"] is not None, r.id
        text = kb.index.document_text(src["doc_id"])
        assert _fold(text[src["start"] : src["end"] + 20]).startswith(_fold(r.summary)[:40]), r.id
        if src["doc_id"] == "lga-guide-2011":
            assert isinstance(src["page"], int), r.id
    table = next(r for r in short if r.id == "dorset-procurement")
    assert table.source["section"].endswith("Case studies of shared services activity")
    lincs = next(r for r in short if r.id == "procurement-lincolnshire")
    assert [(s.amount_gbp, s.period) for s in lincs.savings] == [(31_000_000, "cumulative")]


def test_filters(kb: KnowledgeBase) -> None:
    waste = {r.id for r in kb.cases(service="waste")}
    assert {"south-london-waste", "south-oxfordshire-vale-waste"} <= waste
    assert "bromsgrove-redditch" not in waste
    assert all("waste" in r.services for r in kb.cases(service="waste"))
    # Part of a term, any case.
    assert {r.id for r in kb.cases(service="Revenues")} >= {
        "weymouth-portland-revenues-benefits",
        "anglia-revenues-partnership",
    }
    assert all(r.model == "joint committee" for r in kb.cases(model="joint committee"))
    assert "east-kent-services" in {r.id for r in kb.cases(model="joint committee")}
    london = kb.cases(council_type="London borough", kind="full")
    assert [r.id for r in london] == ["south-london-waste"]
    both = kb.cases(service="customer services", council_type="county")
    assert "huntingdonshire-call-centre" in {r.id for r in both}
    assert all("county" in r.council_types for r in both)
    assert kb.cases(service="no such service") == []
    assert len(kb.cases()) == len(kb.cases(kind="full")) + len(kb.cases(kind="short"))


@pytest.mark.parametrize(
    ("question", "top", "within"),
    [
        (
            "We want to share a chief executive with a neighbouring council.",
            {"bromsgrove-redditch", "south-hams-west-devon"},
            3,
        ),
        ("Joint procurement of waste treatment and disposal contracts", {"south-london-waste"}, 1),
        (
            "A district council and the county council want a shared call centre across tiers",
            {"huntingdonshire-call-centre"},
            1,
        ),
    ],
)
def test_obvious_matches(kb: KnowledgeBase, question: str, top: set[str], within: int) -> None:
    got = [m.record.id for m in kb.match_cases(question, k=within)]
    assert top <= set(got), got


def test_matches_say_why(kb: KnowledgeBase) -> None:
    matches = kb.match_cases(
        "Two district councils want to share revenues and benefits and keep jobs local", k=3
    )
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)
    first = matches[0]
    assert "shares revenues and benefits" in first.reason and "district councils" in first.reason
    assert "£" in first.reason
    d = first.to_dict()
    assert d["reason"] == first.reason and d["id"] == first.record.id
    assert {"title", "kind", "councils", "services", "model", "savings", "source"} <= set(d)
    json.dumps(d)  # JSON-able as it is
    # A profile works too.
    profile = kb.match_cases({"services": ["waste"], "council_types": ["London borough"]}, k=1)
    assert profile[0].record.id == "south-london-waste"


def test_recall_at_3_over_the_matching_checks(kb: KnowledgeBase) -> None:
    result = case_recall(kb, k=3)
    assert result["checks"] >= 15
    assert result["recall"] >= RECALL_FLOOR, {
        k: v for k, v in result["per_check"].items() if v["recall"] < 1
    }


@pytest.mark.slow
def test_cli_cases(built_settings: Settings, cli_env: Callable[[Settings], dict[str, str]]) -> None:
    kb_cmd = [sys.executable, "-m", "cli", "cases"]
    env = cli_env(built_settings)
    listed = subprocess.run(
        [*kb_cmd, "--service", "waste", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert {"south-london-waste"} <= {r["id"] for r in rows}
    assert all(
        {"id", "title", "kind", "councils", "services", "model", "savings", "source"} <= set(r)
        for r in rows
    )
    matched = subprocess.run(
        [*kb_cmd, "--query", "joint procurement of waste treatment", "--k", "2", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert matched.returncode == 0, matched.stderr
    rows = json.loads(matched.stdout)
    assert len(rows) == 2 and rows[0]["id"] == "south-london-waste" and rows[0]["reason"]
    text = subprocess.run(
        [*kb_cmd, "--query", "shared call centre", "--k", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert text.returncode == 0 and "why:" in text.stdout
    bad = subprocess.run(
        [*kb_cmd, "--kind", "medium"], env=env, capture_output=True, text=True, timeout=180
    )
    assert bad.returncode == 1 and bad.stderr.startswith("Error: ")


_KINDS = ("district", "county", "unitary", "metropolitan", "London borough")
_NUMBER_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}


def _clause_is_true(clause: str, r: CaseRecord) -> bool:
    """Whether one "why it matches" clause states a fact the record holds."""
    from kb.cases.matching import describe_saving

    if clause.startswith(("saved ", "expects to save ")):
        return clause in {describe_saving(s) for s in r.savings}
    if clause.startswith("shares "):
        # What is left once the record's services are taken out must be only separators.
        rest = clause.removeprefix("shares ")
        for service in sorted(r.services, key=len, reverse=True):
            rest = rest.replace(service, "")
        return not rest.replace(",", "").replace(" and ", "").strip()
    if clause.startswith("includes a "):
        kinds = [k for k in _KINDS if f"a {k} council" in clause]
        return bool(kinds) and all(k in r.council_types for k in kinds)
    if clause.endswith(("councils", "council")) or clause.endswith(")"):
        words = clause.replace("(", " ").replace(")", " ").split()
        number = _NUMBER_WORDS.get(words[0]) or (int(words[0]) if words[0].isdigit() else None)
        kinds = [k for k in _KINDS if k in clause]
        record_kinds = {t for t in r.council_types if t in _KINDS}
        return (
            (number is None or number == len(r.councils))
            and (not kinds or set(kinds) >= record_kinds)
            and all(k in r.council_types for k in kinds)
        )
    if clause.startswith("with "):
        return clause.removeprefix("with ") in " and ".join(r.council_types) or all(
            t in r.council_types for t in clause.removeprefix("with ").split(" and ")
        )
    if clause.startswith("similar situation: "):
        quoted = clause.removeprefix("similar situation: ").rstrip("…")
        return quoted in " ".join((r.summary or r.title).split())
    return clause == r.model


SITUATIONS = [
    "Two county councils want to share a legal team",
    "Two district councils want to share revenues and benefits and keep jobs local",
    "Four London boroughs want to procure waste contracts together",
    "A district and a county council want a shared call centre",
    "We want to share a chief executive with a neighbouring council",
    "Three councils want a joint committee for building control",
    "A unitary council wants to share procurement",
]


def test_every_reason_states_only_facts_of_its_record(kb: KnowledgeBase) -> None:
    from eval.gold import load_case_matching

    questions = SITUATIONS + [c.question for c in load_case_matching()]
    checked = 0
    for question in questions:
        for m in kb.match_cases(question, k=5):
            for clause in m.reason.split("; "):
                assert _clause_is_true(clause, m.record), (question, m.record.id, clause)
                checked += 1
    assert checked > 100


def test_a_card_states_only_savings_on_the_services_it_matched(kb: KnowledgeBase) -> None:
    from kb.cases.matching import saving_services

    for question in SITUATIONS:
        for m in kb.match_cases(question, k=5):
            services = m.matched["services"]
            if not services:
                continue
            for s in m.record.savings:
                sole = m.record.services if len(m.record.services) == 1 else []
                about = set(saving_services(s) or sole)
                if s.refers_to and s.refers_to in m.reason:
                    assert about & set(services), (question, m.record.id, m.reason)
    # The reported case: South Hams shares legal, but its saving is on revenues and benefits.
    legal = {m.record.id: m.reason for m in kb.match_cases("Two councils share legal", k=10)}
    assert "south-hams-west-devon" not in legal or "revenues" not in legal["south-hams-west-devon"]


def test_a_county_legal_team_finds_surrey_legal_services_first(kb: KnowledgeBase) -> None:
    top = [
        m.record.id for m in kb.match_cases("Two county councils want to share a legal team", k=3)
    ]
    assert "surrey-legal-services" in top, top
    procurement = {r.id for r in kb.cases() if r.services and r.services[0] == "procurement"}
    ranked = [
        m.record.id for m in kb.match_cases("Two county councils want to share a legal team", k=20)
    ]
    first_procurement = min((ranked.index(i) for i in procurement if i in ranked), default=99)
    assert ranked.index("surrey-legal-services") < first_procurement
