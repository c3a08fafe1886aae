"""Adapting the embedding model to this corpus, from the corpus itself (`kb tune`)."""

from __future__ import annotations

from kb.tuning.build import TuneResult, collect_pairs, tune
from kb.tuning.pairs import TrainingPair, mine_pairs
from kb.tuning.registry import active_model

__all__ = ["TrainingPair", "TuneResult", "active_model", "collect_pairs", "mine_pairs", "tune"]
