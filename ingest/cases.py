"""Case studies as records: read from the sections that structure.py found.

A guide's case study is a ``case-study`` section ("Case study N" plus its
title) with parts "What was the approach?", "What's been achieved?", "What's
been learned?" and "Contacts". Each becomes a :class:`~kb.core.records.CaseRecord`
holding its text by part, the savings it states, its lessons and contacts, and
facets read by rule (councils, services, model, start). Whatever parts are
missing are left empty: a case study without headings still becomes a record.

The reviewed file ``corpus/case_studies.yaml`` corrects facets that rules
cannot read reliably; it is applied when records are loaded (``kb.cases``),
so a correction needs no re-ingest.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kb.core.case_facets import (
    council_types_of,
    detect_model,
    detect_services,
    flow,
    parse_savings,
    sentences,
)
from kb.core.records import SECTION_SEP, CaseRecord, Chunk, page_at

__all__ = ["ARTIFACT_VERSION", "CaseSource", "build_cases_artifact", "extract_cases"]

ARTIFACT_VERSION = 1

_PART = {
    "approach": re.compile(r"^what was the( \w+['’]?s?)? approach\?$", re.I),
    "achieved": re.compile(r"^what['’]s been achieved\?$", re.I),
    "learned": re.compile(r"^what['’]s been (learned|learnt)\?$", re.I),
    "contacts": re.compile(r"^contacts?$", re.I),
}
_CASE_TITLE = re.compile(r"^case study (\d+):\s*", re.I)
_CASE_LINE = re.compile(r"^case study \d+\s*$", re.I)
_EMBEDDED_CASE = re.compile(r"(?:(?<=\n)|^)[ \t]*case study \d+[ \t]*(?=\n|$)", re.I)
# "Contact Terry Huggins, Chief Executive ... Email: ..." closing a part without its own heading.
_INLINE_CONTACT = re.compile(r"^contacts?\s+\S.*(?:email|@)", re.I | re.S)
_COUNCIL = re.compile(
    r"\b(?:(?:London|Royal) Borough of [A-Z][a-z]+(?: and [A-Z][a-z]+)?"
    r"|(?:[A-Z][\w’'-]+ )(?:(?:and |[A-Z][\w’'-]+ )){0,4}?"
    r"(?:(?:Metropolitan )?(?:District|Borough|County|City) )?Council)\b"
)
_NOT_COUNCIL = re.compile(
    r"^(?:The|This|Each|Both|All|Our|Cabinet|Shared|Joint|Chief|Director|Member)\b"
)
_YEAR = re.compile(
    r"\b(?:(?i:since|in|from|by)\s+)((?:(?:January|February|March|April|May|June|July|August|"
    r"September|October|November|December)\s+)?(?:19|20)\d\d(?:/\d\d)?)\b"
)


@dataclass(frozen=True)
class CaseSource:
    """What extraction needs of one document (a Prepared document, or an indexed one)."""

    doc_id: str
    date_label: str
    text: str
    sections: Sequence[dict[str, Any]]
    chunks: Sequence[Chunk]


def extract_cases(doc: CaseSource) -> list[CaseRecord]:
    """One record per case study in the document, in reading order."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for s in doc.sections:
        if s.get("kind") == "case-study" and s.get("case_id"):
            groups.setdefault(str(s["case_id"]), []).append(s)
    chunks = sorted(doc.chunks, key=lambda c: c.start)
    records = []
    for case_id, spans in groups.items():
        for sub_id, sub_spans in _resegment(case_id, spans, doc.text):
            records.append(_record(sub_id, sub_spans, doc, chunks))
    return records


def _resegment(
    case_id: str, spans: list[dict[str, Any]], text: str
) -> list[tuple[str, list[dict[str, Any]]]]:
    """Split a group where a "Case study N" line sits inside it.

    When a case study has no part headings, the heading rule can run its title
    on into the next case study; each "Case study N" line starts a record.
    """
    out: list[tuple[str, list[dict[str, Any]]]] = [(case_id, [])]
    for s in spans:
        cuts = [
            m.start()
            for m in _EMBEDDED_CASE.finditer(text, s["start"], s["end"])
            if m.start() > s["start"]
        ]
        edges = [s["start"], *cuts, s["end"]]
        for n, (a, b) in enumerate(zip(edges, edges[1:], strict=False)):
            if n == 0:
                out[-1][1].append({**s, "start": a, "end": b})
                continue
            number = re.match(r"\s*case study (\d+)", text[a:b], re.I)
            title = _heading_title(text[a:b]) or f"case {number.group(1) if number else n}"
            path = [
                *list(s["path"])[:-1],
                f"Case study {number.group(1) if number else ''}: {title}",
            ]
            out.append((_slug(title), [{**s, "path": path, "start": a, "end": b}]))
    return [(cid, group) for cid, group in out if group]


