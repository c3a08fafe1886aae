"""Odd queries get a clear message or a normal result, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from kb.api import KnowledgeBase, QueryError
from kb.core.records import SearchFilters
from kb.core.settings import Settings

REFUSED = {
    "empty": "",
    "spaces": "   ",
    "only controls": "\x00\x07\x1b",
    "only whitespace": "\t\n\r\x0b",
    "too long": "shared services " * 400,
}
ANSWERED = {
    "welsh": "Sut mae cynghorau yn rhannu gwasanaethau cyfreithiol?",
    "chinese": "地方议会如何共享服务？",
    "arabic": "كيف تتشارك المجالس الخدمات؟",
    "emoji": "🤝 shared services 🏛️",
    "markup": "<script>alert('x')</script> <b>governance</b> of shared services",
    "sql": "'; DROP TABLE chunks; -- legal",
    "template": "{{7*7}} ${jndi:ldap://x} %s %n",
    "controls inside": "shared\x00 services\x1b[31m governance\x7f",
    "lone surrogate": "caf\udce9 shared services",
    "bidi override": "shared \u202eservices\u202c",
    "zero width": "sha\u200bred ser\u200dvices",
    "punctuation": "???!!!...",
    "one letter": "a",
    "near the limit": ("how is a joint committee set up " * 70)[:1990],
    "decomposed accents": "e\u0301" * 300,
}


@pytest.mark.parametrize("query", REFUSED.values(), ids=REFUSED.keys())
def test_unusable_queries_get_a_clear_message(kb: KnowledgeBase, query: str) -> None:
    with pytest.raises(QueryError) as err:
        kb.search(query)
    message = str(err.value)
    assert message.endswith(".") and "\n" not in message and len(message) < 200


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
@pytest.mark.parametrize("query", ANSWERED.values(), ids=ANSWERED.keys())
def test_odd_queries_get_normal_results(kb: KnowledgeBase, query: str, mode: str) -> None:
    passages = kb.search(query, k=5, mode=mode)
    assert len(passages) <= 5
    assert [p.rank for p in passages] == list(range(1, len(passages) + 1))
    for p in passages:
        assert p.chunk.id in kb.index.chunks
        json.dumps(p.to_dict())  # what the CLI and app serialise
    if mode != "bm25":
        assert passages  # the dense side always has neighbours


@pytest.mark.parametrize(
    ("kwargs", "phrase"),
    [({"k": -1}, "between"), ({"k": 1000}, "between"), ({"mode": "fuzzy"}, "mode")],
)
def test_bad_arguments_get_a_clear_message(kb: KnowledgeBase, kwargs: dict, phrase: str) -> None:
    with pytest.raises(QueryError, match=phrase):
        kb.search("shared services", **kwargs)


def test_filters_that_match_nothing_give_no_results(kb: KnowledgeBase) -> None:
    assert kb.search("governance", filters=SearchFilters(doc_ids=("no-such-doc",))) == []
    assert kb.search("governance", filters=SearchFilters(section="((*[")) == []


@pytest.mark.slow
def test_cli_batch_of_odd_queries(
    built_settings: Settings, tmp_path: Path, cli_env: Callable[[Settings], dict[str, str]]
) -> None:
    queries = {**REFUSED, **ANSWERED}
    path = tmp_path / "odd.jsonl"
    path.write_text(
        "".join(json.dumps({"id": i, "question": q}) + "\n" for i, q in queries.items()),
        encoding="utf-8",
    )
    run = subprocess.run(
        [sys.executable, "-m", "cli", "search", "--queries", str(path), "--k", "3", "--json"],
        env=cli_env(built_settings),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    rows = {row["id"]: row for row in map(json.loads, run.stdout.splitlines())}
    assert set(rows) == set(queries)
    for name in REFUSED:
        assert rows[name]["results"] == [] and rows[name]["error"]
    for name in ANSWERED:
        assert "error" not in rows[name] and len(rows[name]["results"]) <= 3


@pytest.mark.slow
def test_cli_single_odd_queries(
    built_settings: Settings, cli_env: Callable[[Settings], dict[str, str]]
) -> None:
    kb = [sys.executable, "-m", "cli", "search"]
    env = cli_env(built_settings)
    # Bytes that are not UTF-8 on the command line, with markup and a control.
    raw = subprocess.run(
        [*kb, b"caf\xe9 <i>\x01governance</i>", "--json", "--k", "2"],
        env=env,
        capture_output=True,
        timeout=180,
    )
    assert raw.returncode == 0, raw.stderr
    assert len(json.loads(raw.stdout)["results"]) == 2
    for args, phrase in (
        ([""], "Please type a question."),
        (["x" * 3000], "characters long"),
        (["governance", "--k", "500"], "between"),
    ):
        run = subprocess.run([*kb, *args], env=env, capture_output=True, text=True, timeout=180)
        assert run.returncode == 1
        assert run.stderr.startswith("Error: ") and phrase in run.stderr
        assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1
