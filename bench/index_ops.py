"""Full ingest and no-op re-ingest as a user runs them: ``kb ingest`` in a fresh process.

Wall-clock times include Python start-up, imports and (for the full ingest)
loading the model, because that is what the user waits for.

    python -m bench.index_ops
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from bench.common import run_kb, scratch_dir


def bench_index_ops(keep: Path | None = None) -> dict[str, Any]:
    """Time ``kb ingest`` twice on a fresh data directory (``keep``: use it, and leave it)."""
    work = keep or scratch_dir("index-ops") / "data"
    try:
        full_wall, full = run_kb(work, "ingest", timeout=600)
        noop_wall, noop = run_kb(work, "ingest", timeout=600)
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
