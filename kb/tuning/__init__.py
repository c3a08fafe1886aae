"""Adapting the embedding model to this corpus, from the corpus itself (`kb tune`)."""

from __future__ import annotations

from kb.core.model_registry import active_model
from kb.tuning.build import TuneResult, collect_pairs, tune
from kb.tuning.pairs import TrainingPair, mine_pairs

__all__ = ["TrainingPair", "TuneResult", "active_model", "collect_pairs", "mine_pairs", "tune"]
