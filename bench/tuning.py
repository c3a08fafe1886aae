"""`kb tune` as a user runs it: train the adapted model (and its answer-sentence model),
re-use them, re-embed with the adapted one.

python -m bench.tuning DATA_DIR     # an ingested data folder (bench/__main__ makes one)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bench.common import run_kb


def bench_tuning(data_dir: Path) -> dict[str, Any]:
    """Tune on an ingested data folder, then tune again (re-use), then re-embed (timed apart)."""
    train_wall, made = run_kb(data_dir, "tune", "--no-ingest", "--force")
    reuse_wall, reused = run_kb(data_dir, "tune", "--no-ingest")
    reembed_wall, _ = run_kb(data_dir, "ingest")
    return {
        "train_wall_s": round(train_wall, 1),
        "train_s": made["seconds"],
        "steps": made["steps"],
        "pairs": made["pairs"],
        "disk_mb": made["disk_mb"],
        # The answer-sentence model is trained in the same run, after the adapted one.
        "sentence_pairs": made.get("sentence_pairs", 0),
        "reuse_wall_s": round(reuse_wall, 1),
        "reused": reused["reused"],
        "reembed_wall_s": round(reembed_wall, 1),
    }


if __name__ == "__main__":
    print(json.dumps(bench_tuning(Path(sys.argv[1])), indent=1))
