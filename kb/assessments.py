"""Named checklist assessments per user, stored in the app's SQLite database.

An assessment ("Waste partnership with X") holds, for each checklist item,
a status and the officer's notes. Every save writes one item row, so two
browser sessions editing different assessments (or different items) never
overwrite each other.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from kb.state import connect, now

__all__ = ["STATUSES", "Assessment", "AssessmentError", "AssessmentStore", "ItemState"]

STATUSES = {
    "not_started": "Not started",
    "in_progress": "In progress",
    "done": "Done",
    "not_applicable": "Not applicable",
}
MAX_NAME = 120
MAX_NOTES = 20_000


class AssessmentError(ValueError):
    """An assessment request that cannot be done; the message is for the user."""


@dataclass(frozen=True)
class ItemState:
    status: str = "not_started"
    notes: str = ""
    updated: str | None = None


@dataclass
class Assessment:
    id: int
    user: str
    name: str
    created: str
    updated: str
    items: dict[str, ItemState] = field(default_factory=dict)

    def state(self, item_id: str) -> ItemState:
        return self.items.get(item_id, ItemState())


class AssessmentStore:
    """Create, list, read and update assessments in ``db``."""

    def __init__(self, db: Path) -> None:
        self.db = db

    def create(self, user: str, name: str) -> int:
        name = " ".join(name.split())
        if not name:
            raise AssessmentError("Please give the assessment a name.")
        if len(name) > MAX_NAME:
            raise AssessmentError(f"Please keep the name under {MAX_NAME} characters.")
        stamp = now()
        with connect(self.db) as con:
            taken = con.execute(
                "SELECT 1 FROM assessments WHERE user = ? AND name = ?", (user, name)
            ).fetchone()
            if taken:
                raise AssessmentError(f"You already have an assessment called {name!r}.")
            cur = con.execute(
                "INSERT INTO assessments (user, name, created, updated) VALUES (?, ?, ?, ?)",
                (user, name, stamp, stamp),
            )
            return int(cur.lastrowid or 0)

    def list(self, user: str) -> list[Assessment]:
        """The user's assessments, most recently changed first (items not loaded)."""
        with connect(self.db) as con:
            rows = con.execute(
                "SELECT * FROM assessments WHERE user = ? ORDER BY updated DESC, id DESC", (user,)
            ).fetchall()
        return [Assessment(r["id"], r["user"], r["name"], r["created"], r["updated"]) for r in rows]

    def get(self, user: str, assessment_id: int) -> Assessment:
        with connect(self.db) as con:
            row = con.execute(
                "SELECT * FROM assessments WHERE id = ? AND user = ?", (assessment_id, user)
            ).fetchone()
            if row is None:
                raise AssessmentError("No such assessment.")
            items = con.execute(
                "SELECT item_id, status, notes, updated FROM assessment_items "
                "WHERE assessment_id = ?",
                (assessment_id,),
            ).fetchall()
        return Assessment(
            row["id"],
            row["user"],
            row["name"],
            row["created"],
            row["updated"],
            {r["item_id"]: ItemState(r["status"], r["notes"], r["updated"]) for r in items},
        )

    def set_item(
        self, user: str, assessment_id: int, item_id: str, status: str, notes: str = ""
    ) -> None:
        """Save one item's status and notes."""
        if status not in STATUSES:
            raise AssessmentError(f"Unknown status {status!r}.")
        if len(notes) > MAX_NOTES:
            raise AssessmentError(f"Please keep notes under {MAX_NOTES:,} characters.")
        stamp = now()
        with connect(self.db) as con:
            owned = con.execute(
                "SELECT 1 FROM assessments WHERE id = ? AND user = ?", (assessment_id, user)
            ).fetchone()
            if not owned:
                raise AssessmentError("No such assessment.")
            con.execute(
                "INSERT INTO assessment_items (assessment_id, item_id, status, notes, updated) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (assessment_id, item_id) DO UPDATE SET "
                "status = excluded.status, notes = excluded.notes, updated = excluded.updated",
                (assessment_id, item_id, status, notes, stamp),
            )
            con.execute("UPDATE assessments SET updated = ? WHERE id = ?", (stamp, assessment_id))

    def rename(self, user: str, assessment_id: int, name: str) -> None:
        name = " ".join(name.split())
        if not name or len(name) > MAX_NAME:
            raise AssessmentError(f"Please give a name of 1 to {MAX_NAME} characters.")
        try:
            with connect(self.db) as con:
                con.execute(
                    "UPDATE assessments SET name = ?, updated = ? WHERE id = ? AND user = ?",
                    (name, now(), assessment_id, user),
                )
        except sqlite3.IntegrityError as exc:
            raise AssessmentError(f"You already have an assessment called {name!r}.") from exc

    def delete(self, user: str, assessment_id: int) -> None:
        with connect(self.db) as con:
            con.execute("DELETE FROM assessments WHERE id = ? AND user = ?", (assessment_id, user))
