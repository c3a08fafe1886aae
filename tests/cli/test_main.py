"""The `kb` command line, run in-process with typer's CliRunner over real indexes.

The data directory comes from ``KB_DATA_DIR`` as it would for a user; the
process-wide settings are re-read for each test.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from cli.main import app
from kb.core.settings import Settings, get_settings
from kb.core.store import IndexStore

# `kb search --json`: one object per query; each result carries these fields.
LINE_KEYS = {"id", "question", "results"}
DOCUMENTED_KEYS = {"rank", "text", "doc_id", "title", "section", "page", "date", "score"}
# Passage.to_dict also gives the chunk id, whether the page is exact, the kind and
# the character offsets (the app links a citation to its place in the document).
RESULT_KEYS = DOCUMENTED_KEYS | {"id", "page_exact", "kind", "start", "end"}
DOC_IDS = {
    "lga-guide-2011",
    "publictechnology-2020-webinar",
    "pse-2016-future-shared-services",
    "pa-2011-pushing-boundaries",
    "perago-2025-reorganised-landscape",
}


@pytest.fixture
def use(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Settings], None]]:
    """Point KB_DATA_DIR / KB_CORPUS_DIR at some settings' directories."""

    def point(settings: Settings) -> None:
        monkeypatch.setenv("KB_DATA_DIR", str(settings.data_dir))
        monkeypatch.setenv("KB_CORPUS_DIR", str(settings.corpus_dir))
        get_settings.cache_clear()

    yield point
    get_settings.cache_clear()


def kb(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def assert_one_sentence_error(result: Result, *phrases: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and lines[0].endswith("."), lines
    assert "Traceback" not in result.output
    for phrase in phrases:
        assert phrase in lines[0], lines[0]


def check_result(row: dict) -> None:
    assert set(row) == RESULT_KEYS
    assert isinstance(row["rank"], int) and isinstance(row["score"], float)
    assert isinstance(row["text"], str) and row["text"]
    assert row["doc_id"] in DOC_IDS and isinstance(row["title"], str) and row["title"]
    assert isinstance(row["section"], str)
    assert row["page"] is None or isinstance(row["page"], int)
    assert isinstance(row["date"], str) and row["date"]


def test_stats_json(built_settings: Settings, use: Callable[[Settings], None]) -> None:
    use(built_settings)
    result = kb("stats", "--json")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    data = json.loads(lines[0])
    index = IndexStore(built_settings).open()
    assert data["documents"] == 5 and set(data["by_document"]) == DOC_IDS
    assert data["chunks"] == len(index.chunks) == sum(data["by_document"].values())
    assert data["model"] == index.info["embed_model"]  # the adapted model `make run` makes
    assert "tuned-" in data["model"]
    assert data["build_id"] == index.build_id
    indexed = datetime.strptime(data["indexed_at"], "%Y-%m-%dT%H:%M:%S%z")
    assert indexed.year >= 2024


def test_stats_text_for_people(built_settings: Settings, use: Callable[[Settings], None]) -> None:
    use(built_settings)
    result = kb("stats")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("5 documents, ")
    assert "model: " in result.stdout and "indexed at: " in result.stdout
    assert "  lga-guide-2011: " in result.stdout


def test_search_json(built_settings: Settings, use: Callable[[Settings], None]) -> None:
    use(built_settings)
    result = kb("search", "Is sharing legal?", "--k", "3", "--json")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    row = json.loads(lines[0])
    assert set(row) == LINE_KEYS
    assert row["id"] is None and row["question"] == "Is sharing legal?"
    assert [r["rank"] for r in row["results"]] == [1, 2, 3]
    for r in row["results"]:
        check_result(r)
    assert any("Is sharing legal?" in r["section"] for r in row["results"])
    scores = [r["score"] for r in row["results"]]
    assert scores == sorted(scores, reverse=True)


def test_search_batch_json_lines(
    built_settings: Settings, use: Callable[[Settings], None], tmp_path: Path
) -> None:
    use(built_settings)
    queries = tmp_path / "queries.jsonl"
    rows = [
        {"id": "legal", "question": "Is sharing legal?"},
        {"id": 7, "question": "South London Waste Partnership savings", "extra": "ignored"},
        {"id": "pse", "question": "East Sussex Procurement Hub savings"},
    ]
    queries.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    result = kb("search", "--queries", str(queries), "--k", "3", "--json")
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["legal", 7, "pse"]
    for o, r in zip(out, rows, strict=True):
        assert set(o) == LINE_KEYS and o["question"] == r["question"]
        assert [x["rank"] for x in o["results"]] == [1, 2, 3]
        for x in o["results"]:
            check_result(x)
    pse = [r for r in out[2]["results"] if r["doc_id"] == "pse-2016-future-shared-services"]
    assert pse and pse[0]["date"] == "April 2016" and pse[0]["page"] is None
    assert any("East Sussex Procurement Hub" in r["text"] for r in out[2]["results"])


def test_search_filters_and_modes(
    built_settings: Settings, use: Callable[[Settings], None]
) -> None:
    use(built_settings)
    result = kb(
        "search",
        "savings",
        "--json",
        "--k",
        "4",
        "--doc",
        "pse-2016-future-shared-services",
        "--mode",
        "bm25",
    )
    assert result.exit_code == 0, result.output
    results = json.loads(result.stdout)["results"]
    assert results and {r["doc_id"] for r in results} == {"pse-2016-future-shared-services"}
    result = kb("search", "governance", "--json", "--kind", "article", "--k", "5")
    assert {r["kind"] for r in json.loads(result.stdout)["results"]} == {"article"}


def test_search_text_for_people(built_settings: Settings, use: Callable[[Settings], None]) -> None:
    use(built_settings)
    result = kb("search", "How will the arrangement be governed?", "--k", "2")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("[1] ")
    assert "[2] " in result.stdout and "[3] " not in result.stdout


# -- errors: one sentence, non-zero exit, no traceback ---------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("stats",),
        ("stats", "--json"),
        ("search", "shared services"),
        ("ask", "Is sharing legal?"),
        ("cases",),
    ],
)
def test_no_index_yet(
    tmp_path: Path, use: Callable[[Settings], None], args: tuple[str, ...]
) -> None:
    use(Settings(data_dir=tmp_path / "empty", corpus_dir=tmp_path / "corpus"))
    assert_one_sentence_error(kb(*args), "No index yet", "kb ingest")


