"""Named checklist assessments, stored in the app's SQLite database.

An assessment ("Waste partnership with X") holds, for each checklist item,
a status and the officer's notes. Every save writes one item row, so two
browser sessions editing different assessments (or different items) never
overwrite each other.

An assessment belongs to its author, who may share it with named colleagues
to read or to edit; only the author renames, shares or deletes it. Work whose
author has no account belongs to everyone (see :mod:`kb.workspace.accounts`): everyone
may read and edit it, and an admin may delete it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from kb.workspace.accounts import EVERYONE
from kb.workspace.state import connect, now, owner_sql, visible_sql

__all__ = [
    "ACCESS",
    "STATUSES",
    "Assessment",
    "AssessmentError",
    "AssessmentStore",
    "ItemState",
]

# What a share gives; the author's own access is "owner".
ACCESS = {"read": "Can read", "edit": "Can edit"}

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
    owner: str = ""  # the author, or "everyone" for work without an account
    access: str = "owner"  # owner | edit | read, for the user who asked

    @property
    def can_edit(self) -> bool:
        return self.access in ("owner", "edit")

    def state(self, item_id: str) -> ItemState:
        return self.items.get(item_id, ItemState())


class AssessmentStore:
    """Create, list, read, update and share assessments in ``db``."""

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
                "SELECT 1 FROM assessments WHERE lower(user) = lower(?) AND name = ?", (user, name)
            ).fetchone()
            if taken:
                raise AssessmentError(f"You already have an assessment called {name!r}.")
            cur = con.execute(
                "INSERT INTO assessments (user, name, created, updated) VALUES (?, ?, ?, ?)",
                (user, name, stamp, stamp),
            )
            return int(cur.lastrowid or 0)

    _ACCESS_SQL = (
        "CASE WHEN lower(a.user) = lower(:user) THEN 'owner' "
        "WHEN s.access IS NOT NULL AND {owner} != 'everyone' THEN s.access "
        "WHEN {owner} = 'everyone' THEN 'edit' END"
    )

    def _rows(self, con: sqlite3.Connection, user: str, where: str, **params: object) -> list:
        owner = owner_sql("a.user")
        access = self._ACCESS_SQL.format(owner=owner)
        return con.execute(
            f"SELECT a.*, {owner} AS owner, {access} AS access FROM assessments a "
            "LEFT JOIN assessment_shares s ON s.assessment_id = a.id "
            "AND lower(s.user) = lower(:user) "
            f"WHERE ({visible_sql('a.user')} OR s.access IS NOT NULL) AND {where} "
            "ORDER BY a.updated DESC, a.id DESC",
            {"user": user, **params},
        ).fetchall()

    def list(self, user: str) -> list[Assessment]:
        """The assessments the user may open (theirs, shared with them, everyone's), newest
        first, items not loaded."""
        with connect(self.db) as con:
            rows = self._rows(con, user, "1")
        return [_assessment(r) for r in rows]

    def get(self, user: str, assessment_id: int) -> Assessment:
        with connect(self.db) as con:
            rows = self._rows(con, user, "a.id = :id", id=assessment_id)
            if not rows:
                raise AssessmentError("No such assessment.")
            items = con.execute(
                "SELECT item_id, status, notes, updated FROM assessment_items "
                "WHERE assessment_id = ?",
                (assessment_id,),
            ).fetchall()
        found = _assessment(rows[0])
        found.items = {
            r["item_id"]: ItemState(r["status"], r["notes"], r["updated"]) for r in items
        }
        return found

    def _require(self, user: str, assessment_id: int, owner: bool = False) -> Assessment:
        with connect(self.db) as con:
            rows = self._rows(con, user, "a.id = :id", id=assessment_id)
        if not rows:
            raise AssessmentError("No such assessment.")
        found = _assessment(rows[0])
        if owner and found.access != "owner":
            raise AssessmentError("Only its author can do that.")
        if not found.can_edit:
            raise AssessmentError(f"{found.name!r} is shared with you to read only.")
        return found

    def set_item(
        self, user: str, assessment_id: int, item_id: str, status: str, notes: str = ""
    ) -> None:
        """Save one item's status and notes (the author, an editor, or anyone for everyone's)."""
        if status not in STATUSES:
            raise AssessmentError(f"Unknown status {status!r}.")
        if len(notes) > MAX_NOTES:
            raise AssessmentError(f"Please keep notes under {MAX_NOTES:,} characters.")
        self._require(user, assessment_id)
        stamp = now()
        with connect(self.db) as con:
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
        self._require(user, assessment_id, owner=True)
        try:
            with connect(self.db) as con:
                con.execute(
                    "UPDATE assessments SET name = ?, updated = ? WHERE id = ?",
                    (name, now(), assessment_id),
                )
        except sqlite3.IntegrityError as exc:
            raise AssessmentError(f"You already have an assessment called {name!r}.") from exc

    def delete(self, user: str, assessment_id: int, admin: bool = False) -> None:
        """Delete the user's own assessment (an admin may also delete everyone's)."""
        with connect(self.db) as con:
            rows = self._rows(con, user, "a.id = :id", id=assessment_id)
            if not rows:
                raise AssessmentError("No such assessment.")
            found = _assessment(rows[0])
            if not (found.access == "owner" or (admin and found.owner == EVERYONE)):
                raise AssessmentError("Only its author can delete it.")
            con.execute("DELETE FROM assessments WHERE id = ?", (assessment_id,))

    def share(self, user: str, assessment_id: int, colleague: str, access: str) -> None:
        """Let a colleague (an account name) read or edit the user's assessment."""
        from kb.workspace.accounts import AccountStore

        if access not in ACCESS:
            raise AssessmentError(f"Unknown access {access!r}.")
        self._require(user, assessment_id, owner=True)
        account = AccountStore(self.db).get(colleague)
        if account is None:
            raise AssessmentError(f"There is no account called {colleague!r}.")
        if account.name.lower() == user.lower():
            raise AssessmentError("It is already yours.")
        with connect(self.db) as con:
            con.execute(
                "INSERT INTO assessment_shares (assessment_id, user, access) VALUES (?, ?, ?) "
                "ON CONFLICT (assessment_id, user) DO UPDATE SET access = excluded.access",
                (assessment_id, account.name, access),
            )

    def unshare(self, user: str, assessment_id: int, colleague: str) -> None:
        self._require(user, assessment_id, owner=True)
        with connect(self.db) as con:
            con.execute(
                "DELETE FROM assessment_shares WHERE assessment_id = ? AND lower(user) = lower(?)",
                (assessment_id, colleague),
            )

    def shares(self, user: str, assessment_id: int) -> dict[str, str]:
        """Who the user's assessment is shared with: name → read | edit."""
        self._require(user, assessment_id, owner=True)
        with connect(self.db) as con:
            rows = con.execute(
                "SELECT user, access FROM assessment_shares WHERE assessment_id = ? "
                "ORDER BY user COLLATE NOCASE",
                (assessment_id,),
            ).fetchall()
        return {r["user"]: r["access"] for r in rows}


def _assessment(r: sqlite3.Row) -> Assessment:
    return Assessment(
        r["id"],
        r["user"],
        r["name"],
        r["created"],
        r["updated"],
        owner=r["owner"],
        access=r["access"] or "read",
    )
