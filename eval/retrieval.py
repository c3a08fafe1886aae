"""Retrieval quality: Hit@k, Recall@10, MRR@10 and nDCG@10 with ranx, per configuration.

Relevance is judged by evidence quotes, not chunk ids (see ``eval/gold.py``),
so the qrels of each question are built from what was retrieved:

* Hit@1/5/10, MRR@10 and nDCG@10 are computed on the ranked passages. A
  passage's gain is the number of the question's evidence quotes it contains
  that no higher-ranked passage already contained; each quote that no passage
  in the top ``k`` contains joins the ideal ranking as a virtual passage with
  gain 1. A second passage repeating the same quote therefore earns nothing,
  and a retriever cannot raise its score by returning near-duplicates.
* Recall@10 is computed on a second ranx run over the quotes themselves (each
  quote ranked at the first passage that contains it): the share of a
  question's evidence quotes found in the top ``k``. (A passage-level recall
  with virtual missing quotes, as in the first version, counted a quote found
  in two passages twice and so over-stated recall.)

Besides ranx's metrics, each configuration reports the share of questions
whose evidence appears within the first 1,200 tokens shown (passage texts in
rank order, counted with the tiktoken encoding that chunking uses, up to the
end of the first evidence quote), and search latency p50/p95.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from ranx import Qrels, Run, evaluate

from eval.gold import GoldQuestion
from kb.api import KnowledgeBase
from kb.core.results import Passage
from kb.core.text import PUNCTUATION

RANX_METRICS = ("hit_rate@1", "hit_rate@5", "hit_rate@10", "mrr@10", "ndcg@10")
RECALL_METRIC = "recall@10"
# Report names, in display order; quality metrics are higher-is-better shares.
QUALITY_METRICS = ("hit@1", "hit@5", "hit@10", "recall@10", "mrr@10", "ndcg@10", "evidence@1200t")
TOKEN_BUDGET = 1200
K = 10


@dataclass
class QuestionResult:
    """How one configuration did on one question."""

    id: str
    kind: str
    style: str
    first_rank: int | None  # rank of the first passage holding any evidence quote
    quotes_found: int
    quotes: int
    tokens_to_evidence: int | None  # tokens shown up to the end of the first quote
    latency_ms: float
    scores: dict[str, float] = field(default_factory=dict)  # per-question metric values
    source: str = "dev"  # dev | blind (eval/gold.py)


@dataclass
class ConfigResult:
    """One retriever configuration over a set of questions."""

    mode: str
    overall: dict[str, float]
    by_kind: dict[str, dict[str, float]]
    by_style: dict[str, dict[str, float]]
    questions: list[QuestionResult]
    kind_averaged: dict[str, float] = field(default_factory=dict)
    by_source: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall,
            "kind_averaged": self.kind_averaged,
            "by_kind": self.by_kind,
            "by_style": self.by_style,
            "by_source": self.by_source,
            "questions": {
                q.id: {k: v for k, v in asdict(q).items() if k != "id"} for q in self.questions
            },
        }


def token_counter() -> Callable[[str], int]:
    """Tokens as chunking counts them (llama-index's tiktoken tokenizer)."""
    from llama_index.core.utils import get_tokenizer

    tokenize = get_tokenizer()
    return lambda text: len(tokenize(text))


def quote_end(passage_text: str, normalised_quote: str) -> int | None:
    """Character offset in ``passage_text`` where the quote ends, or None.

    Quote normalisation is case folding, a one-for-one swap of curly quotes and
    dashes, and whitespace collapsing, so a case-insensitive pattern with
    ``\\s+`` between words finds it in the original text.
    """
    words = normalised_quote.split()
    if not words:
        return None
    pattern = r"\s+".join(re.escape(w) for w in words)
    match = re.search(pattern, passage_text.translate(PUNCTUATION), flags=re.IGNORECASE)
    return match.end() if match else None


def judge(
    question: GoldQuestion, passages: Sequence[Passage], count_tokens: Callable[[str], int]
) -> tuple[dict[str, float], dict[str, int], dict[str, float], int | None]:
    """Passage run, graded passage qrels, quote run and tokens-to-evidence for one question."""
    run: dict[str, float] = {}
    qrels: dict[str, int] = {}
    quote_run: dict[str, float] = {}
    covered: set[int] = set()
    tokens_before = 0
    tokens_to_evidence: int | None = None
    for p in passages:
        score = float(len(passages) - p.rank + 1)  # rank order is what is judged
        run[p.chunk.id] = score
        found = question.quotes_in(p.chunk.text)
        new = found - covered
        if new:
            qrels[p.chunk.id] = len(new)
            for i in new:
                quote_run[f"quote-{i}"] = score
            covered |= new
        if found and tokens_to_evidence is None:
            ends = [quote_end(p.chunk.text, question.normalised_evidence[i]) for i in found]
            end = min((e for e in ends if e is not None), default=len(p.chunk.text))
            tokens_to_evidence = tokens_before + count_tokens(p.chunk.text[:end])
        tokens_before += count_tokens(p.chunk.text)
    for i in range(len(question.evidence)):
        if i not in covered:
            qrels[f"missing-quote-{i}"] = 1
    return run, qrels, quote_run, tokens_to_evidence


def _ranx(
    runs: dict[str, dict[str, float]], qrels: dict[str, dict[str, int]], metrics: Sequence[str]
) -> dict[str, dict[str, float]]:
    """Per-question values of ``metrics``: {question id: {metric: value}}."""
    # ranx needs at least one entry per run; a sentinel that is never relevant.
    run = Run({qid: (docs or {"__nothing__": 0.0}) for qid, docs in runs.items()})
    q = Qrels(qrels)
    values = evaluate(q, run, list(metrics), return_mean=False, make_comparable=True)
    ids = list(q.keys())
    if len(metrics) == 1:
        values = {metrics[0]: values}
    return {qid: {m: float(values[m][i]) for m in metrics} for i, qid in enumerate(ids)}


_NAMES = {"hit_rate@1": "hit@1", "hit_rate@5": "hit@5", "hit_rate@10": "hit@10"}
# Metrics reported with a 95% bootstrap interval (as "<metric>_lo" and "<metric>_hi").
INTERVAL_METRICS = ("hit@1", "hit@5", "mrr@10")
BOOTSTRAP_SAMPLES = 2000


def interval(values: Sequence[float], samples: int = BOOTSTRAP_SAMPLES) -> tuple[float, float]:
    """95% percentile-bootstrap interval of the mean (fixed seed, so reports are stable)."""
    data = np.asarray(values, dtype=float)
    if len(data) == 0:
        return (0.0, 0.0)
    rng = np.random.default_rng(0)
    means = data[rng.integers(0, len(data), size=(samples, len(data)))].mean(axis=1)
    return (float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5)))


