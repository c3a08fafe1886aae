"""Sections of the real 2011 LGA guide: headings, their hierarchy, kinds and case ids.

The guide is cleaned as ingest cleans it and cut with its reviewed outline
(``corpus/structure/lga-guide-2011.yaml``); the rules for case studies and
"Useful resources" boxes need no outline. A few rule tests use small texts.
"""

from __future__ import annotations

import pytest

from ingest.manifest import read_manifest
from ingest.pipeline import prepare_document
from ingest.structure import Profile, load_profile, split_sections
from kb.core.records import CleanDocument, Section
from kb.core.settings import REPO_ROOT, Settings

CORPUS = REPO_ROOT / "corpus"
KEY_QUESTIONS = (
    "What do we want to achieve?",
    "Is sharing the right option to achieve our aims?",
    "How can we implement our sharing ambitions?",
    "What have others been doing?",
)
APPENDIX = "Appendix 2 – Case studies"
CASES = {
    1: ("bromsgrove-redditch", "Bromsgrove and Redditch Councils: shared services and management"),
    2: (
        "east-lindsey-south-holland",
        "East Lindsey District Council and South Holland District "
        "Council: merged back office functions",
    ),
    3: ("east-kent-services", "East Kent Services model"),
    4: (
        "huntingdonshire-call-centre",
        "Huntingdonshire District Council’s approach to a shared call centre",
    ),
    5: (
        "north-ne-lincolnshire-procurement",
        "North and North East Lincolnshire Councils shared procurement services",
    ),
    6: (
        "south-hams-west-devon",
        "South Hams and West Devon District Councils shared services and management",
    ),
    7: ("south-london-waste", "South London Waste Partnership"),
    8: (
        "south-oxfordshire-vale-waste",
        "South Oxfordshire and Vale of White Horse District "
        "Councils’ shared waste management services",
    ),
    9: (
        "weymouth-portland-revenues-benefits",
        "Weymouth and Portland Borough Council, West Dorset "
        "District Council and Purbeck District Council: The Revenues and Benefits Partnership",
    ),
}


@pytest.fixture(scope="module")
def guide() -> tuple[CleanDocument, Profile, list[Section]]:
    settings = Settings(corpus_dir=CORPUS)
    meta = next(m for m in read_manifest(settings.manifest_path) if m.id == "lga-guide-2011")
    doc = prepare_document(meta, settings, CORPUS / "structure")
    profile = load_profile(CORPUS / "structure", meta.id)
    return doc, profile, split_sections(meta.id, doc.text, profile)


@pytest.fixture(scope="module")
def sections(guide: tuple[CleanDocument, Profile, list[Section]]) -> list[Section]:
    return guide[2]


@pytest.fixture(scope="module")
def text(guide: tuple[CleanDocument, Profile, list[Section]]) -> str:
    return guide[0].text


def by_path(sections: list[Section], *path: str) -> list[Section]:
    return [s for s in sections if s.path == path]


def body(text: str, section: Section) -> str:
    return text[section.start : section.end]


def test_sections_tile_the_text_in_reading_order(sections: list[Section], text: str) -> None:
    assert sections[0].start == 0 and sections[-1].end == len(text)
    for a, b in zip(sections, sections[1:], strict=False):
        assert a.end == b.start
    assert all(s.doc_id == "lga-guide-2011" for s in sections)


def test_the_four_key_questions_are_top_level(sections: list[Section], text: str) -> None:
    tops = [s.path[0] for s in sections if s.path]
    for question in KEY_QUESTIONS:
        (own,) = by_path(sections, question)
        assert own.kind == "body"
        assert body(text, own).startswith(question)
    # In the guide's order, and each one owns what follows until the next.
    firsts = [tops.index(q) for q in KEY_QUESTIONS]
    assert firsts == sorted(firsts)


