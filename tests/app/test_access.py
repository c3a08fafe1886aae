"""The optional password gate: users sign in; only admins may change the library."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from kb.settings import get_settings


@pytest.fixture
def gated(monkeypatch: pytest.MonkeyPatch, app_settings: object) -> None:
    monkeypatch.setenv("KB_APP_PASSWORD", "open sesame")
    monkeypatch.setenv("KB_ADMIN_PASSWORD", "admin secret")
    get_settings.cache_clear()


def _sign_in(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input[0].set_value(name)
    at.text_input[1].set_value(password)
    at.button[0].click().run()
    return at


@pytest.mark.usefixtures("gated")
def test_a_wrong_password_is_refused(open_app: Callable[..., AppTest]) -> None:
    at = open_app()
    assert at.title[0].value == "Sign in"
    _sign_in(at, "Ann", "guess")
    assert any("not right" in e.value for e in at.error)
    assert at.title[0].value == "Sign in"


@pytest.mark.usefixtures("gated")
def test_a_user_signs_in_but_cannot_change_the_library(open_app: Callable[..., AppTest]) -> None:
    at = _sign_in(open_app(), "Ann", "open sesame")
    assert at.title[0].value == "Shared services guidance assistant"
    assert at.session_state["user"] == "Ann" and not at.session_state["admin"]
    at.switch_page("views/library.py").run()
    assert not any(s.value == "Add a document" for s in at.subheader)


@pytest.mark.usefixtures("gated")
def test_an_admin_can_change_the_library(open_app: Callable[..., AppTest]) -> None:
    at = _sign_in(open_app(), "Bea", "admin secret")
    assert at.session_state["admin"]
    at.switch_page("views/library.py").run()
    assert any(s.value == "Add a document" for s in at.subheader)