def _heading_title(block: str) -> str:
    """The title after a "Case study N" line: paragraphs up to the first that reads as prose."""
    paras = [" ".join(p.split()) for p in re.split(r"\n\s*\n", block) if p.strip()]
    while paras and _CASE_LINE.match(paras[0]):
        paras.pop(0)
    title: list[str] = []
    for p in paras:
        if (
            _PART["approach"].match(p)
            or _PART["achieved"].match(p)
            or _PART["learned"].match(p)
            or _PART["contacts"].match(p)
            or _is_prose(p)
        ):
            break
        title.append(p)
    return " ".join(title) or (paras[0][:120] if paras else "")


def _is_prose(paragraph: str) -> bool:
    return (
        len(paragraph) > 250
        or bool(re.search(r"[a-z]\. [A-Z]", paragraph))
        or paragraph.endswith(".")
    )


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:50]


def _record(
    case_id: str, spans: list[dict[str, Any]], doc: CaseSource, chunks: Sequence[Chunk]
) -> CaseRecord:
    head_path: list[str] = []
    for s in spans:
        path = list(s["path"])
        if path and _CASE_TITLE.match(path[-1]):
            head_path = path
            break
    if not head_path:
        head_path = list(spans[0]["path"])
    parts: dict[str, list[str]] = {k: [] for k in _PART}
    loose: list[str] = []  # text under the case heading but under no part heading
    title = _CASE_TITLE.sub("", head_path[-1]) if head_path else case_id
    head_text = doc.text[spans[0]["start"] : spans[0]["end"]]
    if _CASE_LINE.match(head_text.strip().split("\n", 1)[0]):
        clean = _heading_title(head_text)
        if clean and clean != title:
            # The heading rule took body paragraphs into the title; keep the title proper.
            if case_id == _slug(title):
                case_id = _slug(clean)
            number = _CASE_TITLE.match(head_path[-1])
            head_path = [
                *head_path[:-1],
                f"Case study {number.group(1) if number else ''}: {clean}",
            ]
            title = clean
    for s in spans:
        text = doc.text[s["start"] : s["end"]]
        last = list(s["path"])[-1] if s["path"] else ""
        part = next((k for k, rx in _PART.items() if rx.match(last.strip())), None)
        body = _strip_heading(text, last)
        if part is None:
            loose.append(_drop_title(body, title))
        else:
            parts[part].append(body)
    approach = "\n\n".join(p for p in parts["approach"] + ([] if parts["approach"] else loose) if p)
    if parts["approach"] and any(loose):
        approach = "\n\n".join([*loose, approach]).strip()
    achieved = "\n\n".join(parts["achieved"]).strip()
    learned, inline_contacts = _split_contacts("\n\n".join(parts["learned"]))
    if not parts["learned"]:
        achieved, inline_contacts = _split_contacts(achieved)
    contacts = _contacts("\n\n".join(parts["contacts"])) + inline_contacts
    whole = "\n\n".join(x for x in (title, approach, achieved, learned) if x)
    start = min(s["start"] for s in spans)
    end = max(s["end"] for s in spans)
    councils = _councils(title + "\n\n" + _first_paragraphs(approach or whole, 2))
    facts = _facets(title, approach or whole, whole)
    return CaseRecord(
        id=case_id,
        title=" ".join(title.split()),
        kind="full",
        councils=councils,
        council_types=council_types_of(councils),
        services=facts["services"],
        model=facts["model"],
        started=facts["started"],
        savings=parse_savings(approach) + parse_savings(achieved),
        summary=(sentences(approach or whole) or [""])[0],
        approach=approach,
        achieved=achieved,
        learned=learned,
        lessons=_lessons(learned),
        contacts=contacts,
        source={
            "doc_id": doc.doc_id,
            "section": SECTION_SEP.join(head_path),
            "page": page_at(chunks, start),
            "date": doc.date_label,
            "start": start,
            "end": end,
        },
        evidence=facts["evidence"],
    )


def _strip_heading(text: str, heading: str) -> str:
    body = text.strip()
    if heading and body.lower().startswith(heading.strip().lower()):
        body = body[len(heading.strip()) :]
    return body.strip()


