"""`kb eval`: retrieval, answer and feedback evaluation commands (thin over ``eval``).

Registered on the ``kb`` app in ``cli/main.py``. Heavy imports happen inside
the commands so ``kb --help`` stays quick.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

eval_app = typer.Typer(
    help="Measure retrieval and answer quality against the gold sets.",
    no_args_is_help=True,
    add_completion=False,
)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(1)


@eval_app.command("retrieval")
def retrieval_command(
    compare: Annotated[
        Path | None, typer.Option("--compare", help="An older report JSON to compare with.")
    ] = None,
    subset: Annotated[
        int | None, typer.Option("--subset", min=1, help="Only N questions (kind-balanced).")
    ] = None,
    mode: Annotated[
        list[str] | None, typer.Option("--mode", help="Only these configurations.")
    ] = None,
    name: Annotated[
        str, typer.Option("--name", help="Report file name, without suffix.")
    ] = "latest",
    out: Annotated[Path | None, typer.Option("--out", help="Report folder.")] = None,
    tolerance: Annotated[
        float | None, typer.Option("--tolerance", help="Allowed drop per metric (absolute).")
    ] = None,
    questions: Annotated[
        Path | None, typer.Option("--questions", help="Gold questions JSONL.")
    ] = None,
    split: Annotated[
        str,
        typer.Option("--split", help="test (the reported split), tune, or all."),
    ] = "test",
) -> None:
    """Hit@1/5/10, Recall@10, MRR@10, nDCG@10 and latency for every retriever configuration.

    Reports the frozen test split (development test questions plus the blind
    set) by default, per kind and kind-averaged with 95% intervals; --split tune
    is what weights may be chosen on. Writes NAME.json, NAME.md and NAME.png
    under eval/reports/. With --compare
    OLD.json, prints what got better or worse and exits 1 on a regression
    beyond the tolerance.
    """
    from cli.common import knowledge_base
    from eval.compare import DEFAULT_TOLERANCE, compare_reports, format_comparison
    from eval.gold import load_questions
    from eval.gold import subset as take_subset
    from eval.report import load_report, retrieval_report, stamp, write_report
    from eval.retrieval import QUALITY_METRICS, K, evaluate_retrieval
    from kb.retrieval.search import MODES

    old = None
    if compare is not None:
        try:
            old = load_report(compare)
        except (OSError, ValueError) as exc:
            raise _fail(f"cannot read {compare}: {exc}") from None
    unknown = [m for m in mode or () if m not in MODES]
    if unknown:
        raise _fail(f"unknown configuration {unknown[0]!r}; use one of {', '.join(MODES)}.")
    if split not in ("test", "tune", "all"):
        raise _fail(f"unknown split {split!r}; use test, tune or all.")
    try:
        gold = load_questions(questions, None if split == "all" else split)
    except (OSError, ValueError, KeyError) as exc:
        raise _fail(f"cannot read the gold questions: {exc}") from None
    chosen = take_subset(gold, subset)
    kb = knowledge_base()
    results = evaluate_retrieval(
        kb, chosen, modes=mode or None, progress=lambda m: typer.echo(m, err=True)
    )
    extra: dict[str, object] = {
        "split": split,
        "questions": len(chosen),
        "subset": len(gold) if subset else None,
        "k": K,
    }
    if questions is not None:  # not the versioned set: gold_hash does not describe it
        extra["questions_file"] = str(questions)
    report = retrieval_report(results, stamp(kb, extra))
    paths = write_report(report, name, out)
    header = f"{'configuration':<14}" + "".join(f"{m:>16}" for m in QUALITY_METRICS)
    typer.echo(header + f"{'p50 ms':>9}{'p95 ms':>9}")
    for m, r in results.items():
        row = f"{m:<14}" + "".join(f"{r.overall[x]:>16.3f}" for x in QUALITY_METRICS)
        typer.echo(row + f"{r.overall['latency_p50_ms']:>9.1f}{r.overall['latency_p95_ms']:>9.1f}")
    for m, r in results.items():
        ka = r.kind_averaged
        if ka:
            typer.echo(
                f"{m} ({split}, kind-averaged): Hit@1 {ka['hit@1']:.3f}  Hit@5 {ka['hit@5']:.3f}  "
                f"MRR@10 {ka['mrr@10']:.3f}  weakest kind Hit@5 {ka['weakest_hit@5']:.3f}"
            )
    typer.echo("wrote " + ", ".join(str(p) for p in paths))
    if old is not None:
        comparison = compare_reports(
            old, report, DEFAULT_TOLERANCE if tolerance is None else tolerance
        )
        typer.echo(format_comparison(comparison))
        if not comparison.ok:
            raise typer.Exit(1)


@eval_app.command("answers")
def answers_command(
    subset: Annotated[
        int | None, typer.Option("--subset", min=1, help="Only N in-scope questions.")
    ] = None,
    name: Annotated[str, typer.Option("--name", help="Report file name.")] = "answers-latest",
    out: Annotated[Path | None, typer.Option("--out", help="Report folder.")] = None,
    split: Annotated[
        str, typer.Option("--split", help="test (the reported split), tune, or all.")
    ] = "test",
    questions: Annotated[
        Path | None,
        typer.Option("--questions", help="Your own in-scope gold questions (JSONL)."),
    ] = None,
    out_of_scope: Annotated[
        Path | None,
        typer.Option("--out-of-scope", help="Your own out-of-scope questions (JSONL)."),
    ] = None,
) -> None:
    """Evidence in the lead sentence, the answer and the citations; words; notices;
    abstention (overall, on questions naming a council or product, out of scope);
    citation precision and case-study recall@3. Reports the test split by default.

    With --questions and/or --out-of-scope, measures only the files given (the gold
    sets' schema, eval/README.md), for an independent question set."""
    from cli.common import knowledge_base
    from eval.answers import AnswersUnavailable, evaluate_answers, question_sets
    from eval.report import write_report

    if split not in ("test", "tune", "all"):
        raise _fail(f"unknown split {split!r}; use test, tune or all.")
    chosen_split = None if split == "all" else split
    # Read the files before the model loads: a typo should not cost a minute.
    try:
        question_sets(chosen_split, questions, out_of_scope)
    except OSError as exc:
        raise _fail(f"cannot read {exc.filename}: {exc.strerror or exc}.") from None
    except ValueError as exc:
        raise _fail(f"{exc}.") from None
    kb = knowledge_base()
    try:
        report = evaluate_answers(
            kb,
            subset=subset,
            progress=lambda m: typer.echo(m, err=True),
            split=chosen_split,
            questions=questions,
            out_of_scope=out_of_scope,
        )
    except (AnswersUnavailable, ValueError) as exc:
        raise _fail(f"{exc}.") from None
    paths = write_report(report, name, out)
    for section, values in report["metrics"].items():
        typer.echo(f"{section}:")
        for key, value in values.items():
            typer.echo(f"  {key:<32} {value}")
    typer.echo("wrote " + ", ".join(str(p) for p in paths))


@eval_app.command("feedback")
def feedback_command(
    export: Annotated[
        Path | None, typer.Option("--export", help="Write candidate gold questions (JSONL).")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """What the app's feedback taught the model, or (--export) candidate gold questions.

    Without --export: each thumbs-down whose correction quotes a library passage
    (a training pair at the next `kb tune`) and where that passage ranks now.
    """
    from cli.common import knowledge_base
    from eval.feedback import FeedbackUnavailable, export_feedback, learned_from_feedback
    from kb.core.settings import get_settings

    if export is None:
        try:
            rows = learned_from_feedback(knowledge_base())
        except FeedbackUnavailable as exc:
            raise _fail(str(exc)) from None
        if json_out:
            typer.echo(json.dumps(rows, ensure_ascii=False))
            return
        if not rows:
            typer.echo(
                "No corrections to learn from yet: a thumbs-down whose correction quotes a "
                "passage of the library becomes a training pair at the next `kb tune`."
            )
        for r in rows:
            rank = f"rank {r['rank_now']}" if r["rank_now"] else "not in the top 10"
            typer.echo(f"- {r['question']}\n    → {r['section']} ({rank} now)")
        return
    try:
        n = export_feedback(get_settings(), export)
    except FeedbackUnavailable as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:
        raise _fail(f"cannot write {export}: {exc.strerror}.") from None
    typer.echo(json.dumps({"exported": n, "file": str(export)}))
