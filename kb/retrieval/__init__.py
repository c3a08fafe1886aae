"""Finding passages: hybrid (dense + BM25) search fused by rank, and the second stage."""
