"""Export feedback given in the app as candidate gold questions for review.

Each exported line has the gold-set fields (``id``, ``question``,
``evidence``, ``kind``, ``doc_id``, ``style``, ``case_ids``) with the evidence
left empty for a reviewer to fill with exact quotes, plus what the user said
(rating, comment, correction) and which passages the answer cited, so the
reviewer can find the quotes. Nothing is added to the gold sets
automatically: they are versioned data (``eval/README.md``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kb.core.settings import Settings
from kb.workspace.state import ChatStore

REVIEW_NOTE = "candidate: add 1-3 exact evidence quotes, a kind, a style and a doc_id before use"
CITATION_KEYS = ("n", "doc_id", "title", "section", "page", "text")


class FeedbackUnavailable(RuntimeError):
    """The feedback store cannot be read."""


def read_feedback(db: Path) -> list[dict[str, Any]]:
    """All feedback rows, oldest first; none when the app has never stored any."""
    if not db.exists():  # do not create an empty state database just to read it
        return []
    try:
        return ChatStore(db).feedback()
    except (sqlite3.Error, json.JSONDecodeError) as exc:
        raise FeedbackUnavailable(f"cannot read feedback from {db}: {exc}.") from exc


def candidate(row: Mapping[str, Any]) -> dict[str, Any]:
    """One candidate gold question from one feedback row."""
    citations = row.get("citations") or []
    return {
        "id": f"fb{int(row['id']):04d}",
        "question": " ".join(str(row["question"]).split()),
        "evidence": [],
        "kind": "",
        "doc_id": "",
        "style": "",
        "case_ids": [],
        "status": REVIEW_NOTE,
        "feedback": {
            "rating": row.get("rating"),
            "comment": row.get("comment") or "",
            "correction": row.get("correction") or "",
            "answer": row.get("answer") or "",
            "abstained": bool(row.get("abstained")),
            "created": row.get("created"),
        },
        "cited_passages": [
            {k: c[k] for k in CITATION_KEYS if c.get(k) is not None}
            for c in citations
            if isinstance(c, Mapping)
        ],
    }


def export_feedback(settings: Settings, path: Path) -> int:
    """Write candidate gold questions to ``path`` (JSONL); return how many.

    A question asked (and rated) more than once is exported once, with its
    latest feedback, since it needs one review.
    """
    latest: dict[str, dict[str, Any]] = {}
    for row in read_feedback(settings.state_db):
        if str(row.get("question") or "").strip():
            c = candidate(row)
            latest.pop(c["question"].lower(), None)  # re-inserted: in order of latest feedback
            latest[c["question"].lower()] = c
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for c in latest.values():
            fh.write(json.dumps(c, ensure_ascii=False, default=str) + "\n")
    return len(latest)


def learned_from_feedback(kb: Any) -> list[dict[str, Any]]:
    """Officers' corrections that `kb tune` trains on, and where their passage ranks now.

    A thumbs-down whose correction quotes a passage of the library becomes a
    training pair at the next ``kb tune`` (kb/tuning/pairs.py); the rank shows
    whether the model in use has learned it (1 = the corrected passage comes first).
    """
    from kb.tuning.pairs import feedback_pairs

    rows = read_feedback(kb.settings.state_db)
    out = []
    for pair in feedback_pairs(kb.index, rows):
        ranked = [p.chunk.id for p in kb.search(pair.query, k=10)]
        chunk = kb.index.chunks[pair.chunk_id]
        out.append(
            {
                "question": pair.query,
                "passage": chunk.text[:160],
                "section": chunk.section_label,
                "rank_now": ranked.index(pair.chunk_id) + 1 if pair.chunk_id in ranked else None,
                "model": kb.index.info.get("embed_model"),
            }
        )
    return out
