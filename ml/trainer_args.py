"""The Hugging Face TrainingArguments every Trainer run in ml/ uses, built from its config.

Sentiment (ml.train), topics (ml.topic_train) and entities (ml.entity_train) differ only in the
metric that picks the best checkpoint and in a few knobs passed here; everything else (AdamW with
linear decay, bf16/fp16 on GPU, one kept checkpoint with weights only, no reporting) is the same.
"""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import TrainingArguments

from ml.config import EncoderTrainConfig
from ml.device import gpu_dtype


def training_arguments(
    config: EncoderTrainConfig, checkpoint_dir: Path, *, metric: str, strategy: str = "epoch",
    eval_steps: int | None = None, grad_accum: int = 1, group_by_length: bool = True, show_progress: bool = False,
) -> TrainingArguments:
    """Arguments that evaluate and checkpoint per ``strategy`` ("epoch", "steps" every ``eval_steps``,
    or "no") and, unless "no", reload the checkpoint with the best validation ``metric`` at the end."""
    dtype = gpu_dtype()
    return TrainingArguments(
        output_dir=str(checkpoint_dir),
        num_train_epochs=config.epochs,
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=config.batch_size * 2,  # no gradients: twice the batch fits
        gradient_accumulation_steps=grad_accum,
        learning_rate=config.learning_rate,  # AdamW (the Trainer default) with linear decay
        weight_decay=config.weight_decay,
        warmup_ratio=config.warmup_ratio,
        eval_strategy=strategy,
        save_strategy=strategy,  # must match eval so the best checkpoint can be reloaded
        eval_steps=eval_steps,
        save_steps=eval_steps,
        load_best_model_at_end=strategy != "no",
        metric_for_best_model=metric,
        greater_is_better=True,
        save_total_limit=1,
        save_only_model=True,  # best-model reload needs weights only; skip optimizer state on disk
        logging_steps=config.logging_steps,
        report_to=[],
        seed=config.seed,
        data_seed=config.seed,
        bf16=dtype == torch.bfloat16,
        fp16=dtype == torch.float16,
        use_cpu=not torch.cuda.is_available(),
        group_by_length=group_by_length,  # batches of similar length pad less: faster on CPU and GPU
        dataloader_num_workers=0,
        disable_tqdm=not show_progress,
    )
