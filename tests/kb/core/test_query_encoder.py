"""Query-time embedding on transformers alone gives the sentence-transformers vectors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from kb.api import KnowledgeBase
from kb.core.embedder import load_embedder
from kb.core.query_encoder import QueryEncoder, mean_pooled, query_encoder
from kb.core.settings import Settings

TEXTS = [
    "Can two councils share a chief executive?",
    "  We're two districts thinking of sharing a chief executive – what should we watch? ",
    "section 101 " * 300,  # past every model's token limit: truncated alike
    "",
]


def test_the_bundled_and_the_tuned_model_give_the_sentence_transformers_vectors(
    kb: KnowledgeBase, built_settings: Settings
) -> None:
    tuned = str(kb.index.info["embed_model"])
    for model in {built_settings.embed_model, tuned}:
        fast = query_encoder(model)
        assert isinstance(fast, QueryEncoder), model
        standard = load_embedder(model)
        a = np.asarray(fast.get_text_embedding_batch(TEXTS))
        b = np.asarray(standard.get_text_embedding_batch(TEXTS))
        assert np.abs(a - b).max() < 1e-5, model
        q = np.asarray(fast.get_query_embedding(TEXTS[1]))
        assert np.abs(q - np.asarray(standard.get_query_embedding(TEXTS[1]))).max() < 1e-5
    # The knowledge base embeds questions with it.
    assert isinstance(kb.embedder, QueryEncoder)


def test_a_model_of_another_shape_is_loaded_the_usual_way(
    built_settings: Settings, tmp_path: Path
) -> None:
    copy = tmp_path / "cls-pooled"
    shutil.copytree(built_settings.embed_model, copy)
    pooling = copy / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text("utf-8"))
    config["pooling_mode"] = "cls"
    config.pop("pooling_mode_mean_tokens", None)
    config["pooling_mode_cls_token"] = True
    pooling.write_text(json.dumps(config), "utf-8")
    assert mean_pooled(str(copy)) is None
    assert not isinstance(query_encoder(str(copy)), QueryEncoder)
    assert mean_pooled(str(tmp_path / "missing")) is None
