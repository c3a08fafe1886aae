"""Where tuned models live, what they were made from, and which model a build should use.

A tuned model is a folder ``<data_dir>/models/tuned-<hash>`` named by a hash of
everything that made it (base model, training pairs, parameters), so it is
re-used while its inputs are unchanged. ``<data_dir>/models/CURRENT`` names the
one in use, switched atomically after the model is completely written.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

from kb.core.settings import Settings

__all__ = [
    "active_model",
    "model_identity",
    "models_dir",
    "model_dir_for",
    "read_info",
    "switch_model",
]

INFO_FILE = "tuning.json"
# The answer-sentence model lives inside the adapted model it was trained from
# (kb/tuning/answer_sentences.py), so it is kept and removed with it.
SENTENCE_DIR = "sentences"
KEEP_MODELS = 2


def models_dir(settings: Settings) -> Path:
    return settings.data_dir / "models"


def model_identity(model: str) -> str:
    """What a base model is, independent of where a virtual environment put it."""
    path = Path(model)
    if not path.is_dir():
        return model
    digest = hashlib.sha256()
    for name in ("config.json", "modules.json", "sentence_bert_config.json"):
        if (path / name).exists():
            digest.update((path / name).read_bytes())
    for weights in sorted(path.glob("*.safetensors")) + sorted(path.glob("*.bin")):
        digest.update(f"{weights.name}:{weights.stat().st_size}".encode())
    return f"{path.name}:{digest.hexdigest()[:12]}"


def model_dir_for(settings: Settings, digest: str) -> Path:
    return models_dir(settings) / f"tuned-{digest}"


def read_info(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads((path / INFO_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None


def current_model_dir(settings: Settings) -> Path | None:
    try:
        name = (models_dir(settings) / "CURRENT").read_text("utf-8").strip()
    except OSError:
        return None
    path = models_dir(settings) / name
    return path if name and read_info(path) is not None else None


def active_model(settings: Settings) -> str:
    """The model new builds embed with: the tuned one for this base model, else the base.

    ``KB_TUNE=false`` always gives ``KB_EMBED_MODEL`` itself; a tuned model made
    from another base model is never used.
    """
    if not settings.tune:
        return settings.embed_model
    path = current_model_dir(settings)
    info = read_info(path) if path else None
    if path is None or info is None or info.get("base_id") != model_identity(settings.embed_model):
        return settings.embed_model
    return str(path)


def switch_model(settings: Settings, path: Path) -> None:
    """Make ``path`` the tuned model in use (atomic), and drop all but the newest others."""
    root = models_dir(settings)
    tmp = root / f".CURRENT.{os.getpid()}"
    tmp.write_text(path.name, encoding="utf-8")
    os.replace(tmp, root / "CURRENT")
    tuned = sorted(
        (p for p in root.glob("tuned-*") if read_info(p) is not None),
        key=lambda p: (p / INFO_FILE).stat().st_mtime_ns,
        reverse=True,
    )
    keep = {path.name} | {p.name for p in tuned[:KEEP_MODELS]}
    for p in root.iterdir():
        if (
            p.is_dir()
            and p.name not in keep
            and (p.name.startswith("tuned-") or p.name.startswith(".tmp-"))
        ):
            shutil.rmtree(p, ignore_errors=True)


def disk_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20, 1)


def answer_sentence_model(model: str) -> str | None:
    """The answer-sentence model trained from ``model``, when ``kb tune`` made one."""
    path = Path(model) / SENTENCE_DIR
    return str(path) if Path(model).is_dir() and read_info(path) is not None else None
