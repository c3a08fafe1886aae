"""Evaluation reports: a JSON record, a Markdown page and a PNG chart under ``eval/reports/``.

Every report is stamped with what produced it (git commit, model, corpus and
gold-set hashes, the retrieval settings) so two reports can be compared, and
so a figure in the README can be traced to its run.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from eval.gold import (
    CASE_MATCHING,
    EVAL_DIR,
    OUT_OF_SCOPE,
    QUESTIONS,
    file_hash,
    gold_version,
    load_questions,
    normalise,
)
from eval.retrieval import QUALITY_METRICS, TOKEN_BUDGET, ConfigResult
from kb.api import KnowledgeBase

REPORTS_DIR = EVAL_DIR / "reports"
SCHEMA = 1
# Settings that shape retrieval; a report records them so a change is visible.
RETRIEVAL_SETTINGS = (
    "chunk_tokens",
    "chunk_overlap",
    "window_sentences",
    "window_weight",
    "top_k",
    "candidates",
    "rrf_k",
    "dense_weight",
    "bm25_weight",
    "rerank_answer_weight",
    "answer_reranked_sources",
    "embed_batch_size",
)
LABELS = {
    "hit@1": "Hit@1",
    "hit@5": "Hit@5",
    "hit@10": "Hit@10",
    "recall@10": "Recall@10",
    "mrr@10": "MRR@10",
    "ndcg@10": "nDCG@10",
    "evidence@1200t": f"Evidence ≤{TOKEN_BUDGET:,} tok",
}


def git_commit(repo: Path | None = None) -> str:
    """``HEAD``'s short hash, with ``+dirty`` when the working tree has changes."""
    cwd = repo or EVAL_DIR.parent

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=True, timeout=10
        )
        return done.stdout.strip()

    try:
        head = git("rev-parse", "--short=12", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def corpus_hash(kb: KnowledgeBase) -> str:
    """A hash over the indexed documents' ids and cleaned texts.

    Taken from the build itself, so it names the corpus the figures came from
    even when the files on disk have changed since the ingest.
    """
    index = kb.index
    digest = hashlib.sha256()
    for doc_id in sorted(index.documents):
        digest.update(doc_id.encode())
        digest.update(index.document_text(doc_id).encode("utf-8"))
    return digest.hexdigest()[:16]


def evidence_reachable(kb: KnowledgeBase) -> float:
    """Share of gold questions with an evidence quote inside some chunk: Hit@k's ceiling."""
    texts = [normalise(c.text) for c in kb.index.chunks.values()]
    questions = load_questions()
    reachable = sum(
        any(quote in text for quote in q.normalised_evidence for text in texts) for q in questions
    )
    return round(reachable / len(questions), 4) if questions else 0.0


def stamp(kb: KnowledgeBase, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What produced a report: code, model, data and settings."""
    index = kb.index
    model = str(index.info.get("embed_model") or kb.settings.embed_model)
    return {
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "commit": git_commit(),
        "model": "/".join(Path(model).parts[-2:]) if os.sep in model else model,
        "corpus_hash": corpus_hash(kb),
        "documents": len(index.documents),
        "chunks": len(index.chunks),
        "build_id": index.build_id,
        "evidence_reachable": evidence_reachable(kb),
        "gold_version": gold_version(),
        "gold_hash": file_hash(QUESTIONS, OUT_OF_SCOPE, CASE_MATCHING),
        "settings": {name: getattr(kb.settings, name) for name in RETRIEVAL_SETTINGS},
        "machine": (
            f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
        ),
        **(extra or {}),
    }


def retrieval_report(
    results: Mapping[str, ConfigResult], stamp_data: Mapping[str, Any]
) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "report": "retrieval",
        "stamp": dict(stamp_data),
        "configs": {mode: r.to_dict() for mode, r in results.items()},
    }


def write_report(report: Mapping[str, Any], name: str, out_dir: Path | None = None) -> list[Path]:
    """Write ``NAME.json``, ``NAME.md`` and (for retrieval) ``NAME.png``; return the paths."""
    out_dir = out_dir or REPORTS_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{name}.json", out_dir / f"{name}.md"]
    paths[0].write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    if report.get("report") == "retrieval":
        png = out_dir / f"{name}.png"
        paths[1].write_text(retrieval_markdown(report, chart=png.name), encoding="utf-8")
        retrieval_chart(report, png)
        paths.append(png)
    else:
        paths[1].write_text(generic_markdown(report), encoding="utf-8")
    return paths


def load_report(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if data.get("schema") != SCHEMA or "configs" not in data:
        raise ValueError(f"{path.name} is not a retrieval report of schema {SCHEMA}.")
    return data


# -- Markdown -----------------------------------------------------------------------


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if value <= 1.0 else f"{value:.1f}"
    return str(value)


def _stamp_lines(s: Mapping[str, Any]) -> list[str]:
    settings = ", ".join(f"{k}={v}" for k, v in s.get("settings", {}).items())
    lines = [
        f"- created: {s.get('created')} on {s.get('machine')}",
        f"- commit: `{s.get('commit')}`; model: `{s.get('model')}`",
        f"- corpus hash: `{s.get('corpus_hash')}` ({s.get('documents')} documents, "
        f"{s.get('chunks')} chunks, build `{s.get('build_id')}`)",
        f"- gold sets: version {s.get('gold_version')}, hash `{s.get('gold_hash')}`; "
        f"questions with an evidence quote inside some chunk: {s.get('evidence_reachable')}",
        f"- settings: {settings}",
    ]
    if s.get("questions") is not None:
        subset = f" (subset of {s['subset']})" if s.get("subset") else ""
        k = f", k={s['k']}" if s.get("k") else ""
        lines.append(f"- questions: {s['questions']}{subset}{k}")
    own = [s[f] for f in ("questions_file", "out_of_scope_file") if s.get(f)]
    if own:  # the gold sets' version and hash above do not describe these
        lines.append(f"- questions from {', '.join(f'`{f}`' for f in own)} only")
    return lines


def retrieval_markdown(report: Mapping[str, Any], chart: str | None = None) -> str:
    configs: Mapping[str, Any] = report["configs"]
    out = ["# Retrieval evaluation", "", *_stamp_lines(report["stamp"]), ""]
    out += [
        "A passage is relevant when it contains one of the question's evidence quotes "
        "(normalised). Recall@10 is the share of evidence quotes found in the top 10; "
        f'"Evidence ≤{TOKEN_BUDGET:,} tok" is the share of questions whose first evidence '
        f"quote ends within the first {TOKEN_BUDGET:,} tokens of the passages shown in rank "
        "order. Latency is the warm `KnowledgeBase.search` call, per query.",
        "",
        "## Overall",
        "",
    ]
    header = ["configuration", *(LABELS[m] for m in QUALITY_METRICS), "p50 ms", "p95 ms"]
    rows = [
        [
            mode,
            *(c["overall"][m] for m in QUALITY_METRICS),
            c["overall"]["latency_p50_ms"],
            c["overall"]["latency_p95_ms"],
        ]
        for mode, c in configs.items()
    ]
    out += [_table(header, rows), ""]
    out += [
        "## With 95% intervals, overall and kind-averaged",
        "",
        "Intervals are a percentile bootstrap over questions (2,000 resamples, fixed seed). "
        "Kind-averaged is the mean over kinds, so a large kind cannot hide a weak one.",
        "",
    ]
    header = [
        "configuration",
        "Hit@1",
        "Hit@5",
        "MRR@10",
        "kind-avg Hit@1 / Hit@5 / MRR",
        "weakest kind Hit@5",
    ]
    rows = []
    for mode, c in configs.items():
        o, ka = c["overall"], c.get("kind_averaged") or {}
        cells = [
            f"{o[m]:.3f} [{o[m + '_lo']:.2f}, {o[m + '_hi']:.2f}]"
            if m + "_lo" in o
            else f"{o[m]:.3f}"
            for m in ("hit@1", "hit@5", "mrr@10")
        ]
        avg = f"{ka['hit@1']:.3f} / {ka['hit@5']:.3f} / {ka['mrr@10']:.3f}" if ka else "-"
        rows.append([mode, *cells, avg, ka.get("weakest_hit@5", "-")])
    out += [_table(header, rows), ""]
    if chart:
        out += [f"![metrics by configuration]({chart})", ""]
    for group, title in (("by_kind", "kind"), ("by_style", "style"), ("by_source", "source")):
        out += [f"## Hit@5 / MRR@10 by {title}", ""]
        names = sorted({n for c in configs.values() for n in c.get(group, {})})
        header = [title, "n", *(f"{mode} Hit@5 / MRR" for mode in configs)]
        rows = []
        for name in names:
            cells = []
            n = 0
            for c in configs.values():
                g = c.get(group, {}).get(name)
                n = int(g["n"]) if g else n
                cells.append(f"{g['hit@5']:.2f} / {g['mrr@10']:.2f}" if g else "-")
            rows.append([name, n, *cells])
        out += [_table(header, rows), ""]
    best = next(iter(configs))
    missed = [
        (qid, q["kind"]) for qid, q in configs[best]["questions"].items() if q["first_rank"] is None
    ]
    out += [f"## Questions with no evidence in {best}'s top 10 ({len(missed)})", ""]
    out += [", ".join(f"{qid} ({kind})" for qid, kind in missed) or "none", ""]
    return "\n".join(out)


def generic_markdown(report: Mapping[str, Any]) -> str:
    """A readable page for non-retrieval reports (answers): stamp and metric tables."""
    title = str(report.get("report", "evaluation")).capitalize()
    out = [f"# {title} evaluation", "", *_stamp_lines(report.get("stamp", {})), ""]
    for section, values in report.get("metrics", {}).items():
        out += [f"## {section}", ""]
        out += [_table(["metric", "value"], [[k, v] for k, v in values.items()]), ""]
    for note in report.get("notes", []):
        out.append(f"- {note}")
    return "\n".join(out) + "\n"


# -- chart ----------------------------------------------------------------------------


def retrieval_chart(report: Mapping[str, Any], path: Path) -> None:
    """Grouped bars: each quality metric per configuration; Hit@5 per kind beside it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    configs: Mapping[str, Any] = report["configs"]
    modes = list(configs)
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.5), gridspec_kw={"width_ratios": [7, 8]})
    width = 0.8 / max(len(modes), 1)
    for i, mode in enumerate(modes):
        xs = [j + i * width for j in range(len(QUALITY_METRICS))]
        left.bar(xs, [configs[mode]["overall"][m] for m in QUALITY_METRICS], width, label=mode)
    left.set_xticks([j + 0.4 - width / 2 for j in range(len(QUALITY_METRICS))])
    left.set_xticklabels([LABELS[m] for m in QUALITY_METRICS], rotation=30, ha="right", fontsize=8)
    left.set_ylim(0, 1)
    left.set_title("Overall")
    left.legend(fontsize=8)
    kinds = sorted({k for c in configs.values() for k in c["by_kind"]})
    for i, mode in enumerate(modes):
        xs = [j + i * width for j in range(len(kinds))]
        values = [configs[mode]["by_kind"].get(k, {}).get("hit@5", 0.0) for k in kinds]
        right.bar(xs, values, width, label=mode)
    right.set_xticks([j + 0.4 - width / 2 for j in range(len(kinds))])
    right.set_xticklabels(kinds, rotation=30, ha="right", fontsize=8)
    right.set_ylim(0, 1)
    right.set_title("Hit@5 by question kind")
    s = report["stamp"]
    fig.suptitle(f"Retrieval: commit {s.get('commit')}, corpus {s.get('corpus_hash')}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