@pytest.mark.parametrize(
    ("path", "opening"),
    [
        (
            (
                "Is sharing the right option to achieve our aims?",
                "Is sharing possible?",
                "Is sharing legal?",
            ),
            "Concerns about legality are often cited as a barrier",
        ),
        (
            (
                "How can we implement our sharing ambitions?",
                "What will sharing look like?",
                "How will the arrangement be governed?",
            ),
            None,
        ),
        (
            (
                "What do we want to achieve?",
                "Understanding costs and performance",
                "Audit Commission value for money profiles",
            ),
            None,
        ),
        (
            (
                "How can we implement our sharing ambitions?",
                "How do we get there?",
                "Big bang or organic change?",
            ),
            None,
        ),
        (("What have others been doing?", "Learning from your own experience"), None),
    ],
)
def test_sub_sections_have_their_full_path(
    sections: list[Section], text: str, path: tuple[str, ...], opening: str | None
) -> None:
    (section,) = by_path(sections, *path)
    assert section.kind == "body" and section.case_id is None
    content = body(text, section)
    assert content.startswith(path[-1] + "\n\n")
    # The real heading, followed by prose, not its echo in a contents diagram.
    first_paragraph = content.split("\n\n")[1]
    assert len(first_paragraph) > 70
    if opening:
        assert first_paragraph.startswith(opening)


def test_every_outline_heading_found_is_placed_in_order(
    guide: tuple[CleanDocument, Profile, list[Section]],
) -> None:
    _, profile, sections = guide
    seen: list[str] = []
    for s in sections:
        if s.path and s.path[-1] not in seen:
            seen.append(s.path[-1])
    outline = [h.title for h in profile.headings if h.title in seen]
    assert outline == [t for t in seen if t in outline]


OUTLINE = [
    h.title
    for h in load_profile(CORPUS / "structure", "lga-guide-2011").headings
    if not h.starts_at  # Appendix 2 starts at "Case study 1" and has no text of its own
]


@pytest.mark.parametrize("title", OUTLINE)
def test_every_outline_heading_is_a_section(sections: list[Section], title: str) -> None:
    assert any(s.path and s.path[-1] == title for s in sections)


def test_useful_resources_boxes_sit_under_their_section(sections: list[Section], text: str) -> None:
    boxes = [s for s in sections if s.path and s.path[-1] == "Useful resources"]
    assert len(boxes) >= 20
    for box in boxes:
        assert box.kind == "resources" and box.case_id is None
        assert len(box.path) >= 2 and box.path[-2] != "Useful resources"
    legal = (
        "Is sharing the right option to achieve our aims?",
        "Is sharing possible?",
        "Is sharing legal?",
        "Useful resources",
    )
    (box,) = by_path(sections, *legal)
    assert body(text, box).startswith("Useful resources\n\n")
    # The section before a box is its parent's text; the box does not swallow the next heading.
    following = sections[sections.index(box) + 1]
    assert following.path[-1] == "Have others already done it?"


def test_the_table_of_further_case_studies(sections: list[Section], text: str) -> None:
    tables = [s for s in sections if s.kind == "table"]
    assert len(tables) == 1
    (table,) = tables
    assert table.path[0] == "What have others been doing?"
    assert table.path[-1] == "Case studies of shared services activity"
    content = body(text, table)
    assert content.startswith("Case studies of shared services activity\n\nWhat Details Source")
    for row in ("Dorset Procurement", "Essex Legal Services Partnership"):
        assert row in content
    assert table.case_id is None


def test_sources_of_further_information(sections: list[Section], text: str) -> None:
    sources = [s for s in sections if s.kind == "sources"]
    assert sources and all(s.path[0] == "Sources of further information" for s in sources)
    content = "".join(body(text, s) for s in sources)
    assert content.startswith("Sources of further information\n\nCouncils seeking support")
    assert "Local Government Association www.lga.gov.uk" in content
    assert "Case study 1" not in content  # the appendix is not swallowed


