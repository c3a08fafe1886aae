"""`kb tune` as a user runs it: train the adapted model, re-use it, re-embed with it.

python -m bench.tuning DATA_DIR     # an ingested data folder (bench/__main__ makes one)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def _kb(data_dir: Path, *args: str) -> tuple[float, dict[str, Any]]:
    env = {**os.environ, "KB_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "kb.cli", *args, "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=1800,
    )
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"kb {' '.join(args)} failed: {done.stderr.strip()[-500:]}")
    return wall, json.loads(done.stdout.strip().splitlines()[-1])


def bench_tuning(data_dir: Path) -> dict[str, Any]:
    """Tune on an ingested data folder, then tune again (re-use), then re-embed (timed apart)."""
    train_wall, made = _kb(data_dir, "tune", "--no-ingest", "--force")
    reuse_wall, reused = _kb(data_dir, "tune", "--no-ingest")
    reembed_wall, _ = _kb(data_dir, "ingest")
    return {
        "train_wall_s": round(train_wall, 1),
        "train_s": made["seconds"],
        "steps": made["steps"],
        "pairs": made["pairs"],
        "disk_mb": made["disk_mb"],
        "reuse_wall_s": round(reuse_wall, 1),
        "reused": reused["reused"],
        "reembed_wall_s": round(reembed_wall, 1),
    }


if __name__ == "__main__":
    print(json.dumps(bench_tuning(Path(sys.argv[1])), indent=1))
