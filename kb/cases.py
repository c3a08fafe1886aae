"""Case studies as records: load, filter, and match them to an officer's situation.

Full records come from the ingest artifact ``cases`` (extracted by rule from the
guide's structure); ``corpus/case_studies.yaml`` corrects their facets and adds
short records for the other examples the corpus names. The reviewed file is
applied here, at load, so a correction needs no re-ingest; every quote in it
is located in its document, which gives short records their section and page.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from kb.case_facets import (
    MODELS,
    SERVICES,
    detect_council_types,
    detect_model,
    detect_services,
    format_gbp,
    parse_savings,
)
from kb.models import SECTION_SEP, CaseRecord, Chunk, Saving
from kb.store import Index

__all__ = [
    "CaseLibrary",
    "CaseMatch",
    "CaseRecord",
    "Saving",
    "describe_saving",
    "filter_cases",
    "format_case",
    "load_cases",
    "match_cases",
    "page_at",
    "profile_text",
    "saving_services",
]

REVIEWED_FILE = "case_studies.yaml"
MISSING_ARTIFACT = (
    "This index was built before case studies were extracted at ingest, so only the short "
    "records are listed; rebuild it (kb ingest, after any change to the corpus) to add the "
    "full case studies."
)

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


# --- locating quotes --------------------------------------------------------

_PUNCT = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def _normalised(text: str) -> tuple[str, list[int]]:
    """Text folded for matching (NFKC, straight quotes, one space), with original offsets."""
    out: list[str] = []
    offsets: list[int] = []
    space = False
    for i, ch in enumerate(text):
        folded = unicodedata.normalize("NFKC", ch).translate(_PUNCT)
        if folded.isspace() or not folded:
            space = bool(out)
            continue
        if space:
            out.append(" ")
            offsets.append(i)
            space = False
        for c in folded:
            out.append(c)
            offsets.append(i)
    return "".join(out), offsets


class _Located:
    """One document's text, searchable for quotes regardless of spacing and quote marks."""

    def __init__(self, text: str, sections: Sequence[dict[str, Any]], chunks: Sequence[Chunk]):
        self.text = text
        self.folded, self.offsets = _normalised(text)
        self.sections = sections
        self.chunks = sorted(chunks, key=lambda c: c.start)

    def find(self, quote: str) -> int | None:
        folded, _ = _normalised(quote)
        at = self.folded.find(folded)
        return self.offsets[at] if at >= 0 and folded else None

    def section_at(self, offset: int) -> str:
        for s in self.sections:
            if s["start"] <= offset < s["end"]:
                return SECTION_SEP.join(s["path"])
        return ""


def page_at(chunks: Sequence[Chunk], offset: int) -> int | None:
    """The page of the passage holding ``offset`` (None for documents without pages)."""
    page = None
    for c in chunks:
        if c.start <= offset:
            page = c.page if c.page is not None else page
            if offset < c.end:
                return c.page
        else:
            break
    return page


# --- loading ------------------------------------------------------------------


def read_reviewed(path: Path) -> dict[str, Any]:
    """The reviewed file; a missing one is empty."""
    if not path.exists():
        return {}
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def load_cases(index: Index, reviewed: dict[str, Any]) -> tuple[list[CaseRecord], list[str]]:
    """All records of a build with the reviewed data applied, and any problems found.

    A problem (a quote not found in its document, an unknown service) is
    reported, not raised: the record is kept with what could be established.
    """
    problems: list[str] = []
    docs: dict[str, _Located] = {}

    def located(doc_id: str) -> _Located | None:
        if doc_id not in docs:
            record = index.documents.get(doc_id)
            if record is None:
                return None
            chunks = [index.chunks[c] for c in record.chunk_ids if c in index.chunks]
            docs[doc_id] = _Located(index.document_text(doc_id), record.sections, chunks)
        return docs[doc_id]

    artifact = index.artifact("cases")
    if artifact is None:
        problems.append(MISSING_ARTIFACT)
        artifact = {}
    full = [CaseRecord.from_dict(r) for r in artifact.get("records") or []]
    fixes = reviewed.get("full") or {}
    records = [_corrected(r, fixes.get(r.id) or {}, located, problems) for r in full]
    seen = {r.id for r in records}
    for row in reviewed.get("short") or []:
        if row.get("id") in seen:
            problems.append(f"short record {row.get('id')}: id already used")
            continue
        record = _short_record(row, index, located, problems)
        if record is not None:
            records.append(record)
            seen.add(record.id)
    for r in records:
        unknown = [s for s in r.services if s not in SERVICES]
        if unknown:
            problems.append(f"{r.id}: services not in the vocabulary: {', '.join(unknown)}")
        if r.model and r.model not in MODELS:
            problems.append(f"{r.id}: model {r.model!r} not in the vocabulary")
    return records, problems


