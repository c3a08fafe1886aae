"""Full ingest and no-op re-ingest as a user runs them: ``kb ingest`` in a fresh process.

Wall-clock times include Python start-up, imports and (for the full ingest)
loading the model, because that is what the user waits for.

    python -m bench.index_ops
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import scratch_dir


def _kb_ingest(data_dir: str) -> tuple[float, dict[str, Any]]:
    env = {**os.environ, "KB_DATA_DIR": data_dir, "HF_HUB_OFFLINE": "1"}
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "kb.cli", "ingest", "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=600,
    )
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"kb ingest failed: {done.stderr.strip()[-500:]}")
    return wall, json.loads(done.stdout.strip().splitlines()[-1])


def bench_index_ops(keep: Path | None = None) -> dict[str, Any]:
    """Time ``kb ingest`` twice on a fresh data directory (``keep``: use it, and leave it)."""
    work = keep or scratch_dir("index-ops") / "data"
    try:
        full_wall, full = _kb_ingest(str(work))
        noop_wall, noop = _kb_ingest(str(work))
    finally:
        if keep is None:
            shutil.rmtree(work.parent, ignore_errors=True)
    return {
        "chunks": full["chunks"],
        "full_ingest_wall_s": round(full_wall, 1),
        "full_ingest_inside_s": round(full["seconds"], 1),
        "noop_reingest_wall_s": round(noop_wall, 1),
        "noop_reingest_inside_s": round(noop["seconds"], 2),
        "noop_changed_anything": bool(noop["added"] or noop["replaced"] or noop["removed"]),
    }


if __name__ == "__main__":
    print(json.dumps(bench_index_ops(), indent=1))
