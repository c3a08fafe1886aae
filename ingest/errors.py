"""The one exception ingest raises for a file it cannot take."""

from __future__ import annotations


class IngestError(Exception):
    """A file could not be ingested; the message is one sentence for the user."""
