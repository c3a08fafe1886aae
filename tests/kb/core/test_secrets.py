"""Secrets (LLM key, passwords) never show in reprs, stats, logs or CLI output."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest

from kb.api import KnowledgeBase
from kb.core.settings import Settings

KEY, PASSWORD, ADMIN = "sk-test-KEY-123456", "hunter2-PASSWORD", "admin-SECRET-789"


def test_secrets_are_hidden_in_reprs_and_stats(
    built_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = Settings(
        **{
            **built_settings.model_dump(),
            "llm_api_key": KEY,
            "app_password": PASSWORD,
            "admin_password": ADMIN,
        }
    )
    kb = KnowledgeBase(settings)
    kb.search("Is sharing legal?", k=2)
    shown = " ".join(
        [
            repr(settings),
            str(settings),
            str(settings.model_dump()),
            settings.model_dump_json(),
            repr(kb.stats()),
            caplog.text,
        ]
    )
    for secret in (KEY, PASSWORD, ADMIN):
        assert secret not in shown
    assert settings.llm_api_key is not None and settings.llm_api_key.get_secret_value() == KEY


@pytest.mark.slow
def test_cli_output_never_shows_secrets(built_settings: Settings) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env.update(
        KB_DATA_DIR=str(built_settings.data_dir),
        KB_LLM_API_KEY=KEY,
        KB_APP_PASSWORD=PASSWORD,
        KB_ADMIN_PASSWORD=ADMIN,
        HF_HUB_OFFLINE="1",
    )
    for args in (["stats"], ["stats", "--json"], ["search", "governance", "--json", "--k", "2"]):
        run = subprocess.run(
            [sys.executable, "-m", "cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert run.returncode == 0, run.stderr
        for secret in (KEY, PASSWORD, ADMIN):
            assert secret not in run.stdout + run.stderr
