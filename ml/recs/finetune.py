"""Contrastive fine-tuning of the shared encoder on (history text -> next purchased item text).

The loss is sentence-transformers' MultipleNegativesRankingLoss written out in plain torch: in a
batch of n pairs, each history must pick its own next item among the n items (cosine similarity
times ``scale``, cross-entropy); the other members' next items are the negatives for free. When
two pairs in a batch share the same item, the duplicate is masked so it is not a false negative.

The artifact directory holds ``model/`` (weights + tokenizer, loadable by ml.scoring.Encoder as a
local base model), ``config.json`` (this config, verbatim) and ``metrics.json``.
"""

from __future__ import annotations

import dataclasses
import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from transformers import AutoModel, AutoTokenizer

from ml.base_model import resolve_base_model
from ml.device import pick_device
from ml.scoring import mean_pool

ProgressHook = Callable[[int, int, float], None]  # (step, total steps, loss)
CancelHook = Callable[[], bool]


class RecsTrainingCancelled(Exception):
    """should_cancel() answered True; nothing was saved."""


@dataclass
class RecsTrainConfig:
    base_model: str | None = field(default=None, metadata={"help": "Encoder to start from (see ml.base_model)."})
    output_dir: str = field(default="artifacts/recs", metadata={"help": "Where model/, config.json, metrics.json go."})
    epochs: float = field(default=1.0, metadata={"help": "Passes over the pairs (fractions stop early)."})
    batch_size: int = field(default=32, metadata={"help": "Pairs per step; also the number of negatives + 1."})
    learning_rate: float = field(default=3e-5, metadata={"help": "AdamW learning rate, linear decay to 0."})
    max_length: int = field(default=128, metadata={"help": "Tokens per history or item text."})
    scale: float = field(default=20.0, metadata={"help": "Cosine similarity multiplier (MNRL's default)."})
    max_pairs: int = field(default=0, metadata={"help": "Sample at most this many pairs (0 = all)."})
    max_seconds: float = field(default=0.0, metadata={"help": "Stop after this long, saving what was learned (0 = no limit)."})
    seed: int = field(default=42, metadata={"help": "Seed for sampling, shuffling and torch."})
    device: str | None = field(default=None, metadata={"help": "cuda / cpu; empty picks the GPU when present."})

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class RecsTrainResult:
    artifact_dir: Path
    model_dir: Path  # pass to ml.scoring.Encoder(base_model=...)
    steps: int
    pairs: int
    first_loss: float
    last_loss: float
    seconds: float


def _set_seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def contrastive_loss(anchors: torch.Tensor, positives: torch.Tensor, scale: float, duplicate: torch.Tensor) -> torch.Tensor:
    """In-batch negatives cross-entropy; ``duplicate[i, j]`` True masks j != i sharing i's item."""
    logits = scale * anchors @ positives.T
    logits = logits.masked_fill(duplicate, float("-inf"))
    return torch.nn.functional.cross_entropy(logits, torch.arange(len(anchors), device=anchors.device))


def fine_tune(
    pairs: Sequence[tuple[str, str]], config: RecsTrainConfig, *, item_keys: Sequence[str] | None = None,
    on_progress: ProgressHook | None = None, should_cancel: CancelHook | None = None,
) -> RecsTrainResult:
    """Fine-tune on (history text, item text) pairs and save the artifact; ``item_keys`` (one per
    pair) identifies items for the duplicate mask (the item text is used when omitted)."""
    if len(pairs) < 2:
        raise ValueError(f"need at least 2 training pairs for in-batch negatives, got {len(pairs)}")
    _set_seed(config.seed)
    keys = list(item_keys) if item_keys is not None else [p[1] for p in pairs]
    order = list(range(len(pairs)))
    if config.max_pairs and len(order) > config.max_pairs:
        order = random.sample(order, config.max_pairs)
    resolved = resolve_base_model(config.base_model)
    device = pick_device(config.device)
    tokenizer = AutoTokenizer.from_pretrained(resolved.location, local_files_only=resolved.local_files_only)
    model = AutoModel.from_pretrained(resolved.location, local_files_only=resolved.local_files_only).to(device)
    steps_per_epoch = max(1, len(order) // config.batch_size)
    total = max(1, round(steps_per_epoch * config.epochs))
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: max(0.0, 1 - step / total))

    def embed(texts: list[str]) -> torch.Tensor:
        batch = tokenizer(texts, padding=True, truncation=True, max_length=config.max_length, return_tensors="pt").to(device)
        return mean_pool(model(**batch).last_hidden_state, batch["attention_mask"])

    model.train()
    started, losses, step = time.monotonic(), [], 0
    while step < total:
        random.shuffle(order)
        for start in range(0, len(order) - 1, config.batch_size):
            if step >= total or (config.max_seconds and time.monotonic() - started > config.max_seconds):
                total = step  # out of time: keep what was learned so far
                break
            if should_cancel and should_cancel():
                raise RecsTrainingCancelled("cancelled")
            chunk = order[start : start + config.batch_size]
            if len(chunk) < 2:
                continue
            batch_keys = [keys[i] for i in chunk]
            duplicate = torch.tensor([[a == b and i != j for j, b in enumerate(batch_keys)] for i, a in enumerate(batch_keys)],
                                     device=device)
            loss = contrastive_loss(embed([pairs[i][0] for i in chunk]), embed([pairs[i][1] for i in chunk]),
                                    config.scale, duplicate)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            step += 1
            losses.append(loss.item())
            if on_progress:
                on_progress(step, total, losses[-1])
    if not losses:
        raise ValueError("no training step ran (time limit too short?)")
    out = Path(config.output_dir)
    model_dir = out / "model"
    model_dir.mkdir(parents=True, exist_ok=True)
    model.eval()
    model.save_pretrained(model_dir)
    tokenizer.save_pretrained(model_dir)
    seconds = time.monotonic() - started
    result = RecsTrainResult(out, model_dir, len(losses), len(order), losses[0], float(np.mean(losses[-10:])), seconds)
    (out / "config.json").write_text(json.dumps({**config.to_dict(), "base_model_resolved": resolved.to_dict()}, indent=2))
    (out / "metrics.json").write_text(json.dumps(
        {"steps": result.steps, "pairs": result.pairs, "first_loss": result.first_loss,
         "last_loss": result.last_loss, "seconds": round(seconds, 1)}, indent=2))
    return result
