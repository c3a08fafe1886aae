"""Small helpers shared by the benchmarks."""

from __future__ import annotations

import resource
import tempfile
from pathlib import Path

import numpy as np

from kb.settings import REPO_ROOT, Settings


def bench_settings(data_dir: Path) -> Settings:
    """Settings over the real corpus with a private data directory (never the user's index)."""
    return Settings(data_dir=data_dir, corpus_dir=REPO_ROOT / "corpus")


def scratch_root() -> Path:
    """Benchmark scratch space: ``kb-bench`` under the temp dir (``TMPDIR`` moves it)."""
    root = Path(tempfile.gettempdir()) / "kb-bench"
    root.mkdir(parents=True, exist_ok=True)
    return root


def scratch_dir(name: str) -> Path:
    """A fresh directory for one benchmark run."""
    return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=scratch_root()))


def peak_rss_mb() -> float:
    """This process's peak resident set size so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentiles(ms: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p95_ms": round(float(np.percentile(ms, 95)), 1),
        "mean_ms": round(float(np.mean(ms)), 1),
    }
