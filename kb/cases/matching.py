"""Matching case studies to an officer's question or situation, with the reason in words."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kb.cases.library import MISSING_ARTIFACT, load_cases, read_reviewed
from kb.core.case_facets import (
    detect_council_types,
    detect_model,
    detect_services,
    format_gbp,
)
from kb.core.records import CaseRecord, Saving
from kb.core.store import Index

__all__ = [
    "CaseLibrary",
    "CaseMatch",
    "describe_saving",
    "format_case",
    "library_for",
    "profile_text",
    "saving_services",
]

# Weights of facet overlap added to text similarity (cosine, about 0.2-0.7).
SERVICE_WEIGHT = 0.18
TYPE_WEIGHT = 0.04
MODEL_WEIGHT = 0.04
COUNT_WEIGHT = 0.03
# Taken off when the question names a kind of council and the record names only others:
# two county councils are not helped by two London boroughs' example.
TYPE_MISMATCH = 0.06
# Added in proportion to how much of the record is about the services asked for: a
# legal partnership answers "share a legal team" better than a merger naming legal last.
FOCUS_WEIGHT = 0.06

_NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "both": 2}
_COUNT = re.compile(
    r"\b(two|three|four|five|six|seven|both|[2-7])\b(?:\s+\w+){0,2}?\s+"
    r"(?:councils|districts|boroughs|authorities|partners|counties|unitaries|neighbouring)\b",
    re.I,
)


@dataclass(frozen=True)
class CaseMatch:
    """A record matched to a question: its score and, in words, why it matched."""

    record: CaseRecord
    score: float
    reason: str
    matched: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {**self.record.to_dict(), "score": round(self.score, 4), "reason": self.reason}


# --- matching -----------------------------------------------------------------


class CaseLibrary:
    """The records of one build, with what matching needs (vectors), built once."""

    def __init__(self, index: Index, records: list[CaseRecord], problems: list[str]) -> None:
        self.index = index
        self.records = records
        self.problems = problems
        # False for an index built before the ingest stage existed: short records only.
        self.complete = MISSING_ARTIFACT not in problems
        self._vectors: list[np.ndarray] | None = None
        self._lock = threading.Lock()

    def get(self, case_id: str) -> CaseRecord | None:
        """The record with this id, if the build has it."""
        return next((r for r in self.records if r.id == case_id), None)

    def at(self, chunk: Any, offset: int) -> CaseRecord | None:
        """The case study the text at ``offset`` in ``chunk`` is from: the chunk's own
        (an Appendix 2 case study), else the named example whose source text holds it."""
        if chunk.case_id:
            return self.get(chunk.case_id)
        where = chunk.start + offset
        for r in self.records:
            source = r.source
            if source.get("doc_id") == chunk.doc_id and r.kind == "short":
                if int(source.get("start", -1)) <= where < int(source.get("end", -1)):
                    return r
        return None

    def vectors(self, embed: Callable[[list[str]], Any]) -> list[np.ndarray]:
        """Per record, unit vectors of its text: its indexed passages, or its summary.

        ``embed`` must be the build's model (its passages' vectors are compared too).
        """
        with self._lock:
            if self._vectors is None:
                self._vectors = self._build_vectors(embed)
            return self._vectors

    def _build_vectors(self, embed: Callable[[list[str]], Any]) -> list[np.ndarray]:
        by_case: dict[str, list[int]] = {}
        for row, chunk_id in enumerate(self.index.order):
            case_id = self.index.chunks[chunk_id].case_id
            if case_id:
                by_case.setdefault(case_id, []).append(row)
        matrix = self.index.embeddings() if by_case else None
        heads = [f"{r.title}. {r.summary}" for r in self.records]
        head_vecs = _unit(np.asarray(embed(heads), dtype=np.float32))
        out = []
        for r, head in zip(self.records, head_vecs, strict=True):
            rows = by_case.get(r.id) if r.kind == "full" else None
            if rows and matrix is not None:
                out.append(np.vstack([head[None, :], _unit(matrix[rows])]))
            else:
                out.append(head[None, :])
        return out

    def match(
        self, text: str, query_vector: Sequence[float], k: int, embed: Callable[[list[str]], Any]
    ) -> list[CaseMatch]:
        q = _unit(np.asarray(query_vector, dtype=np.float32)[None, :])[0]
        wants = {
            "services": detect_services(text),
            "council_types": detect_council_types(text),
            "model": detect_model(text),
            "count": _count(text),
        }
        scored = []
        for record, vecs in zip(self.records, self.vectors(embed), strict=True):
            sims = np.sort(vecs @ q)[::-1]
            text_sim = float(sims[0] if len(sims) == 1 else 0.7 * sims[0] + 0.3 * sims[1])
            facet, matched = _facet_score(record, wants)
            scored.append(CaseMatch(record, text_sim + facet, _reason(record, matched), matched))
        scored.sort(key=lambda m: -m.score)
        return scored[:k]


def _unit(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return m / np.where(norms == 0, 1, norms)


def _count(text: str) -> int | None:
    m = _COUNT.search(text)
    if not m:
        return None
    word = m.group(1).lower()
    return _NUMBERS.get(word) or int(word)


def _facet_score(record: CaseRecord, wants: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    services = [s for s in wants["services"] if s in record.services]
    types = [t for t in wants["council_types"] if t in record.council_types]
    model = wants["model"] if wants["model"] and wants["model"] == record.model else None
    mismatch = bool(wants["council_types"] and record.council_types and not types)
    count = (
        wants["count"]
        if wants["count"] and wants["count"] == len(record.councils) and not mismatch
        else None
    )
    score = 0.0
    if wants["services"]:
        score += SERVICE_WEIGHT * len(services) / len(wants["services"])
        score += FOCUS_WEIGHT * len(services) / max(len(record.services), 1)
    if wants["council_types"]:
        score += TYPE_WEIGHT * len(types) / len(wants["council_types"])
    score += MODEL_WEIGHT * bool(model) + COUNT_WEIGHT * bool(count) - TYPE_MISMATCH * mismatch
    matched = {
        "services": services,
        "council_types": types,
        "model": model,
        "count": count,
        "asked_types": list(wants["council_types"]),
    }
    return score, matched


_COUNCIL_KINDS = ("district", "county", "unitary", "metropolitan", "London borough")
_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven"}


def _reason(record: CaseRecord, matched: dict[str, Any]) -> str:
    """Why a record matched, in an officer's words, stating only what the record holds."""
    parts = []
    if matched["services"]:
        parts.append("shares " + _join(matched["services"]))
    n = len(record.councils)
    kinds = [t for t in matched["council_types"] if t in _COUNCIL_KINDS]
    if not kinds and matched["count"] and not matched.get("asked_types"):
        kinds = [t for t in record.council_types if t in _COUNCIL_KINDS]
    record_kinds = {t for t in record.council_types if t in _COUNCIL_KINDS}
    if kinds and not record_kinds <= set(kinds):
        # Not every council is of the kind asked for: say only that one is.
        parts.append(_join([f"a {k} council" for k in kinds]).join(("includes ", "")))
    elif kinds or matched["count"]:
        number = _WORDS.get(n, str(n)) if n and matched["count"] else ""
        noun = "council" if number and n == 1 else "councils"
        if len(kinds) > 1:
            parts.append(f"{number} {noun} ({' and '.join(kinds)})".strip())
        else:
            parts.append(" ".join(x for x in (number, *kinds, noun) if x))
    others = [t for t in matched["council_types"] if t not in _COUNCIL_KINDS]
    if others:
        parts.append("with " + _join(others))
    if matched["model"]:
        parts.append(matched["model"])
    headline = _headline_saving(record, matched["services"])
    if headline:
        parts.append(headline)
    if not matched["services"] and not matched["model"]:
        parts.insert(0, "similar situation: " + _clip(record.summary or record.title, 110))
    return "; ".join(parts)


