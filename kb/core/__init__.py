"""The core every stage shares: settings, the records that flow between stages, the
index store (written by ``ingest``, read by the library), the embedder, text helpers."""
