"""Accounts: sign-in once two officers have accounts, admins alone manage the library."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from kb.core.settings import Settings, get_settings
from kb.workspace.accounts import AccountStore


def _sign_in(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input[0].set_value(name)
    at.text_input[1].set_value(password)
    next(b for b in at.button if b.label == "Sign in").click().run()
    return at


@pytest.fixture
def two_accounts(app_settings: Settings) -> AccountStore:
    accounts = AccountStore(app_settings.state_db)
    accounts.create("Bea", "admin secret")  # the first account is the admin
    accounts.create("Ann", "ann's password")
    return accounts


def test_one_person_needs_no_sign_in_and_is_admin(open_app: Callable[..., AppTest]) -> None:
    at = open_app()
    assert at.title[0].value == "Shared services guidance assistant"
    assert at.session_state["user"] == "officer" and at.session_state["admin"]


@pytest.mark.usefixtures("two_accounts")
def test_a_wrong_password_is_refused(open_app: Callable[..., AppTest]) -> None:
    at = open_app()
    assert at.title[0].value == "Sign in"
    _sign_in(at, "Ann", "guess at it")
    assert any("do not match" in e.value for e in at.error)
    assert at.title[0].value == "Sign in"


@pytest.mark.usefixtures("two_accounts")
def test_an_officer_signs_in_but_cannot_manage_the_library_or_accounts(
    open_app: Callable[..., AppTest],
) -> None:
    at = _sign_in(open_app(), "ann", "ann's password")
    assert at.title[0].value == "Shared services guidance assistant"
    assert at.session_state["user"] == "Ann" and not at.session_state["admin"]
    at.switch_page("views/library.py").run()
    assert not any(s.value == "Add a document" for s in at.subheader)
    at.switch_page("views/accounts.py").run()
    assert not any(s.value == "Add an account" for s in at.subheader)


@pytest.mark.usefixtures("two_accounts")
def test_an_admin_manages_the_library_and_accounts(open_app: Callable[..., AppTest]) -> None:
    at = _sign_in(open_app(), "Bea", "admin secret")
    assert at.session_state["admin"]
    at.switch_page("views/library.py").run()
    assert any(s.value == "Add a document" for s in at.subheader)
    at.switch_page("views/accounts.py").run()
    assert any(s.value == "Add an account" for s in at.subheader)


def test_the_admin_password_setting_creates_the_first_account(
    open_app: Callable[..., AppTest], app_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KB_ADMIN_PASSWORD", "bootstrap secret")
    get_settings.cache_clear()
    at = open_app()
    assert at.title[0].value == "Sign in"
    _sign_in(at, "Cy", "bootstrap secret")
    assert at.session_state["user"] == "Cy" and at.session_state["admin"]
    made = AccountStore(app_settings.state_db).verify("Cy", "bootstrap secret")
    assert made is not None and made.is_admin
