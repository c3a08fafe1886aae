"""Choose the retrieval weights on the tune split only, for the corpus-adapted model.

    python -m eval.tune_retrieval            # writes eval/reports/tuning.{md,json}
    python -m eval.tune_retrieval --current-variant   # weights only, for the model in use

How, so that no figure is fitted on the questions it is reported on:

1. the tune split is halved by a hash of the id (kb.tuning.pairs.holdout_fold);
2. for each training variant (epochs, learning rate) a model is adapted with the
   first half as training pairs (``kb tune --holdout``), and the corpus is embedded
   with it into a separate data folder;
3. every first-stage (RRF k, dense weight, window weight) and second-stage
   (chunk, sentence) weight is scored on the second half, kind-averaged MRR@10
   first, Hit@5 to break ties. The product's model then trains on all of tune
   with the chosen variant and weights. The test split is never read.
"""

from __future__ import annotations

import itertools
import json
import sys
import time
from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from eval.gold import EVAL_DIR, GoldQuestion, load_questions
from ingest.pipeline import ingest
from kb.api import KnowledgeBase
from kb.core.settings import Settings, get_settings
from kb.core.store import Index, IndexStore
from kb.retrieval.focus import question_focus
from kb.retrieval.rerank import SentenceScores
from kb.retrieval.search import hybrid_search
from kb.tuning import tune
from kb.tuning.pairs import holdout_fold

REPORTS = EVAL_DIR / "reports"
STAGE1 = {
    "rrf_k": (10, 30, 60),
    "dense_weight": (0.6, 0.8, 1.0, 1.3, 1.8),
    "window_weight": (0.0, 0.5),
    "focus_weight": (0.0, 0.3, 0.6, 1.0),
}
STAGE2 = {
    "rerank_chunk_weight": (0.0, 0.5, 1.0, 2.0),
    "rerank_sentence_weight": (0.0, 0.5, 1.0, 2.0, 4.0),
}
KEEP_STAGE1 = 3
# Training variants: (epochs, peak learning rate, hard negatives).
VARIANTS = ((1, 3e-5, False), (2, 3e-5, False), (1, 1e-4, False), (1, 3e-5, True))


def cached(index: Index) -> None:
    """Memoise the index's three candidate searches: every setting reuses them."""
    for name in ("dense_search", "window_search", "bm25_search"):
        original: Callable[..., Any] = getattr(index, name)
        memo: dict[Any, Any] = {}

        def wrapper(query: Any, n: int, allowed: Any = None, _f=original, _m=memo) -> Any:
            key = (tuple(query) if isinstance(query, list) else query, n, allowed is None)
            if key not in _m:
                _m[key] = _f(query, n, allowed)
            return _m[key]

        setattr(index, name, wrapper)


def score(
    index: Index,
    questions: list[GoldQuestion],
    vectors: dict[str, list[float]],
    settings: Settings,
    focus: dict[str, list[float] | None] | None = None,
    sentence_scores: Callable[[str], SentenceScores | None] | None = None,
) -> dict[str, float]:
    """Kind-averaged Hit@1, Hit@5 and MRR@10; ``sentence_scores`` gives the second
    stage's answer-sentence signal for a question (eval/tune_rerank.py)."""
    by_kind: dict[str, list[tuple[float, float, float]]] = {}
    for q in questions:
        passages = hybrid_search(
            index,
            q.question,
            vectors[q.id],
            settings,
            10,
            focus_embedding=(focus or {}).get(q.id),
            sentence_scores=sentence_scores(q.question) if sentence_scores else None,
        )
        rank = next((p.rank for p in passages if q.is_relevant(p.chunk.text)), None)
        row = (float(rank == 1), float(rank is not None and rank <= 5), 1.0 / rank if rank else 0.0)
        by_kind.setdefault(q.kind, []).append(row)
    kinds = [np.mean(rows, axis=0) for rows in by_kind.values()]
    hit1, hit5, mrr = np.mean(kinds, axis=0)
    return {
        "hit@1": round(float(hit1), 4),
        "hit@5": round(float(hit5), 4),
        "mrr@10": round(float(mrr), 4),
    }


# The settings that make a training variant (and name its held-out build).
TRAINING = ("tune_epochs", "tune_learning_rate", "tune_hard_negatives")


def holdout_index(
    settings: Settings,
    training: dict[str, Any] | None = None,
    expansion: Literal["tune-first-half", "none"] = "tune-first-half",
    half: int = 1,
) -> tuple[Settings, Index]:
    """The corpus embedded with a model trained on the first half of tune only.

    ``training`` is the training variant (``TRAINING`` settings), by default the one
    in ``settings``. Its BM25 text is expanded with the same half's questions
    (``expansion``), never with the held-out half's: those are what the weights
    are scored on. ``half`` 0 swaps the halves (trained on the second, half 0 held
    out): a choice made on half 1 is checked there (kb.core.questions.held_out).
    """
    training = training or {k: getattr(settings, k) for k in TRAINING}
    main = KnowledgeBase(settings).index
    result = tune(
        settings.model_copy(update=training), main, holdout=True, progress=None, half=half
    )
    name = "holdout-" + "-".join(f"{v}" for v in training.values()) + ("" if half else "-half0")
    known = expansion if half or expansion == "none" else "tune-second-half"
    held = Settings(
        data_dir=settings.data_dir / (name if expansion == "tune-first-half" else f"{name}-none"),
        corpus_dir=settings.corpus_dir,
        embed_model=result.model_dir,
        tune=False,
        known_questions=known,
    )
    ingest(held, progress=False)
    return held, IndexStore(held).open()


