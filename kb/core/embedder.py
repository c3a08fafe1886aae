"""The embedding model, loaded once per process from a local path."""

from __future__ import annotations

import os
from functools import lru_cache

from llama_index.embeddings.huggingface import HuggingFaceEmbedding

from kb.core.settings import Settings


@lru_cache(maxsize=2)
def load_embedder(model: str, device: str = "cpu", batch_size: int = 32) -> HuggingFaceEmbedding:
    """Load a sentence-transformers model through llama-index, never from a hub."""
    # Nothing may be fetched at run time; make a missing model fail fast instead.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    return HuggingFaceEmbedding(model_name=model, device=device, embed_batch_size=batch_size)


def embedder_for(settings: Settings, model: str | None = None) -> HuggingFaceEmbedding:
    """The embedder for ``model``; by default the model new builds use (tuned if present)."""
    from kb.core.model_registry import active_model

    chosen = model or active_model(settings)
    return load_embedder(chosen, settings.embed_device, settings.embed_batch_size)
