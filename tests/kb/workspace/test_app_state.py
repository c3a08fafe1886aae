"""The app's SQLite state: assessments, chats and feedback, with concurrent writers."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from kb.checklist.assessments import AssessmentError, AssessmentStore
from kb.workspace.accounts import ADMIN, EVERYONE, OFFICER, AccountError, AccountStore
from kb.workspace.state import ChatStore, Feedback, connect


def _accounts(db: Path, *names: str) -> AccountStore:
    accounts = AccountStore(db)
    for name in names:
        accounts.create(name, f"{name} password")
    return accounts


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
    _accounts(tmp_path / "s.db", "ann", "bob")
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
    _accounts(db, "ann", "bob")
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


def test_passwords_are_stored_as_bcrypt_hashes_and_checked(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    accounts = AccountStore(db)
    first = accounts.create("Ann Smith", "correct horse")
    assert first.role == ADMIN  # the first account can manage the rest
    assert accounts.create("Bob", "battery staple", role=ADMIN).role == ADMIN
    assert accounts.create("Cy", "cy password").role == OFFICER
    with connect(db) as con:
        stored = con.execute("SELECT password_hash FROM accounts WHERE name = 'Ann Smith'")
        hashed = stored.fetchone()[0]
    assert hashed.startswith("$2b$") and "correct horse" not in hashed
    assert accounts.verify("ann  smith", "correct horse").name == "Ann Smith"
    assert accounts.verify("Ann Smith", "wrong horse") is None
    assert accounts.verify("Nobody", "correct horse") is None
    for bad in ("short", "x" * 80):
        with pytest.raises(AccountError):
            accounts.create("Dee", bad)
    with pytest.raises(AccountError):
        accounts.create("ANN SMITH", "another password")
    with pytest.raises(AccountError):
        accounts.create("Everyone", "another password")


def test_the_last_admin_cannot_be_removed_or_demoted(tmp_path: Path) -> None:
    accounts = _accounts(tmp_path / "s.db", "ann", "bob")
    with pytest.raises(AccountError):
        accounts.delete("ann")
    with pytest.raises(AccountError):
        accounts.set_role("ann", OFFICER)
    accounts.set_role("bob", ADMIN)
    accounts.delete("ann")
    assert [a.name for a in accounts.list()] == ["bob"]


def test_work_from_before_accounts_belongs_to_everyone_until_its_author_has_one(
    tmp_path: Path,
) -> None:
    db = tmp_path / "s.db"
    chats, store = ChatStore(db), AssessmentStore(db)
    old_chat = chats.new_chat("officer", "Asked before accounts")
    typed = store.create("Ann", "Typed at the old shared-password gate")
    _accounts(db, "Root", "Bob")
    # Nothing is lost: both belong to everyone, and everyone can see and edit them.
    assert [(c["id"], c["owner"]) for c in chats.chats("Bob")] == [(old_chat, EVERYONE)]
    assert store.get("Bob", typed).owner == EVERYONE
    store.set_item("Bob", typed, "x", "done", "Bob's note")
    # Bob cannot delete everyone's work; an admin can.
    with pytest.raises(AssessmentError):
        store.delete("Bob", typed)
    assert not chats.delete_chat("Bob", old_chat)
    # Ann's account gives her her work back, and it is no longer everyone's.
    AccountStore(db).create("ann", "ann password")
    assert store.get("Ann", typed).access == "owner"
    assert store.list("Bob") == []
    assert chats.delete_chat("Root", old_chat, admin=True)
    assert chats.chats("Bob") == []


def test_an_assessment_is_shared_to_read_or_to_edit(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    _accounts(db, "ann", "bob", "cy")
    store = AssessmentStore(db)
    aid = store.create("ann", "Legal with the county")
    store.set_item("ann", aid, "x", "in_progress", "ann's note")
    assert store.list("bob") == [] and store.list("cy") == []
    store.share("ann", aid, "Bob", "edit")
    store.share("ann", aid, "cy", "read")
    assert store.shares("ann", aid) == {"bob": "edit", "cy": "read"}
    shared = store.get("bob", aid)
    assert shared.owner == "ann" and shared.access == "edit"
    store.set_item("bob", aid, "x", "done", "bob's change")
    assert store.get("ann", aid).state("x").notes == "bob's change"
    assert store.get("cy", aid).state("x").notes == "bob's change"
    with pytest.raises(AssessmentError, match="read only"):
        store.set_item("cy", aid, "x", "done", "cy's change")
    for who in ("bob", "cy"):  # only the author shares, renames and deletes
        with pytest.raises(AssessmentError):
            store.share(who, aid, "cy", "edit")
        with pytest.raises(AssessmentError):
            store.delete(who, aid)
    with pytest.raises(AssessmentError):
        store.share("ann", aid, "nobody", "read")
    store.unshare("ann", aid, "cy")
    assert [a.id for a in store.list("cy")] == []
    store.delete("ann", aid)
    assert store.list("bob") == []


def test_officers_delete_their_own_conversations_and_feedback_only(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    _accounts(db, "ann", "bob")
    chats = ChatStore(db)
    cid = chats.new_chat("ann", "Mine")
    assert chats.chats("bob") == []
    assert not chats.delete_chat("bob", cid)
    assert chats.delete_chat("ann", cid) and chats.chats("ann") == []
    fid = chats.add_feedback(Feedback("ann", "Q?", "A.", "down"))
    assert chats.feedback_by("bob") == []
    chats.delete_feedback("bob", fid)
    assert [f["id"] for f in chats.feedback_by("ann")] == [fid]
    chats.delete_feedback("ann", fid)
    assert chats.feedback() == []
