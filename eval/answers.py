"""Answer quality: citation precision, evidence recall, abstention, case-study recall@3.

Works on answers in the ``kb ask --json`` schema (issue 4)::

    {"answer": str, "abstained": bool,
     "citations": [{"n": 1, "text": passage, "doc_id": ..., ...}],
     "case_studies": [{"id": ..., "title": ..., "reason": ...}], "notices": [...]}

``KnowledgeBase.answer(question, history=None)`` may return that dict or an
object with ``to_dict()``. Case studies for the matching checks come from
``KnowledgeBase.match_cases`` when the knowledge base has it, otherwise from
the answer's ``case_studies``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from eval.gold import (
    GoldQuestion,
    OutOfScopeQuestion,
    load_case_matching,
    load_out_of_scope,
    load_questions,
    load_short_questions,
)
from eval.gold import (
    subset as take_subset,
)
from kb.api import KnowledgeBase
from kb.core.text import fold, holds_quote

_MARK = re.compile(r"\[(\d+)\]")
CASE_TOP = 3


class AnswersUnavailable(RuntimeError):
    """The knowledge base cannot answer questions yet."""


def answer_dict(kb: KnowledgeBase, question: str) -> dict[str, Any]:
    """One answer in the ``kb ask --json`` schema."""
    answer_fn = getattr(kb, "answer", None)
    if answer_fn is None:
        raise AnswersUnavailable(
            "this knowledge base has no answer() yet, so answers cannot be evaluated."
        )
    result = answer_fn(question)
    data = result.to_dict() if hasattr(result, "to_dict") else result
    if not isinstance(data, Mapping):
        raise AnswersUnavailable(
            f"answer() returned {type(result).__name__}, not an answer record."
        )
    return dict(data)


def case_ids(items: Iterable[Any]) -> list[str]:
    """Case-study ids from records, dicts or plain ids, in order."""
    out = []
    for item in items:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, Mapping):
            out.append(str(item.get("id") or item.get("case_id") or ""))
        else:  # a match record (``match.record.id``) or a case-study record
            record = getattr(item, "record", item)
            out.append(str(getattr(record, "id", None) or getattr(record, "case_id", None) or ""))
    return [x for x in out if x]


def matched_cases(kb: KnowledgeBase, question: str) -> list[str]:
    """The top case-study ids for a situation."""
    match = getattr(kb, "match_cases", None)
    if match is not None:
        return case_ids(match(question, k=CASE_TOP))[:CASE_TOP]
    return case_ids(answer_dict(kb, question).get("case_studies") or [])[:CASE_TOP]


def evidence_sections(kb: KnowledgeBase, question: GoldQuestion) -> set[tuple[str, str]]:
    """(doc_id, section path) of every indexed chunk holding one of the question's quotes."""
    return {
        (c.doc_id, c.section_label)
        for c in kb.index.chunks.values()
        if question.is_relevant(c.text)
    }