def saving_services(saving: Saving) -> list[str]:
    """The services a saving is about, as its description names them."""
    return detect_services(saving.refers_to)


def _headline_saving(record: CaseRecord, services: Sequence[str] = ()) -> str:
    """The record's main saving; with services asked about, only a saving on one of them."""
    own = [s for s in record.savings if not s.doc_id] or list(record.savings)
    if services:
        # A saving is about the services its description names, or, when it names
        # none, about the record's one service if it shares only one.
        sole = list(record.services) if len(record.services) == 1 else []
        own = [s for s in own if set(saving_services(s) or sole) & set(services)]
    if not own:
        return ""
    achieved = [s for s in own if not s.projected] or own
    best = next((s for s in achieved if s.period == "per year"), achieved[0])
    return describe_saving(best)


def describe_saving(best: Saving) -> str:
    """``saved £350,000 a year – shared revenues and benefits service`` for one saving."""
    amount = format_gbp(best.amount_gbp)
    if best.projected:
        text = f"expects to save {amount}" + (" a year" if best.period == "per year" else "")
    elif best.period == "per year":
        text = f"saved {amount} a year"
    else:
        text = f"saved {amount}" + (" in all" if best.period == "cumulative" else " once")
    if best.refers_to and len(best.refers_to) <= 90:
        text += f" – {best.refers_to}"
    return text


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


