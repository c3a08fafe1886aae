"""What every command shares: one-sentence errors, JSON output, query files, the index."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import typer

from kb.api import KnowledgeBase
from kb.core.store import NoIndexError

__all__ = ["emit", "fail", "knowledge_base", "read_queries"]


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one clear sentence and exit non-zero; no traceback for user errors."""
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


def emit(obj: Any) -> None:
    try:
        sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    except UnicodeEncodeError:
        # A query with undecodable bytes, or a non-UTF-8 terminal: escaped JSON
        # is still valid JSON and always encodable.
        sys.stdout.write(json.dumps(obj) + "\n")


def read_queries(path: Path) -> list[dict[str, Any]]:
    """JSONL lines with at least ``id`` and ``question``."""
    if not path.exists():
        fail(f"no such queries file: {path}.")
    rows = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (UnicodeDecodeError, OSError):
        fail(f"{path.name} cannot be read as UTF-8 text.")
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            fail(f"{path.name} line {n} is not valid JSON.")
        if not isinstance(row, dict) or "id" not in row or "question" not in row:
            fail(f"{path.name} line {n} needs an 'id' and a 'question'.")
        if not isinstance(row["question"], str):
            fail(f"{path.name} line {n}: the question must be a string.")
        rows.append(row)
    return rows


def knowledge_base() -> KnowledgeBase:
    kb = KnowledgeBase()
    try:
        kb.index  # noqa: B018 - open now so a missing index is one clear message
    except NoIndexError as exc:
        fail(str(exc))
    return kb
