"""Case-study extraction from the document structure (ingest/cases.py)."""

from __future__ import annotations

import re

import pytest

from ingest.cases import CaseSource, extract_cases
from ingest.structure import Profile, split_sections
from kb.api import KnowledgeBase
from kb.core.case_facets import parse_savings
from kb.core.records import CaseRecord

# The £ savings each case study's text states (approach and achieved), read by rule.
STATED_SAVINGS = {
    "bromsgrove-redditch": [500_000, 250_000, 500_000],
    "east-lindsey-south-holland": [30_700_000, 19_400_000, 11_400_000],
    "east-kent-services": [],  # a 10 per cent target, no amount in pounds
    "huntingdonshire-call-centre": [71_000],
    "north-ne-lincolnshire-procurement": [1_500_000, 250_000],
    "south-hams-west-devon": [350_000],
    "south-london-waste": [3_500_000],
    "south-oxfordshire-vale-waste": [3_500_000],
    "weymouth-portland-revenues-benefits": [558_875, 1_000_000],
}


def _squash(text: str) -> str:
    return " ".join(text.replace("’", "'").split())


@pytest.fixture(scope="module")
def extracted(kb: KnowledgeBase) -> dict[str, CaseRecord]:
    """The records the real ingest wrote as its ``cases`` artifact."""
    artifact = kb.index.artifact("cases")
    assert artifact is not None and artifact["version"] == 1
    return {r["id"]: CaseRecord.from_dict(r) for r in artifact["records"]}


def test_ingest_extracts_all_nine_case_studies(
    extracted: dict[str, CaseRecord], guide_case_ids: set[str]
) -> None:
    assert set(extracted) == guide_case_ids
    for r in extracted.values():
        assert r.kind == "full"
        assert r.approach and r.achieved and r.learned, r.id
        assert r.lessons and r.contacts, r.id
        assert r.source["doc_id"] == "lga-guide-2011"
        assert r.source["section"].startswith("Appendix 2 – Case studies › Case study ")
        assert isinstance(r.source["page"], int) and 55 <= r.source["page"] <= 85
        assert r.source["date"] == "2011"


def test_rules_read_the_councils_named_in_the_text(extracted: dict[str, CaseRecord]) -> None:
    assert extracted["bromsgrove-redditch"].councils == [
        "Bromsgrove District Council",
        "Redditch Borough Council",
    ]
    assert extracted["huntingdonshire-call-centre"].councils == [
        "Huntingdonshire District Council",
        "Cambridgeshire County Council",
    ]
    assert extracted["huntingdonshire-call-centre"].council_types == ["district", "county"]
    assert extracted["weymouth-portland-revenues-benefits"].councils == [
        "Weymouth and Portland Borough Council",
        "West Dorset District Council",
        "Purbeck District Council",
    ]
    assert extracted["south-hams-west-devon"].councils[0] == "South Hams District Council"


def test_savings_are_the_figures_the_text_states(
    kb: KnowledgeBase, extracted: dict[str, CaseRecord]
) -> None:
    text = _squash(kb.index.document_text("lga-guide-2011"))
    for case_id, amounts in STATED_SAVINGS.items():
        record = extracted[case_id]
        assert [s.amount_gbp for s in record.savings] == amounts, case_id
        for s in record.savings:
            assert _squash(s.sentence) in text
            assert s.period in ("per year", "cumulative", "one-off")
    bromsgrove = extracted["bromsgrove-redditch"].savings
    assert bromsgrove[0].period == "per year" and "per annum" in bromsgrove[0].sentence
    assert extracted["huntingdonshire-call-centre"].savings[0].period == "per year"
    assert extracted["east-lindsey-south-holland"].savings[0].projected


def test_contacts_are_people_and_leave_the_lessons(extracted: dict[str, CaseRecord]) -> None:
    # Case studies 2, 3, 6 and 8 end with "Contact Name ..." under "What's been learned?".
    for case_id in ("east-lindsey-south-holland", "east-kent-services", "south-hams-west-devon"):
        r = extracted[case_id]
        assert r.contacts and all("@" in c for c in r.contacts)
        assert "Email" not in r.learned and not any("@" in x for x in r.lessons)
    assert extracted["east-lindsey-south-holland"].contacts[0].startswith("Terry Huggins")
    # The guide's back cover after the last case study is not a contact.
    assert not any(
        "info@local.gov.uk" in c for c in extracted["weymouth-portland-revenues-benefits"].contacts
    )
    assert len(extracted["north-ne-lincolnshire-procurement"].contacts) == 3