def grid(
    index: Index,
    held: Settings,
    questions: list[GoldQuestion],
    vectors: dict[str, list[float]],
    focus: dict[str, list[float] | None],
) -> list[dict[str, Any]]:
    """Every first-stage setting, then the second stage over the best few of them."""
    off = {"rerank_chunk_weight": 0.0, "rerank_sentence_weight": 0.0}
    results: list[dict[str, Any]] = []
    for values in itertools.product(*STAGE1.values()):
        knobs = {**dict(zip(STAGE1, values, strict=True)), **off}
        results.append(
            {
                "settings": knobs,
                **score(index, questions, vectors, held.model_copy(update=knobs), focus),
            }
        )
    for first in sorted(results, key=ranking, reverse=True)[:KEEP_STAGE1]:
        for values in itertools.product(*STAGE2.values()):
            knobs = {**first["settings"], **dict(zip(STAGE2, values, strict=True))}
            results.append(
                {
                    "settings": knobs,
                    **score(index, questions, vectors, held.model_copy(update=knobs), focus),
                }
            )
    return results


def _focus(kb: KnowledgeBase, question: str) -> list[float] | None:
    text = question_focus(question)
    return kb.embed_query(text) if text else None


def ranking(row: dict[str, Any]) -> tuple[float, float]:
    return (row["mrr@10"], row["hit@5"])


def main(argv: list[str]) -> int:
    started = time.perf_counter()
    base = get_settings()
    questions = [q for q in load_questions(split="tune") if holdout_fold(q.id)]
    results: list[dict[str, Any]] = []
    defaults: dict[str, Any] = {}
    variants: tuple[tuple[int, float, bool], ...] = VARIANTS
    if "--current-variant" in argv:  # re-choose the weights only, for the variant in use
        variants = ((base.tune_epochs, base.tune_learning_rate, base.tune_hard_negatives),)
    for epochs, rate, negatives in variants:
        training = {
            "tune_epochs": epochs,
            "tune_learning_rate": rate,
            "tune_hard_negatives": negatives,
        }
        held, index = holdout_index(base, training)
        cached(index)
        kb = KnowledgeBase(held)
        vectors = {q.id: kb.embed_query(q.question) for q in questions}
        focus = {q.id: _focus(kb, q.question) for q in questions}
        for row in grid(index, held, questions, vectors, focus):
            results.append({**row, "settings": {**training, **row["settings"]}})
        if all(getattr(base, k) == v for k, v in training.items()):
            current = {k: getattr(base, k) for k in (*STAGE1, *STAGE2)}
            defaults = {
                "settings": {**training, **current},
                **score(index, questions, vectors, held.model_copy(update=current), focus),
            }
    # The settings in use are a candidate too: the grid keeps only the best first stages.
    best = max([*results, defaults] if defaults else results, key=ranking)
    report: dict[str, Any] = {
        "questions": len(questions),
        "by_source": {s: sum(q.source == s for q in questions) for s in ("dev", "officer")},
        "split": "tune (held-out half)",
        "chosen": best,
        "defaults_now": defaults,
        "tried": len(results),
        "seconds": round(time.perf_counter() - started, 1),
        "all": sorted(results, key=ranking, reverse=True),
    }
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "tuning.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    lines = [
        "# Retrieval weights chosen on the tune split",
        "",
        f"Scored on {len(questions)} questions of the tune split's held-out half "
        f"({report['by_source']}), each training variant adapted on the other half "
        f"(`python -m eval.tune_retrieval`, {report['tried']} settings, "
        f"{report['seconds']:.0f} s). Kind-averaged.",
        "",
        "| | settings | Hit@1 | Hit@5 | MRR@10 |",
        "|---|---|---|---|---|",
    ]
    for label, row in (("chosen", best), ("defaults before", defaults)):
        if not row:
            continue
        knobs = ", ".join(f"{k}={v}" for k, v in row["settings"].items())
        lines.append(
            f"| {label} | {knobs} | {row['hit@1']:.3f} | {row['hit@5']:.3f} | {row['mrr@10']:.3f} |"
        )
    lines += ["", "Top ten settings tried:", ""]
    for row in report["all"][:10]:
        knobs = ", ".join(f"{k}={v}" for k, v in row["settings"].items())
        lines.append(
            f"- {knobs}: Hit@1 {row['hit@1']:.3f}, Hit@5 {row['hit@5']:.3f}, "
            f"MRR@10 {row['mrr@10']:.3f}"
        )
    (REPORTS / "tuning.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines[:8]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
