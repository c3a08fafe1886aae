"""Small helpers shared by the benchmarks."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from kb.core.settings import REPO_ROOT, Settings


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


def run_kb(data_dir: Path, *args: str, timeout: int = 1800) -> tuple[float, dict[str, Any]]:
    """``kb ARGS --json`` in a fresh process over ``data_dir``, as a user runs it."""
    env = {**os.environ, "KB_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "cli", *args, "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=timeout,
    )
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"kb {' '.join(args)} failed: {done.stderr.strip()[-500:]}")
    return wall, json.loads(done.stdout.strip().splitlines()[-1])
