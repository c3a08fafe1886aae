"""Query-time embedding without importing sentence-transformers.

Importing sentence-transformers (and llama-index's wrapper of it) takes about
five seconds of a cold ``kb ask`` on two cores, more than everything else the
answer does. The models the library uses are a transformer followed by mean
pooling and normalisation; ``transformers`` alone computes the same vectors in
a third of the import time. A model of any other shape is loaded the usual way
(:func:`kb.core.embedder.load_embedder`), so nothing changes for it.
"""

from __future__ import annotations

import json
import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["QueryEncoder", "mean_pooled"]

# The module chain this encoder reproduces, as a sentence-transformers model lists it.
_CHAIN = ("Transformer", "Pooling", "Normalize")
_MEAN_KEY = "pooling_mode_mean_tokens"  # the older pooling config's flag for mean pooling


def mean_pooled(model_dir: str) -> int | None:
    """The token limit of a local transformer + mean pooling + normalise model, else None.

    The limit is what sentence-transformers would use: ``max_seq_length`` in
    ``sentence_bert_config.json`` when set, else the tokenizer's
    ``model_max_length`` (which a fine-tuned model saves there).
    """
    root = Path(model_dir)
    try:
        modules = json.loads((root / "modules.json").read_text("utf-8"))
        pooling = json.loads((root / "1_Pooling" / "config.json").read_text("utf-8"))
        config = json.loads((root / "sentence_bert_config.json").read_text("utf-8"))
        tokenizer = json.loads((root / "tokenizer_config.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    kinds = tuple(str(m.get("type", "")).rsplit(".", 1)[-1] for m in modules)
    mean = pooling.get("pooling_mode") == "mean" or (
        pooling.get(_MEAN_KEY)
        and not any(
            v for k, v in pooling.items() if k.startswith("pooling_mode_") and k != _MEAN_KEY
        )
    )
    if kinds != _CHAIN or not mean or config.get("do_lower_case"):
        return None
    limit = config.get("max_seq_length") or tokenizer.get("model_max_length")
    return int(limit) if isinstance(limit, int | float) and 0 < limit <= 100_000 else None


class QueryEncoder:
    """The embedder interface answers use (query and text batches), on transformers."""

    def __init__(self, model_dir: str, max_tokens: int, device: str = "cpu", batch_size: int = 32):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as transformers_logging

        # A progress bar for loading a local model is noise in `kb ask`'s output.
        transformers_logging.disable_progress_bar()

        self._torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir)
        self.model = AutoModel.from_pretrained(model_dir).to(device).eval()
        self.max_tokens = max_tokens
        self.device = device
        self.batch_size = batch_size
        self._lock = threading.Lock()  # one model, shared by the app's request threads

    def _encode(self, texts: list[str]) -> list[list[float]]:
        torch = self._torch
        out: list[list[float]] = []
        for i in range(0, len(texts), self.batch_size):
            batch = self.tokenizer(
                # sentence-transformers strips each text before tokenising it.
                [t.strip() for t in texts[i : i + self.batch_size]],
                padding=True,
                truncation=True,
                max_length=self.max_tokens,
                return_tensors="pt",
            ).to(self.device)
            with self._lock, torch.inference_mode():
                tokens = self.model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(tokens.dtype)
            pooled = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            out += torch.nn.functional.normalize(pooled, p=2, dim=1).tolist()
        return out

    def get_query_embedding(self, query: str) -> list[float]:
        return self._encode([query])[0]

    def get_text_embedding(self, text: str) -> list[float]:
        return self._encode([text])[0]

    def get_text_embedding_batch(self, texts: list[str], **_: Any) -> list[list[float]]:
        return self._encode(list(texts))


# The build's model, the stock one (a second reading) and the answer-sentence model.
@lru_cache(maxsize=3)
def query_encoder(model: str, device: str = "cpu", batch_size: int = 32, revision: str = "") -> Any:
    """The fast encoder for ``model`` when it has the usual shape, else the standard one.

    ``revision`` names the training of a model that is retrained in place, so that the
    cache never hands back the one trained before.
    """
    limit = mean_pooled(model) if Path(model).is_dir() else None
    if limit is None:
        from kb.core.embedder import load_embedder

        return load_embedder(model, device, batch_size)
    return QueryEncoder(model, limit, device, batch_size)
