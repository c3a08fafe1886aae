"""`kb`: the command line, thin over the library (ingest, tune, search, ask, cases, eval)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.common import emit, fail, knowledge_base, read_queries
from cli.evaluate import eval_app
from kb.api import QueryError
from kb.core.records import SearchFilters
from kb.core.settings import get_settings
from kb.retrieval.search import MODES

app = typer.Typer(
    help="The shared-services guidance knowledge base.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="Extra files or folders.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Ingest the corpus manifest, plus any files or folders given as extra documents.

    Exits 0 only when every file ingested; each failure is named with its reason.
    """
    from ingest.errors import IngestError
    from ingest.pipeline import extra_documents
    from ingest.pipeline import ingest as run_ingest

    extra, failed = extra_documents(list(paths or []))
    try:
        report = run_ingest(get_settings(), extra=extra, progress=not quiet and not json_out)
    except IngestError as exc:
        fail(str(exc))
    except OSError as exc:  # disk full, permissions: the switch never happened
        fail(f"ingest stopped ({exc.strerror or exc}); the previous index is still in use.")
    report.failed.update(failed)
    if json_out:
        emit({**report.__dict__, "ok": report.ok})
    else:
        for label, ids in (
            ("added", report.added),
            ("replaced", report.replaced),
            ("removed", report.removed),
            ("unchanged", report.unchanged),
        ):
            if ids:
                typer.echo(f"{label}: {', '.join(ids)}")
        for doc_id, reasons in report.dropped.items():
            dropped = ", ".join(f"{n} {why}" for why, n in sorted(reasons.items()))
            typer.echo(f"dropped from {doc_id} (characters): {dropped}")
        typer.echo(f"{report.chunks} chunks in build {report.build_id} ({report.seconds:.1f} s)")
        for name, reason in report.failed.items():
            typer.echo(
                f"failed: {reason}" if name in reason else f"failed: {name}: {reason}", err=True
            )
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def tune(
    reingest: Annotated[
        bool, typer.Option("--ingest/--no-ingest", help="Re-embed the index with the model.")
    ] = True,
    force: Annotated[bool, typer.Option("--force", help="Train even if nothing changed.")] = False,
    holdout: Annotated[
        bool,
        typer.Option("--holdout", help="Train without half of the tune questions (for eval)."),
    ] = False,
    if_enabled: Annotated[
        bool, typer.Option("--if-enabled", help="Do nothing (exit 0) when KB_TUNE=false.")
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Adapt the embedding model to the corpus, then re-embed the index with it.

    Fine-tunes KB_EMBED_MODEL on pairs mined from the current build (headings,
    sentences, case studies, checklist, tune-split questions, officers'
    corrections) on the CPU with a fixed seed. The model is kept under the data
    folder, named by a hash of its inputs, and re-used while they are unchanged:
    a second run takes seconds. KB_TUNE=false turns the tuned model off.

    Then trains the answer-sentence model from it (tune-split questions and the
    sentences that hold their evidence), which answers use to choose what to quote;
    KB_TUNE_SENTENCES=false skips it.
    """
    from ingest.pipeline import ingest as run_ingest
    from kb.tuning import tune as run_tune

    settings = get_settings()
    if not settings.tune and not holdout and if_enabled:
        typer.echo("tuning is off (KB_TUNE=false): nothing to do.")
        return
    if not settings.tune and not holdout:
        fail("tuning is off (KB_TUNE=false); set KB_TUNE=true to use a tuned model.")
    index = knowledge_base().index

    def progress(step: int, total: int, loss: float) -> None:
        if not json_out and (step == 1 or step % 10 == 0 or step == total):
            typer.echo(f"  step {step}/{total}  loss {loss:.3f}", err=True)

    try:
        result = run_tune(settings, index, holdout=holdout, force=force, progress=progress)
    except OSError as exc:
        fail(f"tuning stopped ({exc.strerror or exc}); the previous model is still in use.")
    out: dict[str, Any] = result.to_dict()
    if reingest and not holdout:
        report = run_ingest(settings, progress=False)
        out["build_id"] = report.build_id
    if json_out:
        emit(out)
        return
    verb = (
        "re-used" if result.reused else f"trained in {result.seconds:.0f} s ({result.steps} steps)"
    )
    typer.echo(f"model {result.model_dir}: {verb}, {result.disk_mb} MB")
    typer.echo("pairs: " + ", ".join(f"{k} {v}" for k, v in result.pairs.items()))
    if result.sentence_model:
        how = "re-used" if result.sentence_reused else "trained"
        typer.echo(
            f"answer-sentence model {result.sentence_model}: {how} "
            f"({result.sentence_pairs} question-sentence pairs)"
        )
    if "build_id" in out:
        typer.echo(f"index embedded with it: build {out['build_id']}")


@app.command()
def stats(json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Documents, chunks, model and when the index was built."""
    data = knowledge_base().stats()
    if json_out:
        emit(data)
        return
    typer.echo(f"{data['documents']} documents, {data['chunks']} chunks")
    typer.echo(f"model: {data['model']}")
    typer.echo(f"indexed at: {data['indexed_at']} (build {data['build_id']})")
    for doc_id, n in data["by_document"].items():
        typer.echo(f"  {doc_id}: {n} chunks")


@app.command()
def search(
    query: Annotated[str | None, typer.Argument(help="The question.")] = None,
    k: Annotated[
        int | None, typer.Option("--k", help="How many passages (default KB_TOP_K).")
    ] = None,
    queries: Annotated[Path | None, typer.Option(help="JSONL file of queries.")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
    doc: Annotated[list[str] | None, typer.Option(help="Only these document ids.")] = None,
    kind: Annotated[list[str] | None, typer.Option(help="Only these kinds.")] = None,
    section: Annotated[str | None, typer.Option(help="Section path containing this.")] = None,
    mode: Annotated[str, typer.Option(help="hybrid, dense or bm25.")] = "hybrid",
) -> None:
    """Search the knowledge base; --queries FILE.jsonl runs a batch."""
    if (query is None) == (queries is None):
        fail("give either a QUERY or --queries FILE.jsonl.")
    if k is not None and not 1 <= k <= 100:  # a bad option fails the command, not each query
        fail("--k must be between 1 and 100.")
    if mode not in MODES:
        fail(f"--mode must be one of {', '.join(MODES)}.")
    kb = knowledge_base()
    filters = SearchFilters(tuple(doc or ()), tuple(kind or ()), section)
    rows = read_queries(queries) if queries else [{"id": None, "question": query}]
    for row in rows:
        try:
            passages = kb.search(str(row["question"]), k=k, filters=filters, mode=mode)
        except QueryError as exc:
            if queries is None:
                fail(str(exc))
            emit({"id": row["id"], "question": row["question"], "results": [], "error": str(exc)})
            continue
        if json_out or queries:
            emit(
                {
                    "id": row["id"],
                    "question": row["question"],
                    "results": [p.to_dict() for p in passages],
                }
            )
            continue
        for p in passages:
            c = p.chunk
            where = ", ".join(x for x in (c.section_label, c.page_label, c.date_label) if x)
            typer.echo(f"[{p.rank}] {c.title} — {where}")
            typer.echo(
                "    " + c.text[:300].replace("\n", " ") + ("…" if len(c.text) > 300 else "")
            )
        if not passages:
            typer.echo("No passages found.")


@app.command()
def ask(
    question: Annotated[str | None, typer.Argument(help="The question.")] = None,
    queries: Annotated[Path | None, typer.Option(help="JSONL file of questions.")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Answer a question from the library, with numbered, dated sources.

    --queries FILE.jsonl answers a batch, one JSON object per line.
    """
    from kb.answers.record import format_answer

    if (question is None) == (queries is None):
        fail("give either a QUESTION or --queries FILE.jsonl.")
    kb = knowledge_base()
    rows = read_queries(queries) if queries else [{"id": None, "question": question}]
    for row in rows:
        history = row.get("history")
        try:
            if history is not None and not isinstance(history, list):
                raise QueryError("history must be a list of earlier turns.")
            answer = kb.answer(str(row["question"]), history=history)
        except QueryError as exc:
            if queries is None:
                fail(str(exc))
            emit(
                {
                    "id": row["id"],
                    "question": row["question"],
                    "answer": "",
                    "abstained": True,
                    "citations": [],
                    "case_studies": [],
                    "notices": [],
                    "error": str(exc),
                }
            )
            continue
        if json_out or queries:
            emit(answer.to_dict(id=row["id"]))
        else:
            typer.echo(format_answer(answer))


@app.command()
def cases(
    query: Annotated[str | None, typer.Option("--query", "-q", help="A situation.")] = None,
    service: Annotated[str | None, typer.Option(help="Only records sharing this service.")] = None,
    model: Annotated[str | None, typer.Option(help="Only this sharing model.")] = None,
    council_type: Annotated[str | None, typer.Option(help="district, county, unitary ...")] = None,
    kind: Annotated[str | None, typer.Option(help="full (case study) or short (example).")] = None,
    k: Annotated[int, typer.Option("--k", help="How many matches for --query.")] = 5,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List case studies and examples, filtered; --query ranks them against a situation.

    --json prints a JSON list of records (with a "reason" for each match).
    """
    from kb.cases.library import filter_cases
    from kb.cases.matching import format_case

    if kind not in (None, "full", "short"):
        fail("--kind must be full or short.")
    kb = knowledge_base()
    library = kb.case_library()
    if not library.complete:
        typer.echo(f"Warning: {library.problems[0]}", err=True)
    if query is None:
        items: list[Any] = kb.cases(service, model, council_type, kind)
    else:
        try:
            matches = kb.match_cases(query, k=100)
        except QueryError as exc:
            fail(str(exc))
        records = [m.record for m in matches]
        kept = {r.id for r in filter_cases(records, service, model, council_type, kind)}
        items = [m for m in matches if m.record.id in kept][:k]
    if json_out:
        emit([item.to_dict() for item in items])
        return
    for item in items:
        typer.echo(format_case(item) + "\n")
    if not items:
        typer.echo("No case studies match.")


app.add_typer(eval_app, name="eval")


def main() -> None:
    from kb.core.store import StoreUnavailableError

    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except StoreUnavailableError as exc:  # a deployment problem, not a bug: one sentence
        typer.echo(f"Error: {exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