def summarise(results: Sequence[QuestionResult]) -> dict[str, float]:
    """Mean of every per-question metric (with 95% intervals), latency percentiles, count."""
    if not results:
        return {"n": 0}
    out: dict[str, float] = {"n": len(results)}
    for metric in QUALITY_METRICS:
        values = [r.scores[metric] for r in results]
        out[metric] = round(float(np.mean(values)), 4)
        if metric in INTERVAL_METRICS:
            lo, hi = interval(values)
            out[f"{metric}_lo"], out[f"{metric}_hi"] = round(lo, 4), round(hi, 4)
    latencies = [r.latency_ms for r in results]
    out["latency_p50_ms"] = round(float(np.percentile(latencies, 50)), 2)
    out["latency_p95_ms"] = round(float(np.percentile(latencies, 95)), 2)
    return out


def score_mode(
    mode: str,
    questions: Sequence[GoldQuestion],
    searched: Mapping[str, tuple[Sequence[Passage], float]],
    count_tokens: Callable[[str], int],
    token_budget: int = TOKEN_BUDGET,
) -> ConfigResult:
    """Score one configuration from its results: {question id: (passages, latency ms)}."""
    runs: dict[str, dict[str, float]] = {}
    qrels: dict[str, dict[str, int]] = {}
    quote_runs: dict[str, dict[str, float]] = {}
    quote_qrels: dict[str, dict[str, int]] = {}
    partial: dict[str, QuestionResult] = {}
    for q in questions:
        passages, latency = searched[q.id]
        run, rel, quote_run, tokens = judge(q, passages, count_tokens)
        runs[q.id], qrels[q.id], quote_runs[q.id] = run, rel, quote_run
        quote_qrels[q.id] = {f"quote-{i}": 1 for i in range(len(q.evidence))}
        first = next((p.rank for p in passages if p.chunk.id in rel), None)
        partial[q.id] = QuestionResult(
            id=q.id,
            kind=q.kind,
            style=q.style,
            first_rank=first,
            quotes_found=len(quote_run),
            quotes=len(q.evidence),
            tokens_to_evidence=tokens,
            latency_ms=round(latency, 2),
            source=q.source,
        )
    passage_scores = _ranx(runs, qrels, RANX_METRICS)
    recall_scores = _ranx(quote_runs, quote_qrels, (RECALL_METRIC,))
    for qid, result in partial.items():
        scores = {_NAMES.get(m, m): round(v, 6) for m, v in passage_scores[qid].items()}
        scores[RECALL_METRIC] = round(recall_scores[qid][RECALL_METRIC], 6)
        tokens = result.tokens_to_evidence
        scores["evidence@1200t"] = float(tokens is not None and tokens <= token_budget)
        result.scores = scores
    results = list(partial.values())
    by_kind = _grouped(results, lambda r: r.kind)
    return ConfigResult(
        mode=mode,
        overall=summarise(results),
        by_kind=by_kind,
        by_style=_grouped(results, lambda r: r.style),
        questions=results,
        kind_averaged=kind_average(by_kind),
        by_source=_grouped(results, lambda r: r.source),
    )