def test_lessons_keep_list_items_with_their_lead_in(extracted: dict[str, CaseRecord]) -> None:
    lessons = extracted["weymouth-portland-revenues-benefits"].lessons
    challenges = next(x for x in lessons if x.startswith("The other main challenges were:"))
    assert "multiple sites" in challenges and "Purbeck’s data" in challenges
    assert len(extracted["south-oxfordshire-vale-waste"].lessons) == 6


MALFORMED = """Appendix 2 – Case studies

Case study 1

Alpha and Beta District Councils: shared legal services

Alpha District Council and Beta District Council have shared a legal team
since April 2009. Alpha District Council hosts the staff on behalf of both councils.

The shared team has made savings of £120,000 a year through one head of legal services.

Case study 2

Gamma Borough Council and Delta County Council shared waste

What’s been achieved?

The councils made savings of £2m over three years through a joint waste contract.
Redundancy costs of £40,000 were shared.

Contacts

Jo Bloggs, Head of Waste, Gamma Borough Council Email: jo.bloggs@gamma.gov.uk

Case study 3

Epsilon shared HR
"""


def _records(text: str) -> list[CaseRecord]:
    sections = split_sections("odd-guide", text, Profile())
    rows = [
        {"path": list(s.path), "start": s.start, "end": s.end, "kind": s.kind, "case_id": s.case_id}
        for s in sections
    ]
    return extract_cases(CaseSource("odd-guide", "undated", text, rows, []))


def test_case_studies_missing_headings_still_become_records() -> None:
    records = {r.id: r for r in _records(MALFORMED)}
    assert len(records) == 3
    no_parts, no_approach, bare = records.values()
    # No part headings at all: everything there is kept as the approach.
    assert no_parts.title.startswith("Alpha and Beta District Councils")
    assert "legal team since April 2009" in " ".join(no_parts.approach.split())
    assert no_parts.achieved == "" and no_parts.learned == "" and no_parts.lessons == []
    assert no_parts.councils == ["Alpha District Council", "Beta District Council"]
    assert "legal" in no_parts.services and no_parts.started == "April 2009"
    assert [(s.amount_gbp, s.period) for s in no_parts.savings] == [(120_000.0, "per year")]
    # No "What was the approach?": achieved and contacts are still read.
    assert no_approach.approach == ""
    assert [(s.amount_gbp, s.period) for s in no_approach.savings] == [(2_000_000.0, "cumulative")]
    assert no_approach.contacts == [
        "Jo Bloggs, Head of Waste, Gamma Borough Council Email: jo.bloggs@gamma.gov.uk"
    ]
    # A heading with nothing under it.
    assert bare.title == "Epsilon shared HR" and bare.source["page"] is None
    for r in records.values():
        assert r.source["doc_id"] == "odd-guide" and r.kind == "full"


def test_truncated_text_never_crashes_extraction() -> None:
    cuts = [m.start() for m in re.finditer(r"\n", MALFORMED)]
    for cut in cuts:
        _records(MALFORMED[:cut])


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "This resulted in an overall reduction of nine posts, saving over £500,000 per annum.",
            [(500_000, "per year", False)],
        ),
        (
            "Staff cuts generated £71k of savings in the first year of implementation.",
            [(71_000, "per year", False)],
        ),
        (
            "Both councils went on to deliver savings of £2m every year.",
            [(2_000_000, "per year", False)],
        ),
        (
            "Over the next 10 years the two councils expect to save just over £30.7 million.",
            [(30_700_000, "cumulative", True)],
        ),
        (
            "An e-auction for IT equipment has led to savings in excess of £250,000 for both.",
            [(250_000, "one-off", False)],
        ),
        ("There was an investment cost of around £300,000, which led to savings.", []),
        ("North had a procurement spend of £100 million a year.", []),
    ],
)
def test_saving_rules(sentence: str, expected: list[tuple[float, str, bool]]) -> None:
    got = [(s.amount_gbp, s.period, s.projected) for s in parse_savings(sentence)]
    assert got == expected
