"""Whether known questions should expand the BM25 text, chosen on the tune split only.

    python -m eval.tune_expansion        # writes eval/reports/tuning-expansion.md

The corpus is built twice with the model trained on the first half of tune: once
with that half's questions added to the BM25 text of the passages holding their
evidence, once without. Both are scored with the retrieval settings in use on the
held-out half (kind-averaged, as ``eval/tune_retrieval.py`` scores). The test split
is never read.
"""

from __future__ import annotations

import sys
import time
from typing import Literal

from eval.gold import EVAL_DIR, load_questions
from eval.tune_retrieval import holdout_index, score
from kb.api import KnowledgeBase
from kb.core.settings import get_settings
from kb.tuning.pairs import holdout_fold


def main(argv: list[str]) -> int:
    started = time.perf_counter()
    base = get_settings()
    questions = [q for q in load_questions(split="tune") if holdout_fold(q.id)]
    rows = []
    modes: tuple[Literal["none", "tune-first-half"], ...] = ("none", "tune-first-half")
    for expansion in modes:
        held, index = holdout_index(base, expansion=expansion)
        kb = KnowledgeBase(held)
        vectors = {q.id: kb.embed_query(q.question) for q in questions}
        figures = score(index, questions, vectors, held)
        rows.append((expansion, index.info.get("expanded_chunks", 0), figures))
    best = max(rows, key=lambda r: (r[2]["mrr@10"], r[2]["hit@5"]))
    lines = [
        "# BM25 expansion with known questions, chosen on the tune split",
        "",
        f"{len(questions)} questions of the tune split's held-out half, model and expansion "
        f"from the other half (`python -m eval.tune_expansion`, "
        f"{time.perf_counter() - started:.0f} s). Kind-averaged. Chosen: **{best[0]}** "
        "(the product expands with all of tune: `KB_KNOWN_QUESTIONS=tune`).",
        "",
        "| expansion | chunks expanded | Hit@1 | Hit@5 | MRR@10 |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {name} | {n} | {f['hit@1']:.3f} | {f['hit@5']:.3f} | {f['mrr@10']:.3f} |"
        for name, n, f in rows
    ]
    (EVAL_DIR / "reports" / "tuning-expansion.md").write_text(
        "\n".join(lines) + "\n", encoding="utf-8"
    )
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
