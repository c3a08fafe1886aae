"""Guidance for one checklist item: where the guide says it, and passages and cases on it."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import streamlit as st

from app.cases import matching
from app.common import knowledge_base
from kb.checklist.questions import ChecklistItem, load_checklist
from kb.core.records import SearchFilters


def checklist() -> Any:
    kb = knowledge_base()
    return load_checklist(kb.settings.corpus_dir / "checklist.yaml")


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')


@st.cache_data(show_spinner=False, max_entries=512)
def locate(build_id: str, doc_id: str, path: tuple[str, ...], quote: str) -> tuple[int, int] | None:
    """Character span of the item's quote in the guide, else of its section (None if neither)."""
    index = knowledge_base().index
    if doc_id not in index.documents:
        return None
    if quote:
        words = _fold(quote).split()
        pattern = r"\s+".join(re.escape(w) for w in words)
        text = _fold(index.document_text(doc_id))
        if len(text) == len(index.document_text(doc_id)):  # folding kept offsets
            m = re.search(pattern, text, re.IGNORECASE)
            if m:
                return m.start(), m.end()
    want = [" ".join(_fold(p).split()).lower() for p in path]
    for s in index.documents[doc_id].sections:
        have = [" ".join(_fold(p).split()).lower() for p in s["path"]]
        if want and have[: len(want)] == want:
            return int(s["start"]), int(s["end"])
    return None


@st.cache_data(show_spinner=False, max_entries=256)
def related(build_id: str, item_id: str, question: str) -> dict[str, Any]:
    """Guide passages from the item's section (or the whole library) and matching cases.

    Call ``model_ready()`` first: this searches with the embedding model.
    """
    kb = knowledge_base()
    item: ChecklistItem | None = next((i for i in checklist().items if i.id == item_id), None)
    section = item.section_path[-1] if item and item.section_path else None
    passages = kb.search(question, k=3, filters=SearchFilters(section=section)) if section else []
    if not passages:
        passages = kb.search(question, k=3)
    return {
        "passages": [p.to_dict() for p in passages],
        "cases": matching(kb, question, k=3),
    }