def kind_average(by_kind: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """Each quality metric averaged over kinds, so a large kind cannot hide a weak one."""
    kinds = [v for v in by_kind.values() if v.get("n")]
    if not kinds:
        return {}
    out = {m: round(float(np.mean([v[m] for v in kinds])), 4) for m in QUALITY_METRICS}
    out["kinds"] = len(kinds)
    out["weakest_hit@5"] = round(min(v["hit@5"] for v in kinds), 4)
    return out


def _grouped(
    results: Sequence[QuestionResult], key: Callable[[QuestionResult], str]
) -> dict[str, dict[str, float]]:
    groups: dict[str, list[QuestionResult]] = {}
    for r in results:
        groups.setdefault(key(r) or "-", []).append(r)
    return {name: summarise(rs) for name, rs in sorted(groups.items())}


def forget_query_vectors(kb: KnowledgeBase) -> None:
    """Empty the knowledge base's cache of query embeddings, if it keeps one.

    Each configuration must pay for embedding the question itself; otherwise
    the first configuration timed on a question embeds it and the others
    read it from the cache.
    """
    forget = getattr(kb, "forget_query_vectors", None)
    if callable(forget):
        forget()


def evaluate_retrieval(
    kb: KnowledgeBase,
    questions: Sequence[GoldQuestion],
    modes: Sequence[str] | None = None,
    k: int = K,
    progress: Callable[[str], None] | None = None,
) -> dict[str, ConfigResult]:
    """Every configuration the knowledge base offers (``kb.search.MODES``) over ``questions``.

    The configurations take turns on each question, so their latencies are
    measured under the same conditions on a machine that other work shares.
    """
    from kb.retrieval.search import MODES

    modes = list(modes or MODES)
    if "hybrid" in modes:  # as the app does at start-up: every sentence embedded once
        kb.answerer.warm()
    for mode in modes:  # load the model, Chroma and BM25 before timing anything
        kb.search("shared services warm-up", k=k, mode=mode)
    if progress:
        progress(f"searching {len(questions)} questions with {', '.join(modes)}")
    searched: dict[str, dict[str, tuple[list[Passage], float]]] = {m: {} for m in modes}
    for q in questions:
        for mode in modes:
            forget_query_vectors(kb)
            t0 = time.perf_counter()
            passages = kb.search(q.question, k=k, mode=mode)
            searched[mode][q.id] = (passages, (time.perf_counter() - t0) * 1000)
    count_tokens = token_counter()
    return {mode: score_mode(mode, questions, searched[mode], count_tokens) for mode in modes}