def test_nine_case_studies_with_their_ids_and_parts(sections: list[Section], text: str) -> None:
    cases = [s for s in sections if s.kind == "case-study"]
    assert {s.case_id for s in cases} == {case_id for case_id, _ in CASES.values()}
    for number, (case_id, title) in CASES.items():
        own = [s for s in cases if s.case_id == case_id]
        heading = f"Case study {number}: {title}"
        assert all(s.path[:2] == (APPENDIX, heading) for s in own), {s.path for s in own}
        (intro,) = [s for s in own if len(s.path) == 2]
        assert body(text, intro).startswith(f"Case study {number}\n\n")
        parts = [s.path[2] for s in own if len(s.path) == 3]
        assert parts[:3] == [p for p in parts if p != "Contacts"], (case_id, parts)
        approach, *rest = parts[:3]
        # Case study 8 asks "What was the councils’ approach?".
        assert approach.startswith("What was the") and approach.endswith("approach?")
        assert rest == ["What’s been achieved?", "What’s been learned?"], (case_id, parts)
        # Each part holds the text under its own heading.
        for s in own:
            if len(s.path) == 3:
                assert body(text, s).startswith(s.path[2] + "\n\n")


def test_case_study_parts_follow_each_other_and_the_next_case_starts_a_new_unit(
    sections: list[Section],
) -> None:
    cases = [s for s in sections if s.kind == "case-study"]
    order = [s.case_id for s in cases]
    # Contiguous runs: no case study's sections are interleaved with another's.
    runs = [c for i, c in enumerate(order) if i == 0 or order[i - 1] != c]
    assert runs == [case_id for case_id, _ in CASES.values()]
    # Contacts appear for the case studies that list them, as their last part.
    with_contacts = {s.case_id for s in cases if s.path[-1] == "Contacts"}
    assert "bromsgrove-redditch" in with_contacts and "east-kent-services" not in with_contacts


def test_nothing_outside_the_appendix_is_a_case_study(sections: list[Section]) -> None:
    for s in sections:
        if s.path and s.path[0] == APPENDIX:
            assert s.kind == "case-study" and s.case_id
        else:
            assert s.kind != "case-study" and s.case_id is None, s.path


def test_structure_diagrams_are_navigation(sections: list[Section], text: str) -> None:
    nav = [s for s in sections if s.kind == "navigation"]
    assert nav
    assert all(
        s.path[-1] in ("The structure of this section", "The structure of the guide") for s in nav
    )


# -- the rules on small texts ---------------------------------------------------------


def test_case_ids_come_from_the_title_without_an_outline() -> None:
    text = (
        "Case study 12\n\nAnytown and Otherby shared legal team\n\nWhat was the approach?\n\n"
        "The two councils merged their legal teams under one head of legal services in 2015."
        "\n\nWhat’s been achieved?\n\nSavings of £120,000 a year."
    )
    sections = split_sections("doc", text)
    assert [s.path for s in sections] == [
        ("Case study 12: Anytown and Otherby shared legal team",),
        ("Case study 12: Anytown and Otherby shared legal team", "What was the approach?"),
        ("Case study 12: Anytown and Otherby shared legal team", "What’s been achieved?"),
    ]
    assert {s.case_id for s in sections} == {"anytown-and-otherby-shared-legal-team"}
    assert {s.kind for s in sections} == {"case-study"}


def test_markdown_headings_nest_without_an_outline() -> None:
    text = (
        "# Shared legal services\n\nIntro text that is long enough to be prose for the "
        "heading rule to accept it.\n\n## Governance\n\nA joint committee of three members "
        "from each council oversees the service.\n\n# Costs\n\nThe partner pays a fee."
    )
    paths = [s.path for s in split_sections("doc", text)]
    assert paths == [
        ("Shared legal services",),
        ("Shared legal services", "Governance"),
        ("Costs",),
    ]


def test_short_line_before_prose_is_a_heading_in_articles() -> None:
    text = (
        "The future of shared services\n\nIntro paragraph.\n\nShared services lessons\n\n"
        "Last year’s map taught us some important lessons about shared services, in "
        "particular that not all partnerships are equal."
    )
    sections = split_sections("doc", text)
    assert sections[-1].path == ("Shared services lessons",)
    assert text[sections[-1].start :].startswith("Shared services lessons")
