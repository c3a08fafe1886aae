"""Warm latency of the extractive ``kb.answer``: p50 and p95 over gold and out-of-scope questions.

Warm means the model is loaded and every sentence of the library and the
checklist is embedded (``KnowledgeBase.answerer.warm()``, which the app runs
at start-up); each question is then asked once, and timed.

    KB_DATA_DIR=/tmp/me/data python bench/ask_latency.py [--n 60] [--torch-threads 1]

On a busy two-core machine torch's default of one thread per core oversubscribes
the CPU; ``--torch-threads 1`` shows what pinning the model to one thread gives.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eval.gold import EVAL_DIR, load_jsonl, load_questions  # noqa: E402
from kb.api import KnowledgeBase  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60, help="How many questions to time.")
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=0,
        help="Set torch's intra-op threads first (0: leave torch's default).",
    )
    args = parser.parse_args()
    if args.torch_threads:
        import torch

        torch.set_num_threads(args.torch_threads)
    kb = KnowledgeBase()
    if kb.settings.llm_base_url:
        sys.exit("Unset KB_LLM_BASE_URL: this measures the extractive answer.")
    started = time.perf_counter()
    kb.answer("warm up the model and the index")
    kb.answerer.warm()
    print(
        f"warm-up (model, index, sentence and checklist vectors): "
        f"{time.perf_counter() - started:.1f} s"
    )
    gold = [q.question for q in load_questions()]
    oos = [r["question"] for r in load_jsonl(EVAL_DIR / "out_of_scope.jsonl")]
    step = max(1, len(gold) // max(1, args.n - args.n // 6))
    questions = (gold[::step] + oos[:: max(1, len(oos) // (args.n // 6 or 1))])[: args.n]
    times = []
    for q in questions:
        t = time.perf_counter()
        kb.answer(q)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
    print(
        f"{len(times)} questions: p50 {statistics.median(times):.0f} ms, "
        f"p95 {p95:.0f} ms, max {times[-1]:.0f} ms"
    )


if __name__ == "__main__":
    main()
