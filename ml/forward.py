"""Forward passes of a fine-tuned classifier after training (ml.train): logits and embeddings in
one pass, and the timing of that pass that the time budget plans with (ml.budget)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from ml.device import autocast_for
from ml.scoring import mean_pool

FORWARD_BATCH_SIZE = 64  # texts per forward pass when predicting validation/test after training
CALIBRATION_ROWS = 64  # rows timed (after a warm-up batch) to plan the budget's forward passes


def time_forward(model: Any, tokenizer: Any, texts: Sequence[str], max_length: int) -> float:
    """Seconds per row of predict_with_embeddings on a sample of texts (a warm-up pass first)."""
    sample = list(texts[: CALIBRATION_ROWS + 8])
    predict_with_embeddings(model, tokenizer, sample[:8], max_length)
    started = time.monotonic()
    predict_with_embeddings(model, tokenizer, sample[8:], max_length)
    model.train()
    return (time.monotonic() - started) / max(len(sample) - 8, 1)


@torch.inference_mode()
def predict_with_embeddings(model: Any, tokenizer: Any, texts: Sequence[str], max_length: int) -> tuple[np.ndarray, np.ndarray]:
    """(logits, mean-pooled L2-normalised embeddings) for texts, in input order: one pass serves
    the head's predictions and the stacked head's features (same pooling as ml.scoring.Scorer)."""
    model.eval()
    device = next(model.parameters()).device
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    logits: list[Any] = [None] * len(texts)
    embeddings: list[Any] = [None] * len(texts)
    with autocast_for(device):
        for start in range(0, len(order), FORWARD_BATCH_SIZE):
            rows = order[start : start + FORWARD_BATCH_SIZE]
            encoded = tokenizer([texts[i] for i in rows], padding=True, truncation=True, max_length=max_length,
                                return_tensors="pt").to(device)
            output = model(**encoded, output_hidden_states=True)
            pooled = mean_pool(output.hidden_states[-1], encoded["attention_mask"]).cpu().numpy()
            for i, row_logits, row_embedding in zip(rows, output.logits.float().cpu().numpy(), pooled):
                logits[i], embeddings[i] = row_logits, row_embedding
    if not texts:
        return np.zeros((0, model.config.num_labels)), np.zeros((0, model.config.hidden_size))
    return np.stack(logits), np.stack(embeddings)
