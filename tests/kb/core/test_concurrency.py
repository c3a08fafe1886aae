"""Many threads against one loaded index: no errors, the same answers as alone.

A bounded load test (a fixed few seconds) that prints latency percentiles,
and a targeted check that concurrent BM25 searches with different ``k`` and
filters do not leak settings into each other.
"""

from __future__ import annotations

import itertools
import json
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from kb.api import KnowledgeBase
from kb.core.records import SearchFilters
from kb.core.settings import REPO_ROOT

THREADS = 4
SECONDS = 4.0


def gold_questions(n: int) -> list[str]:
    lines = (REPO_ROOT / "eval" / "questions.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines[:n]]


def jobs(kb: KnowledgeBase) -> list[tuple[str, Callable[[], Any]]]:
    """Varied calls: modes, k, filters (the BM25 mask path), and answers if they exist."""
    guide = SearchFilters(doc_ids=("lga-guide-2011",))
    articles = SearchFilters(kinds=("article",))
    out: list[tuple[str, Callable[[], Any]]] = []
    for i, q in enumerate(gold_questions(24)):
        mode = ("hybrid", "bm25", "dense")[i % 3]
        filters = (None, guide, articles)[(i // 3) % 3]
        k = (3, 10, 20)[i % 3]
        out.append(
            (
                "search",
                lambda q=q, mode=mode, filters=filters, k=k: [
                    p.chunk.id for p in kb.search(q, k=k, filters=filters, mode=mode)
                ],
            )
        )
    answer = getattr(kb, "answer", None)
    if callable(answer):
        for q in gold_questions(30)[24:]:
            out.append(("answer", lambda q=q: _answer_key(answer(q))))
    return out


def _answer_key(result: Any) -> Any:
    # Compare what an answer cites, whatever shape the answer object has.
    for name in ("citations", "passages", "sources"):
        items = getattr(result, name, None)
        if items is not None:
            return [getattr(getattr(x, "chunk", x), "id", repr(x)) for x in items]
    return repr(result)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


@pytest.mark.slow
def test_bounded_load(kb: KnowledgeBase, capsys: pytest.CaptureFixture[str]) -> None:
    work = jobs(kb)
    expected = [fn() for _, fn in work]  # alone, one at a time (also warms up)
    latencies: dict[str, list[float]] = {"search": [], "answer": []}
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + SECONDS

    def worker(offset: int) -> None:
        for n in itertools.count(offset * 7):
            if time.monotonic() >= deadline:
                return
            kind, fn = work[n % len(work)]
            started = time.perf_counter()
            try:
                got = fn()
                if got != expected[n % len(work)]:
                    raise AssertionError(f"different result under load for job {n % len(work)}")
            except Exception as exc:  # noqa: BLE001 - collected and reported below
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
                continue
            with lock:
                latencies[kind].append((time.perf_counter() - started) * 1000)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(SECONDS + 60)
    assert not errors, errors[:5]
    with capsys.disabled():
        for kind, values in latencies.items():
            if not values:
                continue
            print(
                f"\n[load] {kind}: {len(values)} calls in {SECONDS:.0f} s on {THREADS} threads "
                f"({len(values) / SECONDS:.1f}/s); ms p50 {statistics.median(values):.0f} "
                f"p95 {percentile(values, 95):.0f} p99 {percentile(values, 99):.0f} "
                f"max {max(values):.0f}"
            )
    assert latencies["search"]


def test_concurrent_bm25_searches_keep_their_own_k_and_filter(kb: KnowledgeBase) -> None:
    index = kb.index
    guide = [cid for cid in index.order if index.chunks[cid].doc_id == "lga-guide-2011"]
    cases = [
        ("shared services partnership", 3, None),
        ("shared services partnership", 40, None),
        ("council governance committee", 25, guide),
    ]
    expected = [index.bm25_search(q, n, allowed) for q, n, allowed in cases]
    assert [len(e) for e in expected][:2] == [3, 40]
    errors: list[str] = []

    def worker(case: int) -> None:
        q, n, allowed = cases[case]
        for _ in range(60):
            got = index.bm25_search(q, n, allowed)
            if got != expected[case]:
                errors.append(f"case {case}: {len(got)} hits, expected {len(expected[case])}")
                return

    threads = [threading.Thread(target=worker, args=(i % 3,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
