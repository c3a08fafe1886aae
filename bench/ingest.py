"""Ingest throughput: pipeline chunks/s against the model's raw encode rate, in one run.

The model is loaded first (timed on its own), then the whole corpus is
ingested into a fresh data directory, then the same chunk texts are encoded
directly (chunks and their sentence windows, as the pipeline embeds them)
with the same sentence-transformers model and batch size. The ratio
of the two rates is the pipeline's overhead (loading, cleaning, structure,
chunking, Chroma and BM25 writes) over pure embedding.

    python -m bench.ingest
"""

from __future__ import annotations

import json
import shutil
import time
from typing import Any

from bench.common import bench_settings, peak_rss_mb, scratch_dir


def bench_ingest() -> dict[str, Any]:
    from ingest.pipeline import ingest
    from kb.core.embedder import embedder_for
    from kb.core.store import IndexStore, embed_text

    work = scratch_dir("ingest")
    try:
        settings = bench_settings(work / "data")
        t0 = time.perf_counter()
        embedder = embedder_for(settings)
        embedder.get_text_embedding("warm up")
        model_load = time.perf_counter() - t0

        t0, c0 = time.perf_counter(), time.process_time()
        report = ingest(settings, progress=False)
        pipeline, pipeline_cpu = time.perf_counter() - t0, time.process_time() - c0
        assert report.ok, report.failed

        index = IndexStore(settings).open()
        # Everything the pipeline embedded: each chunk and each of its sentence windows.
        windows, _ = index.windows_of(index.order)
        texts = [embed_text(index.chunks[cid]) for cid in index.order]
        texts += [w.text for w in windows]
        model = getattr(embedder, "_model", None)
        t0, c0 = time.perf_counter(), time.process_time()
        if model is not None:  # the sentence-transformers model under llama-index
            model.encode(texts, batch_size=settings.embed_batch_size, normalize_embeddings=True)
        else:
            embedder.get_text_embedding_batch(texts)
        encode, encode_cpu = time.perf_counter() - t0, time.process_time() - c0
    finally:
        shutil.rmtree(work, ignore_errors=True)
    chunks = report.chunks
    return {
        "chunks": chunks,
        "texts_embedded": len(texts),
        "model_load_s": round(model_load, 2),
        "pipeline_s": round(pipeline, 2),
        "pipeline_chunks_per_s": round(chunks / pipeline, 1),
        "raw_encode_s": round(encode, 2),
        "raw_encode_chunks_per_s": round(chunks / encode, 1),
        "pipeline_over_raw_encode": round(pipeline / encode, 2),
        # CPU seconds of this process (all threads): steadier than wall time when
        # other processes share the cores.
        "pipeline_cpu_s": round(pipeline_cpu, 1),
        "raw_encode_cpu_s": round(encode_cpu, 1),
        "pipeline_over_raw_encode_cpu": round(pipeline_cpu / encode_cpu, 2),
        "peak_rss_mb": round(peak_rss_mb()),
    }


if __name__ == "__main__":
    print(json.dumps(bench_ingest(), indent=1))