def profile_text(text_or_profile: Any) -> str:
    """A question as text: a profile dict is turned into a sentence of its facets."""
    if isinstance(text_or_profile, str):
        return text_or_profile
    if isinstance(text_or_profile, dict):
        bits = [str(text_or_profile.get("text") or "")]
        if text_or_profile.get("council_types"):
            bits.append(" and ".join(text_or_profile["council_types"]) + " councils")
        if text_or_profile.get("services"):
            bits.append("sharing " + _join(list(text_or_profile["services"])))
        if text_or_profile.get("model"):
            bits.append(f"through a {text_or_profile['model']}")
        return " ".join(b for b in bits if b).strip()
    raise TypeError("match_cases takes a question (str) or a profile (dict).")


_LIBRARIES: dict[tuple[str, float], CaseLibrary] = {}
_LIBRARIES_LOCK = threading.Lock()


def library_for(index: Index, reviewed_path: Path) -> CaseLibrary:
    """The records of a build with the reviewed file as it is now (cached on both)."""
    stamp = reviewed_path.stat().st_mtime if reviewed_path.exists() else 0.0
    key = (str(index.path), stamp)
    with _LIBRARIES_LOCK:
        library = _LIBRARIES.get(key)
        if library is None:
            records, problems = load_cases(index, read_reviewed(reviewed_path))
            library = CaseLibrary(index, records, problems)
            if len(_LIBRARIES) > 8:
                _LIBRARIES.clear()
            _LIBRARIES[key] = library
        return library


def format_case(item: CaseRecord | CaseMatch) -> str:
    """A record (or a match, with its reason) as a few lines for a terminal."""
    match = item if isinstance(item, CaseMatch) else None
    r = item.record if isinstance(item, CaseMatch) else item
    src = r.source
    where = ", ".join(
        str(x)
        for x in (
            src.get("doc_id"),
            f"p. {src['page']}" if src.get("page") else None,
            src.get("date"),
        )
        if x
    )
    lines = [f"{r.title} [{r.id}, {r.kind}]"]
    if match is not None:
        lines.append(f"  why: {match.reason}")
    if r.councils:
        lines.append("  who: " + "; ".join(r.councils))
    facts = [
        x for x in (", ".join(r.services), r.model, f"since {r.started}" if r.started else "") if x
    ]
    if facts:
        lines.append("  what: " + " | ".join(facts))
    for s in r.savings[:3]:
        label = {"per year": "a year", "cumulative": "in all", "one-off": "once"}.get(
            s.period, s.period
        )
        lines.append(
            f"  saving: {format_gbp(s.amount_gbp)} {label}"
            + (" (expected)" if s.projected else "")
            + (f" – {s.refers_to}" if s.refers_to else "")
        )
    lines.append(f"  source: {where}" + (f" › {src['section']}" if src.get("section") else ""))
    return "\n".join(lines)