@pytest.mark.parametrize(
    ("content", "phrases"),
    [
        (None, ("no such queries file",)),
        ('{"id": 1, "question": "ok"}\nnot json\n', ("line 2 is not valid JSON",)),
        ('{"id": 1}\n', ("line 1 needs an 'id' and a 'question'",)),
        ('["id", "question"]\n', ("line 1 needs an 'id' and a 'question'",)),
        ('{"id": 1, "question": 42}\n', ("line 1: the question must be a string",)),
        (b"\xff\xfe\x00bad", ("cannot be read as UTF-8 text",)),
    ],
    ids=["missing", "bad-json", "no-question", "not-an-object", "not-a-string", "binary"],
)
def test_bad_queries_file(
    built_settings: Settings,
    use: Callable[[Settings], None],
    tmp_path: Path,
    content: str | bytes | None,
    phrases: tuple[str, ...],
) -> None:
    use(built_settings)
    path = tmp_path / "queries.jsonl"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    result = kb("search", "--queries", str(path), "--json")
    assert_one_sentence_error(result, *phrases)
    assert "queries.jsonl" in result.stderr


@pytest.mark.parametrize("k", ["0", "-1", "101"])
@pytest.mark.parametrize("batch", [False, True], ids=["query", "batch"])
def test_bad_k(
    built_settings: Settings,
    use: Callable[[Settings], None],
    tmp_path: Path,
    k: str,
    batch: bool,
) -> None:
    use(built_settings)
    path = tmp_path / "q.jsonl"
    path.write_text('{"id": 1, "question": "Is sharing legal?"}\n', encoding="utf-8")
    target = ["--queries", str(path)] if batch else ["Is sharing legal?"]
    assert_one_sentence_error(kb("search", *target, "--k", k, "--json"), "between 1 and 100")


def test_k_that_is_not_a_number(built_settings: Settings, use: Callable[[Settings], None]) -> None:
    use(built_settings)
    result = kb("search", "Is sharing legal?", "--k", "many")
    assert result.exit_code == 2  # a usage error, reported by typer before anything runs
    assert "Invalid value for '--k'" in result.stderr and "integer" in result.stderr
    assert result.stdout == "" and "Traceback" not in result.output


