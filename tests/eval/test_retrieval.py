"""Retrieval metrics: judging by evidence quotes, and a smoke evaluation with floors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.gold import QUESTIONS, GoldQuestion, gold_version, load_questions, subset
from eval.report import retrieval_report, stamp, write_report
from eval.retrieval import QUALITY_METRICS, ConfigResult, evaluate_retrieval, judge, quote_end
from kb.api import KnowledgeBase
from kb.core.records import Chunk
from kb.core.results import Passage

SMOKE_QUESTIONS = 60
# Floors about two questions (0.035) under what this subset scored when they were set
# (08:22 UTC 2026-12-03: hybrid Hit@5 0.750, MRR@10 0.654, Hit@10 0.917; bm25 0.700 / 0.573;
# dense 0.733 / 0.587). Raise them when retrieval improves; never lower one to let a
# change pass without saying why in the change.
FLOORS = {
    # Measured with the adapted model (the default): hit@10 0.85 where the stock
    # model had 0.88 on this development subset, while test-split Hit@5 rose.
    "hybrid": {"hit@5": 0.715, "mrr@10": 0.62, "hit@10": 0.83},
    "bm25": {"hit@5": 0.665, "mrr@10": 0.54},
    "dense": {"hit@5": 0.70, "mrr@10": 0.55},
}


def passage(text: str, rank: int, start: int = 0) -> Passage:
    chunk = Chunk(
        id=f"c{rank}",
        doc_id="d",
        text=text,
        title="T",
        section=("S",),
        start=start,
        end=start + len(text),
        kind="guide",
        date=None,
        date_label="undated",
    )
    return Passage(chunk, 1.0 / rank, rank)


def words(n: int) -> str:
    return " ".join(["council"] * n)


Q = GoldQuestion("q1", "?", ("Shared  Chief Executive", "joint waste contract"))


def test_a_passage_earns_only_for_quotes_not_already_found():
    passages = [
        passage("nothing here", 1),
        passage("They appointed a shared\nchief executive in 2008.", 2),
        passage("Again: a shared chief executive.", 3),  # repeats quote 0: no gain
        passage("A JOINT waste contract and a shared chief executive.", 4),
    ]
    run, qrels, quote_run, _ = judge(Q, passages, lambda t: len(t.split()))
    assert list(run) == ["c1", "c2", "c3", "c4"] and run["c1"] > run["c2"] > run["c4"]
    assert qrels == {"c2": 1, "c4": 1}
    assert quote_run == {"quote-0": run["c2"], "quote-1": run["c4"]}


def test_a_quote_never_found_joins_the_ideal_ranking():
    _, qrels, quote_run, tokens = judge(Q, [passage("a shared chief executive", 1)], len)
    assert qrels == {"c1": 1, "missing-quote-1": 1} and list(quote_run) == ["quote-0"]
    _, qrels, quote_run, tokens = judge(Q, [passage("unrelated", 1)], len)
    assert qrels == {"missing-quote-0": 1, "missing-quote-1": 1} and tokens is None


def test_tokens_to_evidence_count_passages_shown_before_and_up_to_the_quote():
    passages = [
        passage(words(100), 1),
        passage(words(50) + " shared chief executive " + words(30), 2),
    ]
    _, _, _, tokens = judge(Q, passages, lambda t: len(t.split()))
    assert tokens == 100 + 50 + 3


def test_quote_end_finds_normalised_quotes_in_the_original_text():
    text = "The “Shared\n services” – a guide"
    assert quote_end(text, '"shared services" - a') == len("The “Shared\n services” – a")
    assert quote_end(text, "no such words") is None


@pytest.fixture(scope="module")
def smoke(kb: KnowledgeBase) -> dict[str, ConfigResult]:
    return evaluate_retrieval(kb, subset(load_questions(QUESTIONS), SMOKE_QUESTIONS))


def test_smoke_evaluation_stays_above_the_floors(smoke: dict[str, ConfigResult]):
    assert set(smoke) >= set(FLOORS)
    below = [
        f"{mode} {metric} {smoke[mode].overall[metric]:.3f} < floor {floor:.3f}"
        for mode, floors in FLOORS.items()
        for metric, floor in floors.items()
        if smoke[mode].overall[metric] < floor
    ]
    assert not below, "; ".join(below)


def test_metrics_are_consistent(smoke: dict[str, ConfigResult]):
    for result in smoke.values():
        o = result.overall
        assert o["n"] == SMOKE_QUESTIONS
        assert 0 <= o["hit@1"] <= o["hit@5"] <= o["hit@10"] <= 1
        assert o["hit@1"] <= o["mrr@10"] <= o["hit@10"]
        assert o["latency_p50_ms"] <= o["latency_p95_ms"]
        assert sum(g["n"] for g in result.by_kind.values()) == SMOKE_QUESTIONS
        for q in result.questions:
            assert (q.first_rank is not None) == (q.scores["hit@10"] == 1.0)
            assert q.scores["mrr@10"] == pytest.approx(
                1 / q.first_rank if q.first_rank else 0, abs=1e-5
            )
            assert q.scores["recall@10"] == pytest.approx(q.quotes_found / q.quotes, abs=1e-5)


def test_report_is_written_stamped_and_readable(kb, smoke, tmp_path: Path):
    report = retrieval_report(smoke, stamp(kb, {"questions": SMOKE_QUESTIONS, "k": 10}))
    paths = write_report(report, "smoke", tmp_path)
    assert [p.name for p in paths] == ["smoke.json", "smoke.md", "smoke.png"]
    data = json.loads(paths[0].read_text())
    s = data["stamp"]
    assert s["commit"] and s["model"] and len(s["corpus_hash"]) == 16
    assert s["gold_version"] == gold_version() and s["chunks"] == len(kb.index.chunks)
    assert set(data["configs"]) == set(smoke)
    md = paths[1].read_text()
    assert "| hybrid |" in md and "Hit@5" in md and s["corpus_hash"] in md
    assert paths[2].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert all(m in data["configs"]["hybrid"]["overall"] for m in QUALITY_METRICS)
