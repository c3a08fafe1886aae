"""The weight of the answer-sentence model in retrieval's second stage, chosen on tune.

    python -m eval.tune_rerank          # writes eval/reports/tuning-rerank.md

``rerank_answer_weight`` adds, for each of the first stage's best candidates, the
cosine of its best quotable sentence under the answer-sentence model
(kb/tuning/answer_sentences.py). That model trains on tune's questions, so the weight
is chosen cross-fitted: for each half of tune, the adapted model and its
answer-sentence model are trained on the other half only (``holdout_index``), and
the half is scored with each weight (kind-averaged, as ``eval/tune_retrieval.py``
scores). The chosen weight has the best MRR@10 averaged over the two halves; ties
go to the smaller weight.

Answers may take their sources in that order too (``answer_reranked_sources``), or keep
the first stage's and add the stage's best one or two passages they leave out
(``answer_rerank_extra``): with the chosen weight, each half's questions are answered
each way and scored as ``kb eval answers`` scores them, with tune's out-of-scope
questions refused or not. Answers take a way only if the lead or the answer figure gains
and no more out-of-scope questions are answered (issue 13: out-of-scope refusals no
worse). The test split is never read.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from eval.answers import judge_answer
from eval.gold import EVAL_DIR, GoldQuestion, load_out_of_scope, load_questions
from eval.tune_retrieval import cached, holdout_index, score
from kb.api import KnowledgeBase
from kb.core.questions import held_out
from kb.core.settings import get_settings

WEIGHTS = (0.0, 0.5, 1.0, 2.0, 3.0, 4.0)
ANSWER_METRICS = ("evidence_in_lead", "evidence_in_answer", "evidence_in_citations")
# The ways answers may use the stage (kb.answers.answerer.Answerer.assess and sources).
SOURCES: dict[str, dict[str, Any]] = {
    "first stage": {"answer_reranked_sources": False, "answer_rerank_extra": 0},
    "first stage + the stage's best passage": {
        "answer_reranked_sources": False,
        "answer_rerank_extra": 1,
    },
    "first stage + the stage's best two": {
        "answer_reranked_sources": False,
        "answer_rerank_extra": 2,
    },
    "re-ordered": {"answer_reranked_sources": True, "answer_rerank_extra": 0},
}


def answer_figures(
    kb: KnowledgeBase, questions: list[GoldQuestion], out_of_scope: list[str]
) -> dict[str, int]:
    """How many answers hold the evidence in the lead, the answer and the citations;
    how many in-scope questions are refused, and how many out-of-scope ones."""
    totals = dict.fromkeys((*ANSWER_METRICS, "refused", "out_of_scope_refused"), 0)
    for q in questions:
        answer = kb.answer(q.question)
        judged = judge_answer(q, answer.to_dict())
        for metric in ANSWER_METRICS:
            totals[metric] += int(judged[metric])
        totals["refused"] += int(answer.abstained)
    totals["out_of_scope_refused"] = sum(kb.answer(q).abstained for q in out_of_scope)
    return totals


def main(argv: list[str]) -> int:
    started = time.perf_counter()
    base = get_settings()
    figures: dict[int, dict[float, dict[str, float]]] = {}
    sizes: dict[int, int] = {}
    held_out_sets = {}
    for half in (1, 0):
        held, index = holdout_index(base, half=half)
        cached(index)
        kb = KnowledgeBase(held)
        cache = kb.answerer.build_cache(index)
        kb.answerer.warm()
        if not cache.has_answer_model:
            raise SystemExit("The held-out model has no answer-sentence model (KB_TUNE_SENTENCES).")
        questions = [q for q in load_questions(split="tune") if held_out(q.id, half)]
        sizes[half] = len(questions)
        vectors = {q.id: kb.embed_query(q.question) for q in questions}
        figures[half] = {
            w: score(
                index,
                questions,
                vectors,
                held.model_copy(update={"rerank_answer_weight": w}),
                sentence_scores=cache.sentence_scores,
            )
            for w in WEIGHTS
        }
        held_out_sets[half] = (held, questions)

    def mean(w: float, metric: str) -> float:
        return sum(figures[h][w][metric] for h in figures) / len(figures)

    best = max(WEIGHTS, key=lambda w: (round(mean(w, "mrr@10"), 4), -w))
    out_of_scope = [q.question for q in load_out_of_scope(split="tune")]
    answers: dict[str, dict[str, int]] = {}
    for label, ways in SOURCES.items():
        rows = [
            answer_figures(
                KnowledgeBase(held.model_copy(update={"rerank_answer_weight": best, **ways})),
                questions,
                out_of_scope if half == 1 else [],  # the same set: refused once, by half 1's
            )
            for half, (held, questions) in held_out_sets.items()
        ]
        answers[label] = {k: sum(r[k] for r in rows) for k in rows[0]}
    lines = [
        "# The answer-sentence model in retrieval's second stage, chosen on the tune split",
        "",
        f"Each half of tune ({sizes[1]} and {sizes[0]} questions) scored with models trained "
        f"on the other half only (`python -m eval.tune_rerank`, "
        f"{time.perf_counter() - started:.0f} s). Kind-averaged. Chosen: "
        f"**rerank_answer_weight={best}** (in use: {base.rerank_answer_weight}).",
        "",
        "| weight | half 1 Hit@1 / Hit@5 / MRR@10 | half 0 Hit@1 / Hit@5 / MRR@10 | mean MRR@10 |",
        "|---|---|---|---|",
    ]

    def cell(f: dict[str, Any]) -> str:
        return f"{f['hit@1']:.3f} / {f['hit@5']:.3f} / {f['mrr@10']:.3f}"

    lines += [
        f"| {w} | {cell(figures[1][w])} | {cell(figures[0][w])} | {mean(w, 'mrr@10'):.3f} |"
        for w in WEIGHTS
    ]
    n = sizes[0] + sizes[1]
    lines += [
        "",
        f"Answers with weight {best}, both halves ({n} questions; tune's "
        f"{len(out_of_scope)} out-of-scope questions with half 1's models). "
        f"In use: answer_reranked_sources={base.answer_reranked_sources}, "
        f"answer_rerank_extra={base.answer_rerank_extra}.",
        "",
        "| answer sources | evidence in lead | in answer | in citations | in-scope refused "
        "| out-of-scope refused |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {label} | "
        + " | ".join(str(row[k]) for k in (*ANSWER_METRICS, "refused"))
        + f" | {row['out_of_scope_refused']} of {len(out_of_scope)} |"
        for label, row in answers.items()
    ]
    out = EVAL_DIR / "reports" / "tuning-rerank.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
