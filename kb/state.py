"""The app's own state in SQLite (``settings.state_db``): chats and answer feedback.

Each call opens a short-lived connection, so Streamlit's request threads never
share one. WAL mode lets readers carry on while another session writes, and
every write touches only its own rows, so two sessions never lose each other's
work. Assessments live in :mod:`kb.assessments` over the same database.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["ChatStore", "Feedback", "connect", "now"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS assessments (
    id INTEGER PRIMARY KEY,
    user TEXT NOT NULL,
    name TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    UNIQUE (user, name)
);
CREATE TABLE IF NOT EXISTS assessment_items (
    assessment_id INTEGER NOT NULL REFERENCES assessments(id) ON DELETE CASCADE,
    item_id TEXT NOT NULL,
    status TEXT NOT NULL,
    notes TEXT NOT NULL DEFAULT '',
    updated TEXT NOT NULL,
    PRIMARY KEY (assessment_id, item_id)
);
CREATE TABLE IF NOT EXISTS chats (
    id INTEGER PRIMARY KEY,
    user TEXT NOT NULL,
    title TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chat_turns (
    id INTEGER PRIMARY KEY,
    chat_id INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    content TEXT NOT NULL,
    payload TEXT,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    user TEXT NOT NULL,
    chat_id INTEGER,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    abstained INTEGER NOT NULL DEFAULT 0,
    citations TEXT NOT NULL DEFAULT '[]',
    rating TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    correction TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL
);
"""


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@contextmanager
def connect(db: Path) -> Iterator[sqlite3.Connection]:
    """A connection in one transaction: committed on success, rolled back on error."""
    db.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(db, timeout=10)) as con:
        con.row_factory = sqlite3.Row
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA foreign_keys=ON")
        con.execute("PRAGMA busy_timeout=10000")
        con.executescript(SCHEMA)
        with con:
            yield con


@dataclass
class Feedback:
    """A thumbs up or down on one answer, with what was asked and cited."""

    user: str
    question: str
    answer: str
    rating: str  # up | down
    citations: list[dict[str, Any]] = field(default_factory=list)
    abstained: bool = False
    comment: str = ""
    correction: str = ""
    chat_id: int | None = None


class ChatStore:
    """Per-user conversations and feedback on their answers."""

    def __init__(self, db: Path) -> None:
        self.db = db

    def new_chat(self, user: str, title: str) -> int:
        stamp = now()
        with connect(self.db) as con:
            cur = con.execute(
                "INSERT INTO chats (user, title, created, updated) VALUES (?, ?, ?, ?)",
                (user, title[:120] or "Conversation", stamp, stamp),
            )
            return int(cur.lastrowid or 0)

    def chats(self, user: str) -> list[dict[str, Any]]:
        """The user's conversations, newest first."""
        with connect(self.db) as con:
            rows = con.execute(
                "SELECT id, title, created, updated FROM chats WHERE user = ? "
                "ORDER BY updated DESC, id DESC",
                (user,),
            ).fetchall()
        return [dict(r) for r in rows]

    def add_turn(
        self, chat_id: int, role: str, content: str, payload: dict[str, Any] | None = None
    ) -> None:
        stamp = now()
        with connect(self.db) as con:
            con.execute(
                "INSERT INTO chat_turns (chat_id, role, content, payload, created) "
                "VALUES (?, ?, ?, ?, ?)",
                (chat_id, role, content, json.dumps(payload) if payload else None, stamp),
            )
            con.execute("UPDATE chats SET updated = ? WHERE id = ?", (stamp, chat_id))

    def turns(self, user: str, chat_id: int) -> list[dict[str, Any]]:
        """The turns of one of the user's conversations, in order (none if not theirs)."""
        with connect(self.db) as con:
            rows = con.execute(
                "SELECT t.role, t.content, t.payload, t.created FROM chat_turns t "
                "JOIN chats c ON c.id = t.chat_id WHERE c.id = ? AND c.user = ? ORDER BY t.id",
                (chat_id, user),
            ).fetchall()
        return [
            {**dict(r), "payload": json.loads(r["payload"]) if r["payload"] else None} for r in rows
        ]

    def delete_chat(self, user: str, chat_id: int) -> None:
        with connect(self.db) as con:
            con.execute("DELETE FROM chats WHERE id = ? AND user = ?", (chat_id, user))

    def add_feedback(self, fb: Feedback) -> int:
        with connect(self.db) as con:
            cur = con.execute(
                "INSERT INTO feedback (user, chat_id, question, answer, abstained, citations, "
                "rating, comment, correction, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    fb.user,
                    fb.chat_id,
                    fb.question,
                    fb.answer,
                    int(fb.abstained),
                    json.dumps(fb.citations),
                    fb.rating,
                    fb.comment,
                    fb.correction,
                    now(),
                ),
            )
            return int(cur.lastrowid or 0)

    def feedback(self) -> list[dict[str, Any]]:
        """All feedback, oldest first."""
        with connect(self.db) as con:
            rows = con.execute("SELECT * FROM feedback ORDER BY id").fetchall()
        return [{**dict(r), "citations": json.loads(r["citations"])} for r in rows]
