"""Choose how much an answer's lead leans on retrieval rank, on the tune split only.

    python -m eval.tune_answers          # writes eval/reports/tuning-answers.md

Every tune question is retrieved once as ``kb.answer`` retrieves it; each value of
``answer_rank_prior`` then composes all the answers again from the same passages,
scored as ``kb eval answers`` scores them (gold evidence in the lead, in the answer,
in the citations). The chosen value maximises their sum; ties go to the current
value. The test split is never read.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import numpy as np

from eval.answers import judge_answer
from eval.gold import EVAL_DIR, load_questions
from kb.answers.answerer import SOURCE_PASSAGES
from kb.answers.question import retrieval_query
from kb.api import KnowledgeBase

GRID = (0.0, 0.02, 0.05, 0.1, 0.2, 0.4)
METRICS = ("evidence_in_lead", "evidence_in_answer", "evidence_in_citations")


def main(argv: list[str]) -> int:
    started = time.perf_counter()
    kb = KnowledgeBase()
    answerer = kb.answerer
    index = kb.index
    cache = answerer.build_cache(index)
    questions = load_questions(split="tune")
    retrieved = []
    for q in questions:
        query = retrieval_query(kb.clean_query(q.question), None, kb.settings.max_question_chars)
        view = answerer.assess(cache, index, query)
        retrieved.append((q, view, answerer.should_abstain(view.signals)))
    rows: list[dict[str, Any]] = []
    for prior in GRID:
        composer = type(answerer)(
            kb.settings.model_copy(update={"answer_rank_prior": prior}), answerer.tools
        )
        judged = []
        for q, view, abstained in retrieved:
            if abstained:
                judged.append(dict.fromkeys(METRICS, 0.0))
                continue
            passages = view.passages[:SOURCE_PASSAGES]
            answer = composer.compose_answer(q.question, cache, view.qvec, passages)
            judged.append(judge_answer(q, answer.to_dict()))
        row: dict[str, Any] = {"answer_rank_prior": prior}
        row.update({m: round(float(np.mean([j[m] for j in judged])), 4) for m in METRICS})
        row["sum"] = round(sum(row[m] for m in METRICS), 4)
        rows.append(row)
    current = kb.settings.answer_rank_prior
    best = max(rows, key=lambda r: (r["sum"], r["answer_rank_prior"] == current))
    lines = [
        "# Answer composition: the rank prior, chosen on the tune split",
        "",
        f"{len(questions)} tune questions (`python -m eval.tune_answers`, "
        f"{time.perf_counter() - started:.0f} s). Chosen: **{best['answer_rank_prior']}** "
        f"(in use before: {current}).",
        "",
        "| answer_rank_prior | evidence in lead | in answer | in citations | sum |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['answer_rank_prior']} | {r['evidence_in_lead']:.3f} | {r['evidence_in_answer']:.3f} "
        f"| {r['evidence_in_citations']:.3f} | {r['sum']:.3f} |"
        for r in rows
    ]
    out = EVAL_DIR / "reports" / "tuning-answers.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
