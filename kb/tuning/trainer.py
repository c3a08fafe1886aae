"""Fine-tune a sentence-transformers model on mined pairs: a plain torch loop, CPU, fixed seed.

Multiple-negatives ranking loss (Henderson et al. 2017; sentence-transformers'
``MultipleNegativesRankingLoss``), written out as a few lines of torch so that
no ``datasets`` package is needed. The embeddings and the lower layers are frozen:
on 2 cores that halves the time and the corpus is too small to retrain them.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb.tuning.pairs import TrainingPair

__all__ = ["TrainParams", "train_model", "batches"]


@dataclass(frozen=True)
class TrainParams:
    """How the model is trained; part of the tuned model's name, so a change retrains."""

    epochs: int = 1
    batch_size: int = 32
    max_tokens: int = 128
    learning_rate: float = 3e-5
    warmup: float = 0.1
    scale: float = 20.0  # cosine similarities times this are the logits
    freeze_layers: int = 3
    seed: int = 0
    threads: int = 2
    hard_negatives: bool = False  # train with each pair's mined negative passage too


def batches(pairs: Sequence[TrainingPair], size: int, seed: int) -> list[list[TrainingPair]]:
    """Shuffled batches in which no passage appears twice.

    Every other passage of a batch is a negative for a query; a second pair for
    the same passage would teach the model to push the right answer away.
    """
    pending = list(pairs)
    random.Random(seed).shuffle(pending)
    out: list[list[TrainingPair]] = []
    while pending:
        batch: list[TrainingPair] = []
        used: set[str] = set()
        rest: list[TrainingPair] = []
        for pair in pending:
            if len(batch) < size and pair.chunk_id not in used:
                batch.append(pair)
                used.add(pair.chunk_id)
            else:
                rest.append(pair)
        if len(batch) > 1:  # a batch of one has no negatives
            out.append(batch)
        pending = rest if len(batch) > 1 else []
    return out


def train_model(
    base_model: str,
    pairs: Sequence[TrainingPair],
    out_dir: Path,
    params: TrainParams,
    progress: Callable[[int, int, float], None] | None = None,
) -> dict[str, float]:
    """Train from ``base_model`` and save a sentence-transformers model in ``out_dir``.

    Returns figures about the run (steps, seconds, final loss).
    """
    import torch
    import torch.nn.functional as F
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(params.seed)
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(max(1, params.threads))
    try:
        model = SentenceTransformer(base_model, device="cpu")
        model.max_seq_length = params.max_tokens
        encoder: Any = model[0].auto_model
        for p in encoder.embeddings.parameters():
            p.requires_grad = False
        for layer in encoder.encoder.layer[: params.freeze_layers]:
            for p in layer.parameters():
                p.requires_grad = False
        trainable = [p for p in model.parameters() if p.requires_grad]
        optimiser = torch.optim.AdamW(trainable, lr=params.learning_rate)
        plan = [
            b
            for e in range(params.epochs)
            for b in batches(pairs, params.batch_size, params.seed + e)
        ]
        total = len(plan)
        warm = max(1, int(total * params.warmup))

        def rate(step: int) -> float:  # linear warm-up, then linear decay
            return (
                (step + 1) / warm
                if step < warm
                else max(0.0, (total - step) / max(1, total - warm))
            )

        scheduler = torch.optim.lr_scheduler.LambdaLR(optimiser, rate)

        def encode(texts: list[str]) -> torch.Tensor:
            features = model.preprocess(texts)
            return F.normalize(model(features)["sentence_embedding"], dim=-1)

        model.train()
        started = time.perf_counter()
        loss_value = math.nan
        for step, batch in enumerate(plan):
            queries = encode([p.query for p in batch])
            passages = encode([p.passage for p in batch])
            logits = queries @ passages.T * params.scale
            labels = torch.arange(len(batch))
            # Both directions: a query finds its passage, a passage its query.
            loss = (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels)) / 2
            negatives = [p.negative for p in batch if p.negative]
            if params.hard_negatives and len(negatives) == len(batch):
                # A passage that shares the query's words but answers something else:
                # a harder negative than the other pairs' passages (Karpukhin et al. 2020).
                hard = queries @ encode(negatives).T * params.scale
                loss = loss + F.cross_entropy(torch.cat([logits, hard], dim=1), labels) / 2
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            scheduler.step()
            loss_value = float(loss.detach())
            if progress:
                progress(step + 1, total, loss_value)
        model.eval()
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        model.save(str(out_dir))
        return {
            "steps": total,
            "seconds": round(time.perf_counter() - started, 1),
            "loss": round(loss_value, 4),
        }
    finally:
        torch.set_num_threads(previous_threads)
