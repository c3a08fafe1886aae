"""The gold sets are well-formed and every evidence quote is really in the corpus."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from eval.gold import (
    KINDS,
    STYLES,
    gold_version,
    load_case_matching,
    load_out_of_scope,
    load_questions,
    normalise,
    subset,
)
from ingest.manifest import read_manifest
from ingest.pipeline import prepare_document
from kb.core.settings import REPO_ROOT, Settings

CASE_IDS = set(
    yaml.safe_load((REPO_ROOT / "corpus/structure/lga-guide-2011.yaml").read_text("utf-8"))[
        "case_ids"
    ].values()
)


@pytest.fixture(scope="module")
def cleaned_corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Each manifest document's cleaned text, normalised as quotes are."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("gold"), corpus_dir=REPO_ROOT / "corpus")
    structure = settings.corpus_dir / "structure"
    return {
        meta.id: normalise(prepare_document(meta, settings, structure).text)
        for meta in read_manifest(settings.manifest_path)
    }


def test_every_evidence_quote_is_in_the_cleaned_text_of_its_document(cleaned_corpus):
    missing = [
        (q.id, quote)
        for q in load_questions()
        for quote in q.evidence
        if normalise(quote) not in cleaned_corpus.get(q.doc_id, "")
    ]
    assert not missing, f"{len(missing)} quotes not in the cleaned corpus, e.g. {missing[:5]}"


def test_questions_follow_the_documented_schema(cleaned_corpus):
    questions = load_questions()
    assert len(questions) >= 150
    assert len({q.id for q in questions}) == len(questions)
    for q in questions:
        assert q.question.strip(), q.id
        assert 1 <= len(q.evidence) <= 3, q.id
        assert q.kind in KINDS, (q.id, q.kind)
        assert q.style in STYLES, (q.id, q.style)
        assert q.doc_id in cleaned_corpus, (q.id, q.doc_id)
        assert set(q.case_ids) <= CASE_IDS, (q.id, q.case_ids)
    assert set(Counter(q.kind for q in questions)) == set(KINDS)


def test_out_of_scope_and_case_matching_sets():
    oos = load_out_of_scope()
    assert len(oos) >= 20
    assert len({o.id for o in oos}) == len(oos)
    checks = load_case_matching()
    assert len({c.id for c in checks}) == len(checks)
    for c in checks:
        assert 1 <= len(c.expected) <= 2 and set(c.expected) <= CASE_IDS, c.id


def test_gold_version_is_stated_in_the_readme():
    assert gold_version() == "3"


def test_subset_is_deterministic_and_covers_every_kind():
    questions = load_questions()
    picked = subset(questions, 24)
    assert [q.id for q in picked] == [q.id for q in subset(questions, 24)]
    assert len(picked) == 24
    assert {q.kind for q in picked} == set(KINDS)
    assert subset(questions, None) == questions


@pytest.fixture
def jsonl(tmp_path):
    """Write records to a JSONL file, as an analyst would for their own question set."""

    def write(*records: object) -> Path:
        path = tmp_path / "mine.jsonl"
        path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
        return path

    return write


def test_an_analysts_own_file_loads_with_test_as_the_default_split(jsonl):
    path = jsonl({"id": "m1", "question": "Can we share a chief executive?", "evidence": ["q"]})
    assert [q.id for q in load_questions(path, split="test")] == ["m1"]
    assert load_questions(path, split="tune") == []


@pytest.mark.parametrize(
    ("record", "says"),
    [
        ({"id": "m1", "question": "Can we?"}, "mine.jsonl record 1 has no 'evidence'"),
        ({"id": "m1", "evidence": ["q"]}, "mine.jsonl record 1 has no 'question'"),
        ({"id": "m1", "question": "Can we?", "evidence": "a quote"}, "must be a list of quotes"),
        (["m1", "Can we?"], "mine.jsonl record 1 is not a JSON object"),
    ],
)
def test_a_malformed_question_says_which_record_and_what_is_missing(jsonl, record, says):
    with pytest.raises(ValueError, match=re.escape(says)):
        load_questions(jsonl(record))


def test_an_out_of_scope_record_needs_an_id_and_a_question(jsonl):
    with pytest.raises(ValueError, match="record 2 has no 'question'"):
        load_out_of_scope(jsonl({"id": "x1", "question": "Passport?"}, {"id": "x2"}))