def _check_evidence(
    record_id: str, doc_id: str, evidence: dict[str, str], located: Any, problems: list[str]
) -> None:
    doc = located(doc_id)
    for name, quote in evidence.items():
        if doc is None or doc.find(quote) is None:
            problems.append(f"{record_id}: evidence for {name} not found in {doc_id}")


def _corrected(
    record: CaseRecord, fix: dict[str, Any], located: Any, problems: list[str]
) -> CaseRecord:
    if not fix:
        return record
    doc_id = record.source.get("doc_id", "")
    changes: dict[str, Any] = {
        name: fix[name]
        for name in (
            "title",
            "councils",
            "council_types",
            "partners",
            "services",
            "model",
            "started",
        )
        if name in fix
    }
    if "started" in changes and changes["started"] is not None:
        changes["started"] = str(changes["started"])
    evidence = {**record.evidence, **(fix.get("evidence") or {})}
    _check_evidence(record.id, doc_id, fix.get("evidence") or {}, located, problems)
    savings = list(record.savings)
    for f in fix.get("savings_fix") or []:
        hit = next(
            (
                i
                for i, s in enumerate(savings)
                if abs(s.amount_gbp - float(f["amount_gbp"])) < 0.5
                and str(f.get("sentence_has", "")) in s.sentence
            ),
            None,
        )
        if hit is None:
            problems.append(
                f"{record.id}: no saving of {format_gbp(float(f['amount_gbp']))} to correct"
            )
            continue
        updates = {k: f[k] for k in ("period", "refers_to", "projected") if k in f}
        savings[hit] = replace(savings[hit], **updates)
    for add in fix.get("savings_add") or []:
        saving = _saving(add, doc_id)
        doc = located(saving.doc_id or doc_id)
        if doc is None or doc.find(saving.sentence) is None:
            problems.append(f"{record.id}: saving sentence not found in {saving.doc_id or doc_id}")
        savings.append(saving)
    return replace(record, **changes, evidence=evidence, savings=savings)


def _saving(row: dict[str, Any], default_doc: str) -> Saving:
    doc_id = row.get("doc_id")
    return Saving(
        amount_gbp=float(row["amount_gbp"]),
        period=str(row.get("period", "cumulative")),
        refers_to=str(row.get("refers_to", "")),
        sentence=" ".join(str(row.get("sentence", "")).split()),
        projected=bool(row.get("projected", False)),
        doc_id=doc_id if doc_id and doc_id != default_doc else None,
    )


