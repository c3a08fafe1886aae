"""`--compare`: better/worse per metric on shared questions; regressions beyond tolerance fail."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from eval.compare import compare_reports, format_comparison
from eval.retrieval import QUALITY_METRICS


def report(hits: dict[str, float], mode: str = "hybrid", **stamp: str) -> dict:
    """A report in the retrieval schema whose every metric per question is ``hits[qid]``."""
    questions = {
        qid: {
            "kind": "fact",
            "style": "question",
            "first_rank": 1 if v else None,
            "scores": {m: v for m in QUALITY_METRICS},
        }
        for qid, v in hits.items()
    }
    return {
        "schema": 1,
        "report": "retrieval",
        "stamp": {"gold_hash": "g", "corpus_hash": "c", "model": "m", **stamp},
        "configs": {
            mode: {
                "overall": {"latency_p50_ms": 10.0, "latency_p95_ms": 20.0},
                "questions": questions,
            }
        },
    }


OLD = {f"q{i:03d}": 1.0 if i < 80 else 0.0 for i in range(100)}  # 0.80 everywhere


def test_identical_reports_are_the_same():
    c = compare_reports(report(OLD), report(OLD))
    assert c.ok and not c.improvements and c.common_questions == 100
    assert "No regression" in format_comparison(c)


def test_drop_beyond_tolerance_is_a_regression_and_names_the_lost_questions():
    new = {**OLD, "q000": 0.0, "q001": 0.0, "q002": 0.0}  # 0.77
    c = compare_reports(report(OLD), report(new), tolerance=0.02)
    assert not c.ok
    assert {r.metric for r in c.regressions} == set(QUALITY_METRICS)
    assert c.lost["hybrid"] == ["q000", "q001", "q002"]
    text = format_comparison(c)
    assert "WORSE" in text and "REGRESSION" in text and "q001" in text


def test_drop_within_tolerance_passes_and_gains_are_better():
    assert compare_reports(report(OLD), report({**OLD, "q000": 0.0}), tolerance=0.02).ok
    gained = compare_reports(report(OLD), report({**OLD, "q090": 1.0, "q091": 1.0}), 0.01)
    assert gained.ok and gained.improvements and gained.gained["hybrid"] == ["q090", "q091"]
    assert "better" in format_comparison(gained)


def test_subset_is_compared_on_shared_questions_only():
    # A subset run that kept the same answers is not a regression against the full baseline,
    # even though its mean over its own (easier) questions differs.
    part = {q: v for q, v in OLD.items() if int(q[1:]) % 2 == 0}
    c = compare_reports(report(OLD), report(part))
    assert c.ok and c.common_questions == 50
    assert all(ch.delta == 0 for ch in c.changes)


def test_changed_data_and_configurations_are_warned_about():
    c = compare_reports(report(OLD, corpus_hash="x"), report(OLD, mode="dense"))
    text = "\n".join(c.warnings)
    assert "corpus differ" in text and "hybrid is in the old report only" in text
    assert "dense is new" in text and c.ok


@pytest.mark.slow
def test_cli_compare_exits_non_zero_on_a_regression(kb, tmp_path: Path):
    """`kb eval retrieval --compare OLD.json` on a real index: a doctored better baseline fails."""
    out = tmp_path / "reports"
    args = [
        sys.executable,
        "-m",
        "cli",
        "eval",
        "retrieval",
        "--mode",
        "bm25",
        "--subset",
        "12",
        "--out",
        str(out),
    ]
    env = {**os.environ, "KB_DATA_DIR": str(kb.settings.data_dir)}
    first = subprocess.run(
        [*args, "--name", "a"], capture_output=True, text=True, env=env, timeout=300
    )
    assert first.returncode == 0, first.stderr
    assert {p.name for p in out.iterdir()} == {"a.json", "a.md", "a.png"}
    same = subprocess.run(
        [*args, "--name", "b", "--compare", str(out / "a.json")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert same.returncode == 0, same.stdout + same.stderr
    assert "No regression" in same.stdout
    better = json.loads((out / "a.json").read_text())
    for q in better["configs"]["bm25"]["questions"].values():
        q["scores"] = {m: 1.0 for m in q["scores"]}
    (out / "better.json").write_text(json.dumps(better))
    worse = subprocess.run(
        [*args, "--name", "c", "--compare", str(out / "better.json")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert worse.returncode == 1
    assert "REGRESSION" in worse.stdout
    missing = subprocess.run(
        [*args, "--compare", str(tmp_path / "nope.json")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert missing.returncode == 1 and missing.stderr.startswith("Error: cannot read")
