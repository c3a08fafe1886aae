"""Officer accounts: a name, a bcrypt password hash and a role, in the app's SQLite database.

Who owns what: conversations, assessments and feedback carry their author's
name in a ``user`` column. A row whose author has no account (work done before
accounts existed, under the default ``officer`` or a name typed at the old
shared-password gate) belongs to :data:`EVERYONE`: every signed-in user sees
it, as they did before, and its author gets it back by having an account of
the same name. Nothing is rewritten, so nothing is lost.

Sign-in is needed whenever more than one account exists (or a password setting
asks for it); with none or one, the one person using the app is its admin.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import bcrypt

from kb.workspace.state import EVERYONE_OWNER, connect, now, owner_sql, visible_sql

__all__ = [
    "ADMIN",
    "EVERYONE",
    "OFFICER",
    "Account",
    "AccountError",
    "AccountStore",
    "owner_sql",
    "visible_sql",
]

ADMIN = "admin"
OFFICER = "officer"
ROLES = (ADMIN, OFFICER)
# The owner shown for work whose author has no account.
EVERYONE = EVERYONE_OWNER
MIN_PASSWORD = 8
MAX_PASSWORD_BYTES = 72  # bcrypt's limit; longer would be silently cut, so it is refused
MAX_NAME = 60


class AccountError(ValueError):
    """An account request that cannot be done; the message is for the user."""


@dataclass(frozen=True)
class Account:
    name: str
    role: str
    created: str

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN


def clean_name(name: str) -> str:
    return " ".join(name.split())


def _check_password(password: str) -> bytes:
    raw = password.encode("utf-8")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"Please choose a password of at least {MIN_PASSWORD} characters.")
    if len(raw) > MAX_PASSWORD_BYTES:
        raise AccountError(f"Please keep the password under {MAX_PASSWORD_BYTES} bytes.")
    return raw


class AccountStore:
    """Create, check, list and remove accounts in ``db``."""

    def __init__(self, db: Path) -> None:
        self.db = db

    def count(self) -> int:
        with connect(self.db) as con:
            return int(con.execute("SELECT COUNT(*) FROM accounts").fetchone()[0])

    def list(self) -> list[Account]:
        with connect(self.db) as con:
            rows = con.execute(
                "SELECT name, role, created FROM accounts ORDER BY name COLLATE NOCASE"
            ).fetchall()
        return [Account(r["name"], r["role"], r["created"]) for r in rows]

    def get(self, name: str) -> Account | None:
        with connect(self.db) as con:
            r = con.execute(
                "SELECT name, role, created FROM accounts WHERE name = ? COLLATE NOCASE",
                (clean_name(name),),
            ).fetchone()
        return Account(r["name"], r["role"], r["created"]) if r else None

    def create(self, name: str, password: str, role: str = OFFICER) -> Account:
        """A new account; the first one is always an admin, so someone can manage the rest."""
        name = clean_name(name)
        if not name:
            raise AccountError("Please give a name.")
        if len(name) > MAX_NAME:
            raise AccountError(f"Please keep the name under {MAX_NAME} characters.")
        if name.lower() == EVERYONE:
            raise AccountError(f"{EVERYONE!r} is reserved for work without an author.")
        if role not in ROLES:
            raise AccountError(f"Unknown role {role!r}.")
        hashed = bcrypt.hashpw(_check_password(password), bcrypt.gensalt()).decode("ascii")
        try:
            with connect(self.db) as con:
                first = con.execute("SELECT COUNT(*) FROM accounts").fetchone()[0] == 0
                role = ADMIN if first else role
                stamp = now()
                con.execute(
                    "INSERT INTO accounts (name, password_hash, role, created) VALUES (?, ?, ?, ?)",
                    (name, hashed, role, stamp),
                )
        except sqlite3.IntegrityError as exc:
            raise AccountError(f"There is already an account called {name!r}.") from exc
        return Account(name, role, stamp)

    def verify(self, name: str, password: str) -> Account | None:
        """The account if the password is right, else None (same work either way)."""
        with connect(self.db) as con:
            r = con.execute(
                "SELECT name, role, created, password_hash FROM accounts "
                "WHERE name = ? COLLATE NOCASE",
                (clean_name(name),),
            ).fetchone()
        raw = password.encode("utf-8")[:MAX_PASSWORD_BYTES]
        # An unknown name still costs a hash check, so timing does not reveal names.
        stored = r["password_hash"].encode("ascii") if r else _DUMMY_HASH
        ok = bcrypt.checkpw(raw, stored)
        return Account(r["name"], r["role"], r["created"]) if r and ok else None

    def set_password(self, name: str, password: str) -> None:
        hashed = bcrypt.hashpw(_check_password(password), bcrypt.gensalt()).decode("ascii")
        with connect(self.db) as con:
            con.execute(
                "UPDATE accounts SET password_hash = ? WHERE name = ? COLLATE NOCASE",
                (hashed, clean_name(name)),
            )

    def set_role(self, name: str, role: str) -> None:
        if role not in ROLES:
            raise AccountError(f"Unknown role {role!r}.")
        with connect(self.db) as con:
            self._keep_an_admin(con, name, losing=role != ADMIN)
            con.execute(
                "UPDATE accounts SET role = ? WHERE name = ? COLLATE NOCASE",
                (role, clean_name(name)),
            )

    def delete(self, name: str) -> None:
        """Remove an account; its work then belongs to everyone (nothing is deleted)."""
        with connect(self.db) as con:
            self._keep_an_admin(con, name, losing=True)
            con.execute("DELETE FROM accounts WHERE name = ? COLLATE NOCASE", (clean_name(name),))

    @staticmethod
    def _keep_an_admin(con: sqlite3.Connection, name: str, losing: bool) -> None:
        if not losing:
            return
        admins = [
            r["name"].lower()
            for r in con.execute("SELECT name FROM accounts WHERE role = ?", (ADMIN,))
        ]
        if admins == [clean_name(name).lower()]:
            raise AccountError("Keep at least one admin: make someone else an admin first.")


_DUMMY_HASH = bcrypt.hashpw(b"not a password", bcrypt.gensalt())
