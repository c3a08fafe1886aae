"""Case studies as records: load them, apply the reviewed corrections, filter them.

Full records come from the ingest artifact ``cases`` (extracted by rule from the
guide's structure); ``corpus/case_studies.yaml`` corrects their facets and adds
short records for the other examples the corpus names. The reviewed file is
applied here, at load, so a correction needs no re-ingest; every quote in it
is located in its document, which gives short records their section and page.
Matching them to a question is :mod:`kb.cases.matching`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from kb.core.case_facets import (
    MODELS,
    SERVICES,
    detect_model,
    detect_services,
    format_gbp,
    parse_savings,
)
from kb.core.records import SECTION_SEP, CaseRecord, Chunk, Saving, page_at
from kb.core.store import Index
from kb.core.text import fold_with_offsets

__all__ = ["MISSING_ARTIFACT", "REVIEWED_FILE", "filter_cases", "load_cases", "read_reviewed"]

REVIEWED_FILE = "case_studies.yaml"
MISSING_ARTIFACT = (
    "This index was built before case studies were extracted at ingest, so only the short "
    "records are listed; rebuild it (kb ingest, after any change to the corpus) to add the "
    "full case studies."
)

# --- locating quotes --------------------------------------------------------


class _Located:
    """One document's text, searchable for quotes regardless of spacing and quote marks."""

    def __init__(self, text: str, sections: Sequence[dict[str, Any]], chunks: Sequence[Chunk]):
        self.text = text
        self.folded, self.offsets = fold_with_offsets(text)
        self.sections = sections
        self.chunks = sorted(chunks, key=lambda c: c.start)

    def find(self, quote: str) -> int | None:
        folded, _ = fold_with_offsets(quote)
        at = self.folded.find(folded)
        return self.offsets[at] if at >= 0 and folded else None

    def section_at(self, offset: int) -> str:
        for s in self.sections:
            if s["start"] <= offset < s["end"]:
                return SECTION_SEP.join(s["path"])
        return ""


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