def _drop_title(body: str, title: str) -> str:
    """Body text under the case heading, without the "Case study N" line and the title."""
    paras = [p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()]
    while paras and _CASE_LINE.match(paras[0]):
        paras.pop(0)
    folded = " ".join(title.split())
    while paras and " ".join(paras[0].split()) in folded:
        paras.pop(0)
    return "\n\n".join(paras)


def _split_contacts(text: str) -> tuple[str, list[str]]:
    keep, contacts = [], []
    for para in re.split(r"\n\s*\n", text):
        if _INLINE_CONTACT.match(para.strip()):
            contacts += _contacts(re.sub(r"^contacts?\s+", "", para.strip(), flags=re.I))
        else:
            keep.append(para)
    return "\n\n".join(keep).strip(), contacts


def _contacts(text: str) -> list[str]:
    out = []
    for para in re.split(r"\n\s*\n", text):
        line = " ".join(para.split())
        # The guide's back cover ("Email info@local.gov.uk", "www.local.gov.uk") follows
        # the last case study's contacts; a contact is a person with an address.
        if not line or re.match(r"^(email|www\.|http)", line, re.I) or len(line) > 300:
            continue
        if "@" in line or re.search(r"\b(tel|telephone|email)\b", line, re.I):
            out.append(line)
    return out


def _first_paragraphs(text: str, n: int) -> str:
    return "\n\n".join(re.split(r"\n\s*\n", flow(text))[:n])


_PLURAL = re.compile(
    r"\b((?:[A-Z][\w’'-]+ ){1,3})and ((?:[A-Z][\w’'-]+ ){1,3})(District|Borough|County) Councils\b"
)


def _councils(text: str) -> list[str]:
    found: list[str] = []
    for m in _PLURAL.finditer(" ".join(text.split())):
        for name in (m.group(1), m.group(2)):
            full = f"{name.strip()} {m.group(3)} Council"
            if full not in found:
                found.append(full)
    for m in _COUNCIL.finditer(" ".join(text.split())):
        name = m.group(0).strip()
        if _NOT_COUNCIL.match(name) or name.endswith(" and Council"):
            continue
        if name not in found and not any(name in f for f in found):
            found.append(name)
    return found


def _facets(title: str, approach: str, whole: str) -> dict[str, Any]:
    evidence: dict[str, str] = {}
    services = detect_services(title) or detect_services(approach)
    model = detect_model(title + "\n\n" + approach) or "joint working"
    for s in sentences(approach):
        if detect_model(s) == model:
            evidence["model"] = s
            break
    started = None
    for s in sentences(approach or whole):
        m = _YEAR.search(s)
        if m:
            started, evidence["started"] = m.group(1), s
            break
    return {"services": services, "model": model, "started": started, "evidence": evidence}


def _lessons(learned: str) -> list[str]:
    """One lesson per paragraph of "What's been learned?"; list items join their lead-in."""
    lessons: list[str] = []
    in_list = False
    for para in re.split(r"\n\s*\n", flow(learned)):
        text = " ".join(para.replace("•", " ").split())
        if not text:
            continue
        bullet = para.lstrip().startswith("•")
        if lessons and (lessons[-1].endswith(":") or (in_list and bullet)):
            joiner = " " if lessons[-1].endswith(":") else "; "
            lessons[-1] = f"{lessons[-1].rstrip('.;')}{joiner}{text.rstrip('.;')}"
            in_list = True
        else:
            lessons.append(_short(text))
            in_list = False
    return lessons


def _short(text: str, limit: int = 320) -> str:
    """A lesson paragraph cut to whole sentences, at most ``limit`` characters (one at least)."""
    out = ""
    for s in sentences(text):
        if out and len(out) + len(s) > limit:
            break
        out = f"{out} {s}".strip()
    return out


def build_cases_artifact(prepared: Sequence[Any]) -> dict[str, Any]:
    """``ARTIFACT_BUILDERS["cases"]``: records for every case study of every document."""
    records: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    for p in prepared:
        meta = p.record.meta
        source = CaseSource(meta.id, meta.date_label, p.text, p.record.sections, p.chunks)
        try:
            records += [r.to_dict() for r in extract_cases(source)]
        except Exception as exc:  # noqa: BLE001 - odd case studies must not sink the ingest
            errors[meta.id] = f"{type(exc).__name__}: {str(exc)[:200]}"
    return {"version": ARTIFACT_VERSION, "records": records, "errors": errors}
