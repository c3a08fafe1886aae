"""The one settings object: read from KB_* variables, and documented everywhere it should be."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from kb.core.settings import REPO_ROOT, Settings


def test_settings_come_from_kb_variables(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("KB_TOP_K", "7")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.data_dir == tmp_path
    assert settings.top_k == 7
    assert settings.state_db == tmp_path / "state.sqlite3"


def test_a_bad_value_is_refused_with_the_setting_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_TOP_K", "ten")
    with pytest.raises(ValidationError, match="top_k"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_secrets_are_not_shown_in_the_settings_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_LLM_API_KEY", "sk-very-secret")
    monkeypatch.setenv("KB_APP_PASSWORD", "hunter2")
    shown = repr(Settings(_env_file=None))  # type: ignore[call-arg]
    assert "sk-very-secret" not in shown and "hunter2" not in shown


@pytest.mark.parametrize("doc", ["README.md", ".env.example"])
def test_every_setting_is_documented(doc: str) -> None:
    text = (REPO_ROOT / doc).read_text(encoding="utf-8")
    missing = [
        f"KB_{name.upper()}" for name in Settings.model_fields if f"KB_{name.upper()}" not in text
    ]
    assert not missing, f"{doc} does not document {missing}"