def _short_record(
    row: dict[str, Any], index: Index, located: Any, problems: list[str]
) -> CaseRecord | None:
    record_id, doc_id = str(row.get("id", "")), str(row.get("doc_id", ""))
    quote = " ".join(str(row.get("quote", "")).split())
    if not record_id or not quote:
        problems.append(f"short record {record_id or '(no id)'}: needs an id and a quote")
        return None
    doc = located(doc_id)
    if doc is None:
        problems.append(f"{record_id}: document {doc_id} is not in the index")
        return None
    start = doc.find(quote)
    if start is None:
        problems.append(f"{record_id}: quote not found in {doc_id}")
    savings = (
        [_saving({"sentence": quote, **s}, doc_id) for s in row["savings"]]
        if "savings" in row
        else parse_savings(quote)
    )
    for s in savings:  # a saving quoted from elsewhere in the document must be there too
        if s.sentence != quote and doc.find(s.sentence) is None:
            problems.append(f"{record_id}: saving sentence not found in {doc_id}")
    meta = index.documents[doc_id].meta
    evidence = {"record": quote, **(row.get("evidence") or {})}
    _check_evidence(record_id, doc_id, row.get("evidence") or {}, located, problems)
    return CaseRecord(
        id=record_id,
        title=str(row.get("title", record_id)),
        kind="short",
        councils=list(row.get("councils") or []),
        council_types=list(row.get("council_types") or []),
        partners=list(row.get("partners") or []),
        services=list(row.get("services") or detect_services(quote)),
        model=str(row.get("model") or detect_model(quote) or ""),
        started=str(row["started"]) if row.get("started") is not None else None,
        savings=savings,
        summary=quote,
        source={
            "doc_id": doc_id,
            "section": doc.section_at(start) if start is not None else "",
            "page": page_at(doc.chunks, start) if start is not None else None,
            "date": meta.date_label,
            "start": start,
            "end": start + len(quote) if start is not None else None,
        },
        evidence=evidence,
    )


# --- filtering ------------------------------------------------------------------


def _matches(value: str | None, options: Sequence[str]) -> bool:
    if not value:
        return True
    want = value.strip().lower()
    return any(want == o.lower() or want in o.lower() for o in options)


def filter_cases(
    records: Sequence[CaseRecord],
    service: str | None = None,
    model: str | None = None,
    council_type: str | None = None,
    kind: str | None = None,
) -> list[CaseRecord]:
    """Records with the service, model, council type and kind asked for (None: any).

    Matching is case-insensitive and accepts part of a term ("revenues" finds
    "revenues and benefits").
    """
    return [
        r
        for r in records
        if _matches(service, r.services)
        and _matches(model, [r.model])
        and _matches(council_type, r.council_types)
        and (not kind or r.kind == kind)
    ]


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

    def vectors(self, embedder: Any) -> list[np.ndarray]:
        """Per record, unit vectors of its text: its indexed passages, or its summary."""
        with self._lock:
            if self._vectors is None:
                self._vectors = self._build_vectors(embedder)
            return self._vectors

    def _build_vectors(self, embedder: Any) -> list[np.ndarray]:
        by_case: dict[str, list[int]] = {}
        for row, chunk_id in enumerate(self.index.order):
            case_id = self.index.chunks[chunk_id].case_id
            if case_id:
                by_case.setdefault(case_id, []).append(row)
        matrix = self.index.embeddings() if by_case else None
        heads = [f"{r.title}. {r.summary}" for r in self.records]
        head_vecs = _unit(np.asarray(embedder.get_text_embedding_batch(heads), dtype=np.float32))
        out = []
        for r, head in zip(self.records, head_vecs, strict=True):
            rows = by_case.get(r.id) if r.kind == "full" else None
            if rows and matrix is not None:
                out.append(np.vstack([head[None, :], _unit(matrix[rows])]))
            else:
                out.append(head[None, :])
        return out

    def match(
        self, text: str, query_vector: Sequence[float], k: int, embedder: Any
    ) -> list[CaseMatch]:
        q = _unit(np.asarray(query_vector, dtype=np.float32)[None, :])[0]
        wants = {
            "services": detect_services(text),
            "council_types": detect_council_types(text),
            "model": detect_model(text),
            "count": _count(text),
        }
        scored = []
        for record, vecs in zip(self.records, self.vectors(embedder), strict=True):
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


def match_cases(text_or_profile: Any, k: int = 5, knowledge_base: Any = None) -> list[CaseMatch]:
    """Case studies that best fit a question or situation, best first, each with a reason.

    Args:
        text_or_profile: a question ("two districts want to share revenues and
            benefits"), or a dict such as ``{"services": [...], "council_types":
            [...], "model": ..., "text": ...}``.
        k: how many matches.
        knowledge_base: the KnowledgeBase to use (default: the process-wide one).
    """
    if knowledge_base is None:
        from kb import shared_knowledge_base

        knowledge_base = shared_knowledge_base()
    return list(knowledge_base.match_cases(text_or_profile, k=k))


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
