"""Contrastive fine-tuning of the shared encoder on (history text -> next purchased item text).

The loss is sentence-transformers' MultipleNegativesRankingLoss written out in plain torch: in a
batch of n pairs, each history must pick its own next item among the n items (cosine similarity
times ``scale``, cross-entropy); the other members' next items are the negatives for free. A
negative that is really a right answer is masked: the same item bought after another history, or
another item of the same order (same history text).

What makes a step cheap on a CPU without changing what it learns (see RecsTrainConfig): histories
hold only the newest titles (ml.recs.data.HISTORY_TEXT_TITLES) and items are short, each side
padded only to its own longest text; batches are drawn from histories of similar length; the
encoder runs under bf16 autocast where the hardware has bf16 units; AdamW is the fused kernel.

The artifact directory holds ``model/`` (weights + tokenizer, loadable by ml.scoring.Encoder as a
local base model), ``config.json`` (this config, verbatim) and ``metrics.json``; like every artifact
in ml/ it is written to ``<dir>.partial`` and renamed once complete (ml.artifacts).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from transformers import AutoModel, AutoTokenizer

from ml.artifacts import ArtifactWriter
from ml.base_model import resolve_base_model
from ml.config import BaseTrainConfig
from ml.device import bf16_autocast, pick_device
from ml.scoring import mean_pool

ProgressHook = Callable[[int, int, float], None]  # (step, total steps, loss)
CancelHook = Callable[[], bool]

# Batches per length-sorted group when group_by_length is on (transformers' LengthGroupedSampler
# uses 50 too): lengths within a batch are near-uniform, yet each batch is still a random draw
# from ~1,600 pairs, so its in-batch negatives stay varied.
LENGTH_GROUP_BATCHES = 50


class RecsTrainingCancelled(Exception):
    """should_cancel() answered True; nothing was saved."""


@dataclass
class RecsTrainConfig(BaseTrainConfig):
    output_dir: str = field(default="artifacts/recs", metadata={
        "help": "Where model/, config.json, metrics.json go; must not exist yet or be empty."})
    epochs: float = field(default=1.0, metadata={"help": "Passes over the pairs (fractions stop early)."})
    batch_size: int = field(default=32, metadata={"help": "Pairs per step; also the number of negatives + 1."})
    learning_rate: float = field(default=3e-5, metadata={"help": "AdamW learning rate, linear decay to 0."})
    history_max_length: int = field(default=128, metadata={
        "help": "Token cap for history texts. They list the newest titles first, so truncation drops the oldest; "
                "their length is set mainly by how many titles the caller puts in (HISTORY_TEXT_TITLES)."})
    item_max_length: int = field(default=128, metadata={
        "help": "Token cap for item texts (title, category, brand, description start). Each side is padded "
                "only to its own longest text, so short product titles cost only their own tokens."})
    group_by_length: bool = field(default=True, metadata={
        "help": f"Batch histories of similar token length (groups of {LENGTH_GROUP_BATCHES} batches sorted by "
                "length, batch order shuffled), so little of each step is padding."})
    bf16: bool = field(default=True, metadata={
        "help": "Run the encoder under bf16 autocast where the hardware has bf16 units (CUDA GPUs with bf16; "
                "CPUs with AVX512-BF16/AMX); weights, optimizer state, pooling and loss stay fp32. "
                "Elsewhere fp32."})
    scale: float = field(default=20.0, metadata={"help": "Cosine similarity multiplier (MNRL's default)."})
    max_pairs: int = field(default=0, metadata={"help": "Sample at most this many pairs (0 = all)."})
    max_seconds: float = field(default=0.0, metadata={"help": "Stop after this long, saving what was learned (0 = no limit)."})
    device: str | None = field(default=None, metadata={"help": "cuda / cpu; empty picks the GPU when present."})


@dataclass(frozen=True)
class RecsTrainResult:
    artifact_dir: Path
    model_dir: Path  # pass to ml.scoring.Encoder(base_model=...)
    steps: int
    pairs: int  # pairs sampled for training (steps * batch_size of them were seen)
    first_loss: float
    last_loss: float  # mean of the last 10 steps
    seconds: float
    precision: str  # "bf16" (autocast) or "fp32"
    history_padding: float  # share of the history tokens fed to the encoder that were padding


def _set_seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def contrastive_loss(anchors: torch.Tensor, positives: torch.Tensor, scale: float, duplicate: torch.Tensor) -> torch.Tensor:
    """In-batch negatives cross-entropy; ``duplicate[i, j]`` True masks a j != i that is also right for i."""
    logits = scale * anchors @ positives.T
    logits = logits.masked_fill(duplicate, float("-inf"))
    return torch.nn.functional.cross_entropy(logits, torch.arange(len(anchors), device=anchors.device))


def false_negatives(item_keys: Sequence[str], histories: Sequence[str]) -> torch.Tensor:
    """The duplicate mask: [i, j] is True for j != i when pair j's item is also a right answer for
    history i, i.e. the same item, or the same history (another item of the same order)."""
    n = len(item_keys)
    return torch.tensor([[i != j and (item_keys[i] == item_keys[j] or histories[i] == histories[j]) for j in range(n)]
                         for i in range(n)], dtype=torch.bool)


def length_grouped_batches(lengths: Sequence[int], batch_size: int, rng: random.Random,
                           group_batches: int = LENGTH_GROUP_BATCHES) -> list[list[int]]:
    """Every index of ``lengths`` once, in batches of ``batch_size`` (the last may be shorter).

    Shuffle, cut into groups of ``group_batches`` batches, sort each group by length (stable, so
    equal lengths keep the shuffled order), cut into batches and shuffle the batches.
    ``group_batches=1`` gives plain random batches.
    """
    order = list(range(len(lengths)))
    rng.shuffle(order)
    span = batch_size * group_batches
    batches = []
    for start in range(0, len(order), span):
        group = sorted(order[start : start + span], key=lengths.__getitem__)
        batches.extend(group[i : i + batch_size] for i in range(0, len(group), batch_size))
    rng.shuffle(batches)
    return batches


def fine_tune(
    pairs: Sequence[tuple[str, str]], config: RecsTrainConfig, *, item_keys: Sequence[str] | None = None,
    on_progress: ProgressHook | None = None, should_cancel: CancelHook | None = None,
) -> RecsTrainResult:
    """Fine-tune on (history text, item text) pairs and save the artifact; ``item_keys`` (one per
    pair) identifies items for the duplicate mask (the item text is used when omitted)."""
    if len(pairs) < 2:
        raise ValueError(f"need at least 2 training pairs for in-batch negatives, got {len(pairs)}")
    if config.batch_size < 2:
        raise ValueError(f"batch_size must be at least 2 for in-batch negatives, got {config.batch_size}")
    with ArtifactWriter(config.output_dir) as artifact:
        _set_seed(config.seed)
        keys = list(item_keys) if item_keys is not None else [p[1] for p in pairs]
        order = list(range(len(pairs)))
        if config.max_pairs and len(order) > config.max_pairs:
            order = random.sample(order, config.max_pairs)
        resolved = resolve_base_model(config.base_model)
        device = pick_device(config.device)
        tokenizer = AutoTokenizer.from_pretrained(resolved.location, local_files_only=resolved.local_files_only)
        model = AutoModel.from_pretrained(resolved.location, local_files_only=resolved.local_files_only).to(device)
        autocast, precision = bf16_autocast(device, config.bf16)
        lengths = [0] * len(order)
        if config.group_by_length:
            lengths = [len(ids) for ids in tokenizer([pairs[i][0] for i in order], truncation=True,
                                                     max_length=config.history_max_length)["input_ids"]]
        steps_per_epoch = max(1, len(order) // config.batch_size)
        total = max(1, round(steps_per_epoch * config.epochs))
        optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, fused=device.type in {"cpu", "cuda"})
        schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: max(0.0, 1 - step / total))
        padded_tokens = [0, 0]  # history tokens fed to the encoder: [padding, all]

        def embed(texts: list[str], max_length: int, count_padding: bool = False) -> torch.Tensor:
            batch = tokenizer(texts, padding=True, truncation=True, max_length=max_length, return_tensors="pt").to(device)
            if count_padding:
                padded_tokens[0] += int((batch["attention_mask"] == 0).sum())
                padded_tokens[1] += batch["attention_mask"].numel()
            with autocast:
                hidden = model(**batch).last_hidden_state
            return mean_pool(hidden.float(), batch["attention_mask"])  # pooled and compared in fp32

        rng = random.Random(config.seed)
        group = LENGTH_GROUP_BATCHES if config.group_by_length else 1
        model.train()
        started, losses, step = time.monotonic(), [], 0
        while step < total:
            for batch in length_grouped_batches(lengths, config.batch_size, rng, group):
                if step >= total or (config.max_seconds and time.monotonic() - started > config.max_seconds):
                    total = step  # out of time: keep what was learned so far
                    break
                if should_cancel and should_cancel():
                    raise RecsTrainingCancelled("cancelled")
                chunk = [order[i] for i in batch]
                if len(chunk) < 2:
                    continue
                histories = [pairs[i][0] for i in chunk]
                duplicate = false_negatives([keys[i] for i in chunk], histories).to(device)
                loss = contrastive_loss(embed(histories, config.history_max_length, count_padding=True),
                                        embed([pairs[i][1] for i in chunk], config.item_max_length),
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
        model.eval()
        artifact.save_model(model, tokenizer)
        seconds = time.monotonic() - started
        out = Path(config.output_dir)
        result = RecsTrainResult(out, out / "model", len(losses), len(order), losses[0], float(np.mean(losses[-10:])),
                                 seconds, precision, padded_tokens[0] / max(1, padded_tokens[1]))
        artifact.write_json("config.json", {**config.to_dict(), "base_model_resolved": resolved.to_dict()})
        artifact.write_json("metrics.json", {
            "steps": result.steps, "pairs": result.pairs, "first_loss": result.first_loss,
            "last_loss": result.last_loss, "seconds": round(seconds, 1), "precision": precision,
            "history_padding": round(result.history_padding, 4)})
        artifact.commit()
        return result
