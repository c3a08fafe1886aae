"""Run every benchmark and print the figures as JSON and as Markdown tables.

nice python -m bench            # a few minutes on 2 cores (the 100k corpus dominates)
nice python -m bench --quick    # skip the 100,000-chunk corpus
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import time
from typing import Any

from bench.common import scratch_dir
from bench.index_ops import bench_index_ops
from bench.ingest import bench_ingest
from bench.query import SYNTHETIC_SIZES, bench_query
from bench.tuning import bench_tuning


def markdown(results: dict[str, Any]) -> str:
    ops, ing, query = results["index_ops"], results["ingest"], results["query"]
    rows = [
        (
            "full ingest, `kb ingest` in a fresh process (incl. model load)",
            f"{ops['full_ingest_wall_s']} s ({ops['chunks']} chunks)",
        ),
        (
            "no-op re-ingest, `kb ingest` in a fresh process",
            f"{ops['noop_reingest_wall_s']} s (ingest {ops['noop_reingest_inside_s']} s)",
        ),
        ("model load", f"{ing['model_load_s']} s"),
        (
            "pipeline throughput (model loaded)",
            f"{ing['pipeline_chunks_per_s']} chunks/s ({ing['pipeline_s']} s)",
        ),
        (
            "raw encode rate, same model and batch size, same run",
            f"{ing['raw_encode_chunks_per_s']} chunks/s ({ing['raw_encode_s']} s)",
        ),
        ("pipeline time / raw encode time", str(ing["pipeline_over_raw_encode"])),
        (
            "same, in CPU seconds",
            f"{ing['pipeline_over_raw_encode_cpu']} "
            f"({ing['pipeline_cpu_s']} / {ing['raw_encode_cpu_s']} CPU s)",
        ),
    ]
    lines = [
        f"Measured {results['when']} on {results['machine']}.",
        "",
        "| ingest | figure |",
        "|---|---|",
        *(f"| {a} | {b} |" for a, b in rows),
        "",
    ]
    tuning = results.get("tuning")
    if tuning:
        lines += [
            "| tuning (`kb tune` in a fresh process, 2 cores) | figure |",
            "|---|---|",
            f"| train the adapted model, then its answer-sentence model | "
            f"{tuning['train_wall_s']} s (adapted {tuning['train_s']} s: {tuning['steps']} "
            f"steps, {sum(tuning['pairs'].values())} pairs; answer-sentence "
            f"{tuning.get('sentence_pairs', 0)} pairs) |",
            f"| tuned models on disk | {tuning['disk_mb']} MB |",
            f"| second `kb tune` (re-used, no re-embed needed) | {tuning['reuse_wall_s']} s |",
            f"| re-embed the corpus with it (`kb ingest`) | {tuning['reembed_wall_s']} s |",
            "",
        ]
    lines += [
        "| corpus | chunks | search hybrid p50 / p95 ms | dense p50 / p95 | bm25 p50 / p95 "
        "| floor p50 / p95 | hybrid / floor p95 | ask p50 / p95 | ask / floor p95 "
        "| first query s | peak RSS MB | load avg |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in query.items():
        cells = []
        for key in ("search_hybrid", "search_dense", "search_bm25", "floor"):
            cells.append(f"{r[key]['p50_ms']} / {r[key]['p95_ms']}" if key in r else "-")
        cells.append(f"{r.get('hybrid_over_floor_p95', '-')}×")
        cells.append(f"{r['ask']['p50_ms']} / {r['ask']['p95_ms']}" if "ask" in r else "-")
        cells.append(f"{r['ask_over_floor_p95']}×" if "ask_over_floor_p95" in r else "-")
        lines.append(
            f"| {name} | {r['chunks']:,} | "
            + " | ".join(cells)
            + f" | {r['first_query_s']} | {r['peak_rss_mb']} "
            + f"| {r.get('load_average_start')}–{r.get('load_average_end')} |"
        )
    for name, r in query.items():
        if "search_hybrid_first_stage" in r:
            lines.append(
                f"\n{name}: hybrid without the answer-sentence stage "
                f"(`KB_RERANK_ANSWER_WEIGHT=0`), "
                f"same run: p50 / p95 {r['search_hybrid_first_stage']['p50_ms']} / "
                f"{r['search_hybrid_first_stage']['p95_ms']} ms = "
                f"{r['hybrid_first_stage_over_floor_p95']}× the floor."
            )
    builds = [r for r in query.values() if "write_build_s" in r]
    if builds:
        lines += ["", "| synthetic build | write s | build peak RSS MB |", "|---|---|---|"]
        lines += [
            f"| {r['chunks']:,} chunks | {r['write_build_s']} | {r['build_peak_rss_mb']} |"
            for r in builds
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the ingest and query benchmarks.")
    parser.add_argument("--quick", action="store_true", help="skip the 100,000-chunk corpus")
    args = parser.parse_args()
    sizes = tuple(n for n in SYNTHETIC_SIZES if not (args.quick and n >= 100_000))
    real = scratch_dir("real") / "data"  # ingested by the index-ops run, then queried
    try:
        results = {
            "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, load average "
            f"{os.getloadavg()[0]:.1f} at start",
            "index_ops": bench_index_ops(keep=real),
            "tuning": bench_tuning(real),
            "ingest": bench_ingest(),
            "query": bench_query(sizes, real=real),
        }
    finally:
        shutil.rmtree(real.parent, ignore_errors=True)
    print(json.dumps(results, indent=1))
    print()
    print(markdown(results))


if __name__ == "__main__":
    main()
