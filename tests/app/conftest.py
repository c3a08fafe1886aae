"""The app over a private copy of the real index, for AppTest and the browser test."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from kb.core.settings import REPO_ROOT, Settings, get_settings

HOME = REPO_ROOT / "app" / "Home.py"


@pytest.fixture
def app_settings(
    built_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    """KB_DATA_DIR set to a copy of the session's index; the app reads it via get_settings()."""
    data = tmp_path / "data"
    shutil.copytree(built_settings.data_dir, data)
    monkeypatch.setenv("KB_DATA_DIR", str(data))
    monkeypatch.setenv("KB_APP_WARM", "false")  # no background embedding in tests
    get_settings.cache_clear()
    yield Settings(data_dir=data, corpus_dir=REPO_ROOT / "corpus", app_warm=False)
    get_settings.cache_clear()


@pytest.fixture
def open_app(app_settings: Settings) -> Callable[..., AppTest]:
    """A new browser session of the app (optionally on a page), run once."""

    def open_page(page: str | None = None, **query: str) -> AppTest:
        at = AppTest.from_file(str(HOME), default_timeout=120)
        if page:
            at.switch_page(f"views/{page}.py")
        for k, v in query.items():
            at.query_params[k] = v
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return open_page
