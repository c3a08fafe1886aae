"""The guide's question framework (``corpus/checklist.yaml``) and finding items on a topic."""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from kb.core.results import Passage

__all__ = ["Checklist", "ChecklistItem", "load_checklist"]

# An item whose question is this close to the user's question is offered even
# when no cited passage comes from its section.
SIMILAR_ENOUGH = 0.55


@dataclass(frozen=True)
class ChecklistItem:
    """One question the guide asks officers to work through, tied to a guide section."""

    id: str
    question: str
    guidance: str
    quote: str
    key_question: str
    section_title: str
    section_path: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["section_path"] = list(self.section_path)
        return d


def _key(text: str) -> str:
    # Headings compared as the checklist file states them: NFKC, whitespace collapsed.
    return " ".join(unicodedata.normalize("NFKC", text).replace("’", "'").split()).lower()


class Checklist:
    """All items of the framework, in the guide's order."""

    def __init__(self, items: Sequence[ChecklistItem], doc_id: str = "lga-guide-2011") -> None:
        self.items = list(items)
        self.doc_id = doc_id
        self._vectors: np.ndarray | None = None
        self._vectors_key = 0
        self._lock = threading.Lock()

    @classmethod
    def from_file(cls, path: Path) -> Checklist:
        """Load ``checklist.yaml``; a missing file means an empty checklist."""
        if not path.exists():
            return cls([])
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        items = []
        for kq in data.get("key_questions") or []:
            for section in kq.get("sections") or []:
                for item in section.get("items") or []:
                    items.append(
                        ChecklistItem(
                            id=str(item["id"]),
                            question=str(item["question"]),
                            guidance=str(item.get("guidance", "")),
                            quote=str(item.get("quote", "")),
                            key_question=str(kq.get("title", "")),
                            section_title=str(section.get("title", "")),
                            section_path=tuple(str(p) for p in section.get("section_path") or ()),
                        )
                    )
        doc_id = str((data.get("source") or {}).get("doc_id", "lga-guide-2011"))
        return cls(items, doc_id)

    def vectors(self, embed: Callable[[list[str]], Any]) -> np.ndarray:
        """Unit vectors of the item questions, embedded once per embedding model.

        Keyed by the embedder object (one per model, kb/embedder.py): when the app
        switches to a build of the tuned model, the items are embedded again by it.
        """
        key = id(getattr(embed, "__self__", embed))
        with self._lock:
            if self._vectors is None or self._vectors_key != key:
                if not self.items:
                    self._vectors = np.zeros((0, 1), dtype=np.float32)
                else:
                    v = np.asarray(embed([i.question for i in self.items]), dtype=np.float32)
                    self._vectors = v / np.linalg.norm(v, axis=1, keepdims=True)
                self._vectors_key = key
            return self._vectors

    def related(
        self,
        query_vector: np.ndarray,
        passages: Sequence[Passage],
        embed: Callable[[list[str]], Any],
        k: int = 3,
    ) -> list[ChecklistItem]:
        """Items on the topic of a question and the passages that answer it.

        An item is on topic when a passage comes from its section of the guide
        (or a subsection of it), or when its question is close in meaning to the
        user's. Section matches come first; within each group, the closest first.

        Args:
            query_vector: the unit embedding of the user's question.
            passages: the passages the answer cites (or retrieved), best first.
            embed: embeds a batch of texts (the knowledge base's model).
            k: at most this many items.
        """
        if not self.items:
            return []
        sims = self.vectors(embed) @ np.asarray(query_vector, dtype=np.float32)
        sections = [
            tuple(_key(s) for s in p.chunk.section)
            for p in passages
            if p.chunk.doc_id == self.doc_id
        ]
        scored = []
        for i, item in enumerate(self.items):
            path = tuple(_key(s) for s in item.section_path)
            in_section = bool(path) and any(s[: len(path)] == path for s in sections)
            if in_section or sims[i] >= SIMILAR_ENOUGH:
                scored.append((in_section, float(sims[i]), i))
        scored.sort(key=lambda t: (t[0], t[1]), reverse=True)
        return [self.items[i] for _, _, i in scored[:k]]


@lru_cache(maxsize=8)
def _load_cached(path: str, mtime: float) -> Checklist:
    return Checklist.from_file(Path(path))


def load_checklist(path: Path) -> Checklist:
    """The checklist file, re-read when it changes."""
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        return Checklist([])
    return _load_cached(str(path), mtime)
