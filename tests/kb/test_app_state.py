"""The app's SQLite state: assessments, chats and feedback, with concurrent writers."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from kb.assessments import AssessmentError, AssessmentStore
from kb.state import ChatStore, Feedback, connect


def test_the_database_runs_in_wal_mode(tmp_path: Path) -> None:
    db = tmp_path / "state.sqlite3"
    AssessmentStore(db).create("ann", "One")
    with connect(db) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_sessions_writing_different_assessments_at_once_lose_nothing(tmp_path: Path) -> None:
    db = tmp_path / "state.sqlite3"
    ids = [AssessmentStore(db).create("ann", f"Assessment {n}") for n in range(4)]

    def work(aid: int) -> None:
        store = AssessmentStore(db)  # each "browser session" has its own store and connections
        for i in range(25):
            store.set_item("ann", aid, f"item-{i}", "done", f"note {aid}/{i}")

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(work, ids))
    store = AssessmentStore(db)
    for aid in ids:
        items = store.get("ann", aid).items
        assert len(items) == 25
        assert items["item-7"].notes == f"note {aid}/7"


def test_assessments_belong_to_their_user(tmp_path: Path) -> None:
    store = AssessmentStore(tmp_path / "s.db")
    aid = store.create("ann", "Waste")
    assert store.list("bob") == []
    with pytest.raises(AssessmentError):
        store.get("bob", aid)
    with pytest.raises(AssessmentError):
        store.set_item("bob", aid, "x", "done")
    with pytest.raises(AssessmentError):
        store.create("ann", "  Waste ")
    with pytest.raises(AssessmentError):
        store.set_item("ann", aid, "x", "finished")


def test_chats_and_feedback_are_stored(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    chats = ChatStore(db)
    cid = chats.new_chat("ann", "Benefits of sharing")
    chats.add_turn(cid, "user", "What are the benefits?")
    chats.add_turn(cid, "assistant", "Savings [1].", {"citations": [{"n": 1, "text": "x"}]})
    assert [t["role"] for t in chats.turns("ann", cid)] == ["user", "assistant"]
    assert chats.turns("ann", cid)[1]["payload"]["citations"][0]["n"] == 1
    assert chats.turns("bob", cid) == []
    chats.add_feedback(Feedback("ann", "Q?", "A [1].", "up", [{"n": 1}], comment="good"))
    # The evaluation's exporter reads the same table.
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT rating, comment FROM feedback").fetchall() == [("up", "good")]