def test_bad_mode(built_settings: Settings, use: Callable[[Settings], None]) -> None:
    use(built_settings)
    assert_one_sentence_error(kb("search", "legal", "--mode", "fuzzy"), "hybrid, dense, bm25")


@pytest.mark.parametrize("args", [(), ("question", "--queries", "q.jsonl")])
def test_search_needs_a_query_or_a_file(
    built_settings: Settings, use: Callable[[Settings], None], args: tuple[str, ...]
) -> None:
    use(built_settings)
    assert_one_sentence_error(kb("search", *args), "give either a QUERY or --queries")


def test_empty_query(built_settings: Settings, use: Callable[[Settings], None]) -> None:
    use(built_settings)
    assert_one_sentence_error(kb("search", "   "), "Please type a question.")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("badfile.xyz", "badfile.xyz: unsupported file type .xyz; use one of .txt"),
        ("empty.txt", "empty.txt: the file is empty."),
        ("missing.md", "no such file or folder."),
    ],
)
def test_ingest_a_bad_file_names_it_and_keeps_the_index(
    copied_index: Settings,
    use: Callable[[Settings], None],
    tmp_path: Path,
    name: str,
    reason: str,
) -> None:
    use(copied_index)
    path = tmp_path / name
    if name == "badfile.xyz":
        path.write_text("Minutes of the joint committee.", encoding="utf-8")
    elif name == "empty.txt":
        path.write_bytes(b"")
    before = IndexStore(copied_index).current_id()
    result = kb("ingest", "-q", str(path))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    failures = [line for line in result.stderr.splitlines() if line.startswith("failed: ")]
    assert len(failures) == 1 and reason in failures[0], result.stderr
    assert name in failures[0]
    assert IndexStore(copied_index).current_id() == before
    first = result.stdout.splitlines()[0]
    assert first.startswith("unchanged: ") and all(d in first for d in DOC_IDS)


def test_ingest_json_report(
    copied_index: Settings, use: Callable[[Settings], None], tmp_path: Path
) -> None:
    use(copied_index)
    bad = tmp_path / "budget.xlsx"
    bad.write_bytes(b"PK\x03\x04" + b"\x00" * 32)
    result = kb("ingest", "--json", str(bad))
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False and set(report["unchanged"]) == DOC_IDS
    assert report["added"] == [] and report["removed"] == []
    assert list(report["failed"]) == ["budget.xlsx"]
    assert "unsupported file type .xlsx" in report["failed"]["budget.xlsx"]


def test_ask_in_a_new_process_prints_the_answer_and_nothing_else(
    built_settings: Settings,
) -> None:
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "KB_DATA_DIR": str(built_settings.data_dir),
        "KB_CORPUS_DIR": str(built_settings.corpus_dir),
    }
    # A question the adapted model finds far, so the stock model is loaded too.
    done = subprocess.run(
        [sys.executable, "-m", "cli", "ask", "What is a shared service?"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "[1]" in done.stdout and "do not cover" not in done.stdout
    # No model-loading progress bars or warnings in an officer's terminal.
    assert done.stderr.strip() == "", done.stderr


@pytest.mark.parametrize(
    ("content", "phrases"),
    [
        (None, ("cannot read", "No such file")),
        ('{"id": "m1", "question": "Can we?", "evidence": ["q"]}\nnot json\n', ("line 2",)),
        ('{"id": "m1", "question": "Can we?"}\n', ("record 1 has no 'evidence'",)),
        (b"\xff\xfe\x00bad", ("cannot be read as UTF-8 text",)),
        (
            '{"id": "m1", "question": "Can we?", "evidence": ["q"], "split": "tune"}\n',
            ("no questions in the test split",),
        ),
    ],
    ids=["missing", "bad-json", "no-evidence", "binary", "none-in-split"],
)
def test_eval_answers_on_a_bad_own_file_says_why_before_loading_anything(
    tmp_path: Path,
    use: Callable[[Settings], None],
    content: str | bytes | None,
    phrases: tuple[str, ...],
) -> None:
    # No index at all: the file is checked before the knowledge base is opened.
    use(Settings(data_dir=tmp_path / "empty", corpus_dir=tmp_path / "corpus"))
    path = tmp_path / "mine.jsonl"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    result = kb("eval", "answers", "--questions", str(path))
    assert_one_sentence_error(result, *phrases)
    assert "mine.jsonl" in result.stderr
