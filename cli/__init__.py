"""The `kb` command line: composes ingest, kb and eval, so none of them imports another's CLI.

Entry point ``kb = "cli:main"``; ``python -m cli`` runs the same.
"""

from __future__ import annotations

from cli.main import app, main

__all__ = ["app", "main"]
