"""Query latency and memory: the real corpus and synthetic corpora of 10,000 and 100,000 chunks.

Each measurement runs in its own process, so its peak RSS is that of a query
process alone. Synthetic corpora are written straight through
``kb.store.BuildWriter``: text sampled from the real corpus's words (so BM25
sees realistic term statistics) and random unit vectors (no model time at
build), queried with the gold questions and the real model.

    python -m bench.query                      # real corpus, 10k, 100k (kept for re-runs)
    python -m bench.query build --chunks 10000 --data /tmp/syn10k
    python -m bench.query measure --data /tmp/syn10k
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import bench_settings, peak_rss_mb, percentiles, scratch_dir, scratch_root
from kb.core.settings import REPO_ROOT

SYNTHETIC_SIZES = (10_000, 100_000)
CHUNKS_PER_DOCUMENT = 200
QUESTIONS = 100
# Bump when the synthetic corpus or the build format changes, so kept builds are redone.
SYNTHETIC_VERSION = 2  # 2: with sentence windows


def corpus_words(settings: Any) -> list[str]:
    """Every word of the real corpus's cleaned text, with repeats (its term frequencies)."""
    from ingest.manifest import read_manifest
    from ingest.pipeline import prepare_document

    words: list[str] = []
    for meta in read_manifest(settings.manifest_path):
        text = prepare_document(meta, settings, settings.corpus_dir / "structure").text
        words += re.findall(r"[A-Za-z][A-Za-z'-]*", text)
    return words