def judge_answer(
    question: GoldQuestion,
    answer: Mapping[str, Any],
    sections: set[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """Per-answer figures: supported citations, evidence found, dangling markers.

    ``sections`` (from :func:`evidence_sections`) also counts citations from
    the section that holds the evidence, a softer reading of "supported".
    """
    citations = list(answer.get("citations") or [])
    supported = [c for c in citations if question.is_relevant(str(c.get("text", "")))]
    in_section = [
        c for c in citations if (str(c.get("doc_id")), str(c.get("section"))) in (sections or set())
    ]
    found: set[int] = set()
    for c in citations:
        found |= question.quotes_in(str(c.get("text", "")))
    numbers = {int(c.get("n", -1)) for c in citations}
    marks = [int(m) for m in _MARK.findall(str(answer.get("answer", "")))]
    cases = case_ids(answer.get("case_studies") or [])[:CASE_TOP]
    sentences = [str(s.get("text", "")) for s in answer.get("sentences") or []]
    said = fold(" ".join(sentences) + " " + str(answer.get("question", "")))
    notices = [str(n) for n in answer.get("notices") or []]
    return {
        "abstained": bool(answer.get("abstained")),
        "partial": bool(answer.get("partial")),
        "evidence_in_lead": bool(sentences) and holds_evidence(question, sentences[0]),
        "evidence_in_answer": any(holds_evidence(question, s) for s in sentences),
        # On the screen at all: the answer or "more from the library" beneath it. A
        # diagnostic of where the evidence goes, not the answer's own figure.
        "evidence_on_screen": any(
            holds_evidence(question, s)
            for s in sentences + [str(m.get("text", "")) for m in answer.get("more") or []]
        ),
        "evidence_in_citations": bool(found),
        "words": sum(len(s.split()) for s in sentences),
        "notices": len(notices),
        "notices_on_own_words": sum(
            1 for n in notices if notice_term(n) and notice_term(n) in said
        ),
        "citations": len(citations),
        "supported": len(supported),
        "in_evidence_section": len({id(c) for c in supported + in_section}),
        "quotes_found": len(found),
        "quotes": len(question.evidence),
        "dangling": sum(1 for m in marks if m not in numbers),
        "case_hits": len(set(cases) & set(question.case_ids)),
    }


def holds_evidence(question: GoldQuestion, sentence: str) -> bool:
    """The sentence holds a gold evidence quote, or is itself part of one (6+ words)
    (:func:`kb.core.text.holds_quote`, the rule training uses too)."""
    return holds_quote(sentence, question.evidence)


def notice_term(notice: str) -> str:
    """The term a currency notice is about (between “ and ”), folded."""
    m = re.search(r"“([^”]+)”", notice)
    return fold(m.group(1)) if m else ""


def _with_interval(values: Sequence[float]) -> dict[str, float]:
    from eval.retrieval import interval

    if not values:
        return {"value": 0.0, "n": 0}
    lo, hi = interval([float(v) for v in values])
    return {
        "value": round(float(np.mean(values)), 4),
        "lo": round(lo, 4),
        "hi": round(hi, 4),
        "n": len(values),
    }


def _share(values: Sequence[float]) -> float:
    return round(float(np.mean(values)), 4) if values else 0.0


def _latency(ms: Sequence[float]) -> dict[str, float]:
    if not ms:
        return {}
    return {
        "latency_p50_ms": round(float(np.percentile(ms, 50)), 1),
        "latency_p95_ms": round(float(np.percentile(ms, 95)), 1),
    }


def question_sets(
    split: str | None, questions: Path | None = None, out_of_scope: Path | None = None
) -> tuple[list[GoldQuestion], list[OutOfScopeQuestion]]:
    """The in-scope and out-of-scope questions to run: the library's own sets of one
    split, or only the files given (see :func:`evaluate_answers`).

    Raises ValueError (or OSError) on a file that cannot be read or that has no
    question in the split.
    """
    own = questions is None and out_of_scope is None
    gold = load_questions(questions, split) if own or questions is not None else []
    oos = load_out_of_scope(out_of_scope, split) if own or out_of_scope is not None else []
    for path, found in ((questions, gold), (out_of_scope, oos)):
        if path is not None and not found:
            raise ValueError(
                f"{path} has no questions in the {split or 'any'} split "
                "(a record without a split counts as test)"
            )
    return gold, oos


def evaluate_answers(
    kb: KnowledgeBase,
    subset: int | None = None,
    progress: Callable[[str], None] | None = None,
    split: str | None = "test",
    questions: Path | None = None,
    out_of_scope: Path | None = None,
) -> dict[str, Any]:
    """Run the in-scope, out-of-scope, short and case-matching sets of one split; return
    a report.

    ``split`` is ``test`` (reported), ``tune`` (what settings may be chosen on) or None (all).
    ``questions`` and ``out_of_scope`` are an analyst's own JSONL files (the gold sets'
    schema, eval/README.md; a record without ``split`` counts as test). When either is
    given, only the files given are run: a figure on an independent set must not be
    blended with the library's own sets.
    """
    from eval.report import stamp

    say = progress or (lambda _m: None)
    own = questions is None and out_of_scope is None
    gold, oos = question_sets(split, questions, out_of_scope)
    in_scope = take_subset(gold, subset)
    first = (in_scope or oos)[0].question
    answer_dict(kb, first)  # warm up, and fail early if there is no answer()
    say(f"answering {len(in_scope)} in-scope questions")
    judged: dict[str, dict[str, Any]] = {}
    latencies: list[float] = []
    for q in in_scope:
        t0 = time.perf_counter()
        answer = answer_dict(kb, q.question)
        latencies.append((time.perf_counter() - t0) * 1000)
        judged[q.id] = judge_answer(q, answer, evidence_sections(kb, q))
    answered = [j for j in judged.values() if not j["abstained"]]
    cited = sum(j["citations"] for j in answered)
    with_cases = [(q, judged[q.id]) for q in in_scope if q.case_ids]

    if oos:
        say("answering the out-of-scope set")
    oos_answers = {o.id: answer_dict(kb, o.question) for o in oos}
    oos_abstained = {i: bool(a.get("abstained")) for i, a in oos_answers.items()}
    oos_partial = [bool(a.get("partial")) for a in oos_answers.values() if not a.get("abstained")]

    # An analyst's own sets run alone: the library's short and case checks are not theirs.
    short = load_short_questions(split=split) if own else []
    if short:
        say("answering the short questions")
    short_abstained = {b.id: bool(answer_dict(kb, b.question).get("abstained")) for b in short}

    checks = load_case_matching(split=split) if own else []
    if checks:
        say("matching case studies")
    case_recall: dict[str, float] = {}
    cases_measured = False
    if checks and hasattr(kb, "match_cases"):  # the matcher's own measure (eval/case_matching.py)
        from eval.case_matching import case_recall as matcher_recall

        per_check = matcher_recall(kb, k=CASE_TOP, checks=checks)["per_check"]
        case_recall = {cid: float(c["recall"]) for cid, c in per_check.items()}
        cases_measured = True
    elif checks:
        tops = []
        for c in checks:
            top = matched_cases(kb, c.question)
            tops.append(top)
            case_recall[c.id] = len(set(top) & set(c.expected)) / len(c.expected)
        # No matcher and no case studies in any answer: not measured, rather than zero.
        cases_measured = any(tops)

    values = list(judged.values())
    kinds = sorted({q.kind for q in in_scope})
    by_kind = {
        kind: {
            m: _share([judged[q.id][m] for q in in_scope if q.kind == kind])
            for m in (
                "evidence_in_lead",
                "evidence_in_answer",
                "evidence_in_citations",
                "abstained",
            )
        }
        for kind in kinds
    }
    named = [judged[q.id] for q in in_scope if q.names]
    notices = sum(j["notices"] for j in values)
    composition = {
        "evidence_in_lead": _with_interval([j["evidence_in_lead"] for j in values]),
        "evidence_in_answer": _with_interval([j["evidence_in_answer"] for j in values]),
        "evidence_in_citations": _with_interval([j["evidence_in_citations"] for j in values]),
        "evidence_in_answer_or_more": _with_interval([j["evidence_on_screen"] for j in values]),
        "mean_words": round(float(np.mean([j["words"] for j in answered])), 1) if answered else 0.0,
        "notices_on_own_words": round(sum(j["notices_on_own_words"] for j in values) / notices, 4)
        if notices
        else None,
        "notices": notices,
        "false_abstention": _with_interval([j["abstained"] for j in values]),
        "false_abstention_naming_council_or_product": _with_interval(
            [j["abstained"] for j in named]
        ),
        "out_of_scope_abstention": _with_interval(list(oos_abstained.values())),
        # Short "what is…?" questions: a plain question about the library's subject
        # answered, one about something else refused.
        "false_abstention_short_questions": _with_interval(
            [short_abstained[b.id] for b in short if b.in_scope]
        ),
        "out_of_scope_abstention_short_questions": _with_interval(
            [short_abstained[b.id] for b in short if not b.in_scope]
        ),
        # The weak-answer note ("may not answer this directly"): how often, and whether
        # the leads it marks are the weak ones.
        "partial_in_scope_answers": _share([j["partial"] for j in answered]),
        "partial_out_of_scope_answers": _share(oos_partial),
        "evidence_in_lead_partial": _share(
            [j["evidence_in_lead"] for j in answered if j["partial"]]
        ),
        "evidence_in_lead_not_partial": _share(
            [j["evidence_in_lead"] for j in answered if not j["partial"]]
        ),
        "by_kind": by_kind,
    }
    metrics = {
        "composition": composition,
        "in-scope": {
            "questions": len(in_scope),
            "false_abstention": _share([j["abstained"] for j in judged.values()]),
            "citation_precision": round(sum(j["supported"] for j in answered) / cited, 4)
            if cited
            else 0.0,
            "citation_precision_macro": _share(
                [j["supported"] / j["citations"] for j in answered if j["citations"]]
            ),
            "citation_precision_section": round(
                sum(j["in_evidence_section"] for j in answered) / cited, 4
            )
            if cited
            else 0.0,
            "evidence_recall": _share([j["quotes_found"] / j["quotes"] for j in judged.values()]),
            "answers_citing_evidence": _share([j["quotes_found"] > 0 for j in judged.values()]),
            "citations_per_answer": _share([j["citations"] for j in answered]),
            "dangling_citation_marks": sum(j["dangling"] for j in judged.values()),
            "case_recall@3_gold_questions": _share(
                [j["case_hits"] / len(q.case_ids) for q, j in with_cases]
            ),
            **_latency(latencies),
        },
        "out-of-scope": {
            "questions": len(oos),
            "abstention": _share(list(oos_abstained.values())),
        },
        "case-matching": {
            "checks": len(checks),
            "case_recall@3": _share(list(case_recall.values())) if cases_measured else None,
            "all_expected_in_top3": _share([v == 1.0 for v in case_recall.values()])
            if cases_measured
            else None,
        },
    }
    return {
        "schema": 1,
        "report": "answers",
        "stamp": stamp(
            kb,
            {
                "split": split or "all",
                "questions": len(in_scope),
                "subset": len(gold) if subset else None,
                # Not the versioned sets: gold_hash does not describe these.
                **({"questions_file": str(questions)} if questions is not None else {}),
                **({"out_of_scope_file": str(out_of_scope)} if out_of_scope is not None else {}),
            },
        ),
        "metrics": metrics,
        "notes": [
            "Citation precision counts a citation as supported when its passage contains one "
            "of the question's evidence quotes; a citation of another passage that also "
            "supports the answer counts against it, so the figure is a lower bound.",
            "citation_precision_section also counts a citation as supported when it comes "
            "from a section (same document and section path) that holds an evidence quote.",
            "Evidence recall is the share of evidence quotes found in the cited passages "
            "(abstentions count as none found).",
            "Targets (issue 4): out-of-scope abstention at least 0.90, in-scope false "
            "abstention at most 0.05.",
        ],
        "questions": judged,
        "out_of_scope": oos_abstained,
        "short_questions": short_abstained,
        "case_matching": case_recall,
    }
