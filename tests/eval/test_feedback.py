"""`kb eval feedback --export`: app feedback becomes candidate gold questions for review."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from eval.feedback import REVIEW_NOTE, export_feedback
from kb.core.settings import REPO_ROOT, Settings
from kb.workspace.state import ChatStore, Feedback


def make_settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, corpus_dir=REPO_ROOT / "corpus")


def test_export_writes_one_candidate_per_question(tmp_path: Path):
    settings = make_settings(tmp_path / "data")
    store = ChatStore(settings.state_db)
    cited = [
        {
            "n": 1,
            "text": "Sharing a chief executive...",
            "doc_id": "lga-guide-2011",
            "section": "Case study 1",
            "page": 40,
            "title": "Guide",
            "date": "2011",
        }
    ]
    store.add_feedback(
        Feedback(
            user="ann",
            question="Who shared a  chief executive?",
            answer="Bromsgrove [1]",
            rating="up",
            citations=cited,
        )
    )
    store.add_feedback(
        Feedback(
            user="bob",
            question="What about waste?",
            answer="...",
            rating="down",
            comment="missed the SLWP",
            correction="See case 7",
        )
    )
    store.add_feedback(
        Feedback(
            user="cy",
            question="who shared a chief executive?",
            answer="Bromsgrove [1]",
            rating="down",
            citations=cited,
        )
    )
    out = tmp_path / "out" / "candidates.jsonl"
    assert export_feedback(settings, out) == 2
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["question"] for r in rows] == ["What about waste?", "who shared a chief executive?"]
    waste, chief = rows
    assert waste["evidence"] == [] and waste["status"] == REVIEW_NOTE
    assert waste["feedback"]["rating"] == "down"
    assert waste["feedback"]["correction"] == "See case 7"
    assert chief["feedback"]["rating"] == "down"  # the latest feedback on that question
    assert chief["cited_passages"][0]["doc_id"] == "lga-guide-2011"
    assert "ann" not in out.read_text()  # who gave feedback is not exported
    assert set(waste) >= {"id", "question", "evidence", "kind", "doc_id", "style", "case_ids"}


def test_export_without_any_feedback_writes_an_empty_file(tmp_path: Path):
    settings = make_settings(tmp_path / "data")
    out = tmp_path / "none.jsonl"
    assert export_feedback(settings, out) == 0
    assert out.read_text() == "" and not settings.state_db.exists()


def test_cli_export(tmp_path: Path):
    settings = make_settings(tmp_path / "data")
    ChatStore(settings.state_db).add_feedback(
        Feedback(user="ann", question="Is sharing legal?", answer="Yes [1]", rating="up")
    )
    out = tmp_path / "fb.jsonl"
    env = {**os.environ, "KB_DATA_DIR": str(settings.data_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "cli", "eval", "feedback", "--export", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"exported": 1, "file": str(out)}
    assert json.loads(out.read_text())["question"] == "Is sharing legal?"


def test_learned_lists_corrections_that_quote_a_passage(copied_index) -> None:
    from eval.feedback import learned_from_feedback
    from kb.api import KnowledgeBase
    from kb.workspace.state import ChatStore, Feedback

    kb = KnowledgeBase(copied_index)
    chunk = next(c for c in kb.index.chunks.values() if c.case_id == "south-london-waste")
    quote = " ".join(chunk.text.split()[10:30])
    store = ChatStore(copied_index.state_db)
    store.add_feedback(
        Feedback(
            "ann",
            "Which London boroughs joined up their waste disposal?",
            "…",
            "down",
            correction=quote,
        )
    )
    store.add_feedback(
        Feedback("ann", "Anything", "…", "down", correction="not a passage at all, only an opinion")
    )
    rows = learned_from_feedback(kb)
    assert [r["question"] for r in rows] == [
        "Which London boroughs joined up their waste disposal?"
    ]
    assert rows[0]["section"] == chunk.section_label
    assert rows[0]["rank_now"] is None or 1 <= rows[0]["rank_now"] <= 10