def build_synthetic(data_dir: Path, n_chunks: int, dim: int = 384, seed: int = 0) -> dict[str, Any]:
    """Write a complete build of ``n_chunks`` synthetic chunks and make it current."""
    from kb.core.records import Chunk, DocumentMeta, Window, content_hash
    from kb.core.store import DocumentRecord, IndexStore

    settings = bench_settings(data_dir)
    rng = np.random.default_rng(seed)
    vocabulary = np.array(corpus_words(settings))
    t0 = time.perf_counter()
    documents, chunks, texts, windows = [], [], {}, []
    for d in range(0, n_chunks, CHUNKS_PER_DOCUMENT):
        doc_id = f"synthetic-{d // CHUNKS_PER_DOCUMENT:05d}"
        meta = DocumentMeta(
            id=doc_id,
            title=f"Synthetic document {d // CHUNKS_PER_DOCUMENT}",
            file=f"{doc_id}.txt",
            kind="article",
            date="2020-01-01",
        )
        parts, ids, pos = [], [], 0
        for i in range(min(CHUNKS_PER_DOCUMENT, n_chunks - d)):
            text = " ".join(rng.choice(vocabulary, size=int(rng.integers(80, 140))))
            chunk = Chunk(
                id=content_hash(f"{doc_id}:{i}:{text}"),
                doc_id=doc_id,
                text=text,
                title=meta.title,
                section=(f"Part {i // 20 + 1}",),
                start=pos,
                end=pos + len(text),
                kind="article",
                date=meta.date,
                date_label="1 January 2020",
            )
            chunks.append(chunk)
            # About as many sentence windows per chunk as the real corpus has (5.6).
            words = text.split()
            windows += [
                Window(chunk.id, " ".join(words[w : w + 20])) for w in range(0, len(words), 20)
            ]
            parts.append(text)
            ids.append(chunk.id)
            pos += len(text) + 2
        texts[doc_id] = "\n\n".join(parts)
        documents.append(
            DocumentRecord(
                meta=meta,
                source_hash=content_hash(texts[doc_id]),
                chunk_ids=ids,
                chars=len(texts[doc_id]),
                sections=[],
            )
        )
    vectors = rng.standard_normal((n_chunks, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    window_vectors = rng.standard_normal((len(windows), dim)).astype(np.float32)
    window_vectors /= np.linalg.norm(window_vectors, axis=1, keepdims=True)
    generate = time.perf_counter() - t0
    store = IndexStore(settings)
    t0 = time.perf_counter()
    writer = store.new_build()
    info = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "embed_model": settings.embed_model,
        "synthetic": True,
        "documents": len(documents),
        "chunks": n_chunks,
    }
    writer.write(
        documents, chunks, vectors, texts, info, windows=windows, window_embeddings=window_vectors
    )
    store.switch(writer.build_id)
    return {
        "chunks": n_chunks,
        "windows": len(windows),
        "generate_s": round(generate, 1),
        "write_build_s": round(time.perf_counter() - t0, 1),
        "build_peak_rss_mb": round(peak_rss_mb()),
    }


def measure(data_dir: Path, n_questions: int = QUESTIONS) -> dict[str, Any]:
    """Open the index, warm up, then time search per mode (and ask when it exists)."""
    from eval.gold import QUESTIONS as DEV_QUESTIONS
    from eval.gold import load_questions, subset
    from eval.retrieval import forget_query_vectors
    from kb.api import KnowledgeBase
    from kb.retrieval.search import MODES

    questions = [q.question for q in subset(load_questions(DEV_QUESTIONS), n_questions)]
    kb = KnowledgeBase(bench_settings(data_dir))
    t0 = time.perf_counter()
    kb.search(questions[0], k=10)  # opens Chroma and BM25, loads the model
    first = time.perf_counter() - t0
    out: dict[str, Any] = {
        "chunks": len(kb.index.chunks),
        "first_query_s": round(first, 2),
        "load_average_start": round(os.getloadavg()[0], 1),
    }
    synthetic = bool(kb.index.info.get("synthetic"))
    if not synthetic:
        kb.answerer.warm()  # as the app does at start-up: every sentence embedded once
    for mode in MODES:
        kb.search("warm up " + mode, k=10, mode=mode)
    # Modes take turns on each question, so a burst of load from other processes
    # on this shared machine falls on all of them alike. The floor is what no
    # retrieval can do without: embed the question and ask Chroma once.
    times: dict[str, list[float]] = {mode: [] for mode in (*MODES, "floor")}
    # The same search without the answer-sentence stage, in the same run: what the stage's
    # second query embedding costs (kb/retrieval/rerank.py).
    first_stage = None
    if not synthetic and kb.answerer.build_cache(kb.index).has_answer_model:
        first_stage = KnowledgeBase(kb.settings.model_copy(update={"rerank_answer_weight": 0}))
        first_stage.search("warm up", k=10)
        times["hybrid_first_stage"] = []
    for q in questions:
        for mode in MODES:
            forget_query_vectors(kb)  # each mode embeds the question itself
            t0 = time.perf_counter()
            kb.search(q, k=10, mode=mode)
            times[mode].append((time.perf_counter() - t0) * 1000)
        if first_stage is not None:
            forget_query_vectors(first_stage)
            t0 = time.perf_counter()
            first_stage.search(q, k=10)
            times["hybrid_first_stage"].append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        kb.index.dense_search(list(kb.embedder.get_query_embedding(q)), 10)
        times["floor"].append((time.perf_counter() - t0) * 1000)
    for mode in MODES:
        out[f"search_{mode}"] = percentiles(times[mode])
    out["floor"] = percentiles(times["floor"])
    out["hybrid_over_floor_p95"] = round(
        out["search_hybrid"]["p95_ms"] / max(out["floor"]["p95_ms"], 1e-9), 2
    )
    if first_stage is not None:
        out["search_hybrid_first_stage"] = percentiles(times["hybrid_first_stage"])
        out["hybrid_first_stage_over_floor_p95"] = round(
            out["search_hybrid_first_stage"]["p95_ms"] / max(out["floor"]["p95_ms"], 1e-9), 2
        )
    if hasattr(kb, "answer") and not synthetic:
        kb.answer(questions[0])
        ask = []
        for q in questions:
            forget_query_vectors(kb)
            t0 = time.perf_counter()
            kb.answer(q)
            ask.append((time.perf_counter() - t0) * 1000)
        out["ask"] = percentiles(ask)
        out["ask_over_floor_p95"] = round(
            out["ask"]["p95_ms"] / max(out["floor"]["p95_ms"], 1e-9), 2
        )
    out["load_average_end"] = round(os.getloadavg()[0], 1)
    out["peak_rss_mb"] = round(peak_rss_mb())
    return out


def synthetic_dir(n: int) -> Path:
    """Where the synthetic corpus of ``n`` chunks is kept between runs (built once)."""
    return scratch_root() / f"synthetic-{n}-v{SYNTHETIC_VERSION}" / "data"


def _complete(data: Path) -> bool:
    from kb.core.store import IndexStore

    return IndexStore(bench_settings(data)).current_id() is not None


def _child(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.query", *args],
        cwd=REPO_ROOT,  # bench is a folder of scripts, not an installed package
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip()[-800:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def scratch_real_index() -> Path:
    """The real corpus ingested into a scratch data directory (the user's index is never used)."""
    from ingest.pipeline import ingest

    data = scratch_dir("real") / "data"
    report = ingest(bench_settings(data), progress=False)
    if not report.ok:
        raise RuntimeError(f"ingest failed: {report.failed}")
    return data


def bench_query(sizes: tuple[int, ...] = SYNTHETIC_SIZES, real: Path | None = None) -> dict:
    """Measure the real corpus (``real``: a data directory, else a scratch ingest) and
    the synthetic corpora, each in a fresh process."""
    results: dict[str, Any] = {}
    data = real or scratch_real_index()
    try:
        results["real"] = _child("measure", "--data", str(data))
    finally:
        if real is None:
            shutil.rmtree(data.parent, ignore_errors=True)
    for n in sizes:
        data = synthetic_dir(n)
        build = {} if _complete(data) else _child("build", "--chunks", str(n), "--data", str(data))
        results[f"synthetic_{n}"] = {**build, **_child("measure", "--data", str(data))}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    b = sub.add_parser("build", help="write a synthetic build")
    b.add_argument("--chunks", type=int, required=True)
    b.add_argument("--data", type=Path, required=True)
    m = sub.add_parser("measure", help="time queries on a data directory")
    m.add_argument("--data", type=Path, required=True)
    m.add_argument("--questions", type=int, default=QUESTIONS)
    a = sub.add_parser("all", help="real corpus and synthetic corpora (default)")
    a.add_argument("--sizes", type=int, nargs="*", default=list(SYNTHETIC_SIZES))
    a.add_argument("--real", type=Path, help="measure this data directory as the real corpus")
    args = parser.parse_args()
    if args.command == "build":
        result = build_synthetic(args.data, args.chunks)
    elif args.command == "measure":
        result = measure(args.data, args.questions)
    else:
        result = bench_query(
            tuple(getattr(args, "sizes", SYNTHETIC_SIZES)), getattr(args, "real", None)
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
