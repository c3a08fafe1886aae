"""The app's own state in SQLite (``settings.state_db``): chats and answer feedback.

Each call opens a short-lived connection, so Streamlit's request threads never
share one. WAL mode lets readers carry on while another session writes, and
every write touches only its own rows, so two sessions never lose each other's
work. Assessments live in :mod:`kb.checklist.assessments` over the same database.
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

__all__ = ["ChatStore", "Feedback", "connect", "now", "owner_sql", "visible_sql"]

# The owner shown for work whose author has no account (kb.workspace.accounts.EVERYONE).
EVERYONE_OWNER = "everyone"

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
CREATE TABLE IF NOT EXISTS accounts (
    name TEXT PRIMARY KEY COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS assessment_shares (
    assessment_id INTEGER NOT NULL REFERENCES assessments(id) ON DELETE CASCADE,
    user TEXT NOT NULL COLLATE NOCASE,
    access TEXT NOT NULL,
    PRIMARY KEY (assessment_id, user)
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


def visible_sql(column: str = "user") -> str:
    """SQL true for rows the user bound as ``:user`` may see: theirs, or everyone's."""
    return f"(lower({column}) = lower(:user) OR lower({column}) NOT IN {_ACCOUNT_NAMES})"


def owner_sql(column: str = "user") -> str:
    """SQL for the owner to show: the author's name, or everyone's when they have no account."""
    everyone = EVERYONE_OWNER
    return f"CASE WHEN lower({column}) IN {_ACCOUNT_NAMES} THEN {column} ELSE '{everyone}' END"


_ACCOUNT_NAMES = "(SELECT lower(name) FROM accounts)"


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
    """Per-user conversations and feedback on their answers (owners: kb.workspace.accounts)."""

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
        """The conversations the user may see (theirs and everyone's), newest first.

        Each has ``owner``: the author, or ``everyone`` for work without an account.
        """
        with connect(self.db) as con:
            rows = con.execute(
                f"SELECT id, title, created, updated, {owner_sql()} AS owner FROM chats "
                f"WHERE {visible_sql()} ORDER BY updated DESC, id DESC",
                {"user": user},
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
        """The turns of a conversation the user may see, in order (none otherwise)."""
        with connect(self.db) as con:
            rows = con.execute(
                "SELECT t.role, t.content, t.payload, t.created FROM chat_turns t "
                f"JOIN chats c ON c.id = t.chat_id WHERE c.id = :chat AND {visible_sql('c.user')} "
                "ORDER BY t.id",
                {"chat": chat_id, "user": user},
            ).fetchall()
        return [
            {**dict(r), "payload": json.loads(r["payload"]) if r["payload"] else None} for r in rows
        ]

    def may_add_to(self, user: str, chat_id: int) -> bool:
        """Whether the user may add to a conversation: their own, or everyone's."""
        return any(c["id"] == chat_id for c in self.chats(user))

    def delete_chat(self, user: str, chat_id: int, admin: bool = False) -> bool:
        """Delete the user's own conversation (an admin may also delete everyone's)."""
        with connect(self.db) as con:
            row = con.execute(
                f"SELECT user, {owner_sql()} AS owner FROM chats WHERE id = ?", (chat_id,)
            ).fetchone()
            if row is None:
                return False
            mine = row["user"].lower() == user.lower()
            if not (mine or (admin and row["owner"] == EVERYONE_OWNER)):
                return False
            con.execute("DELETE FROM chats WHERE id = ?", (chat_id,))
            return True

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

    def feedback_by(self, user: str) -> list[dict[str, Any]]:
        """The user's own feedback, newest first."""
        with connect(self.db) as con:
            rows = con.execute(
                "SELECT * FROM feedback WHERE lower(user) = lower(?) ORDER BY id DESC", (user,)
            ).fetchall()
        return [{**dict(r), "citations": json.loads(r["citations"])} for r in rows]

    def delete_feedback(self, user: str, feedback_id: int) -> None:
        with connect(self.db) as con:
            con.execute(
                "DELETE FROM feedback WHERE id = ? AND lower(user) = lower(?)", (feedback_id, user)
            )

    def feedback(self) -> list[dict[str, Any]]:
        """All feedback, oldest first."""
        with connect(self.db) as con:
            rows = con.execute("SELECT * FROM feedback ORDER BY id").fetchall()
        return [{**dict(r), "citations": json.loads(r["citations"])} for r in rows]
