"""Fine-tune an encoder for a review task and write one self-contained artifact directory.

Artifact layout (``config.output_dir``; written to ``<dir>.partial`` and renamed at the end, so a
failed or cancelled run never leaves a half-written artifact):

    model/             model.safetensors + config.json (id2label/label2id) + tokenizer files
    label_map.json     {"id2label": {...}, "label2id": {...}}
    metrics.json       test metrics for the fine-tune and both baselines, best validation metrics
    config.json        training config, data sizes, split strategy, base model, library versions, seed
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    DataCollatorWithPadding,
    EarlyStoppingCallback,
    PrinterCallback,
    TrainingArguments,
    set_seed,
)

from ml.base_model import resolve_base_model
from ml.callbacks import CancelHook, HookCallback, ProgressHook, TrainingCancelled
from ml.config import TrainConfig
from ml.data import DataError, Example, build_examples
from ml.device import gpu_dtype
from ml.labels import TASK_LABELS, class_weights, label_maps
from ml.metrics import classification_metrics, majority_predictions, tfidf_logreg_predictions
from ml.ordered_trainer import OrderedEvalTrainer
from ml.splits import cap_examples, split_examples

ARTIFACT_FORMAT_VERSION = 1
__all__ = ["TrainResult", "TrainingCancelled", "train"]


@dataclass(frozen=True)
class TrainResult:
    artifact_dir: Path
    metrics: dict[str, Any]  # the content of metrics.json
    run_config: dict[str, Any]  # the content of config.json


class EncodedDataset(torch.utils.data.Dataset):
    """Tokenised, unpadded examples; DataCollatorWithPadding pads each batch to its own longest."""

    def __init__(self, examples: Sequence[Example], tokenizer: Any, max_length: int) -> None:
        self.encodings = tokenizer([e.text for e in examples], truncation=True, max_length=max_length)
        self.labels = [e.label_id for e in examples]

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict[str, Any]:
        item = {key: values[i] for key, values in self.encodings.items()}
        item["labels"] = self.labels[i]
        return item


class WeightedLossTrainer(OrderedEvalTrainer):
    """Trainer whose loss is class-weighted cross-entropy (weights None = plain cross-entropy)."""

    def __init__(self, *args: Any, class_weight: torch.Tensor | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.class_weight = class_weight
        # The loss is a per-micro-batch mean, so the Trainer must not rescale it by item counts.
        self.model_accepts_loss_kwargs = False

    def compute_loss(self, model, inputs, return_outputs=False, **kwargs):
        inputs = dict(inputs)  # the Trainer reads the batch again after this call
        labels = inputs.pop("labels")
        outputs = model(**inputs)
        weight = None if self.class_weight is None else self.class_weight.to(outputs.logits.device)
        loss = nn.functional.cross_entropy(outputs.logits.float(), labels, weight=weight)
        return (loss, outputs) if return_outputs else loss


def _eval_metrics(prediction: Any) -> dict[str, float]:
    logits = prediction.predictions[0] if isinstance(prediction.predictions, tuple) else prediction.predictions
    predicted = np.argmax(logits, axis=-1)
    labels = prediction.label_ids
    num_labels = logits.shape[-1]
    report = classification_metrics(labels.tolist(), predicted.tolist(), [str(i) for i in range(num_labels)])
    return {"macro_f1": report["macro_f1"], "accuracy": report["accuracy"]}


def _library_versions(with_peft: bool) -> dict[str, str]:
    names = ["torch", "transformers", "accelerate", "scikit-learn", "numpy", "safetensors"]
    versions = {name: metadata.version(name) for name in names + (["peft"] if with_peft else [])}
    versions["python"] = platform.python_version()
    return versions


def _apply_lora(model: Any, config: TrainConfig) -> Any:
    try:
        from peft import LoraConfig, TaskType, get_peft_model
    except ImportError as exc:
        raise RuntimeError("lora=True needs the optional 'peft' package: pip install peft") from exc
    lora = LoraConfig(
        task_type=TaskType.SEQ_CLS, r=config.lora_r, lora_alpha=2 * config.lora_r, lora_dropout=0.1,
        target_modules=["query", "value"],
    )
    return get_peft_model(model, lora)


def _is_main_process() -> bool:
    """True except on the extra ranks of a torchrun / accelerate launch (they set RANK)."""
    return int(os.environ.get("RANK", "0")) == 0


def _prepare_output(output_dir: Path) -> Path:
    """Refuse to overwrite a finished artifact; return a fresh ``<dir>.partial`` to write into.

    Under a multi-process launch only rank 0 touches the disk; the Trainer saves checkpoints from
    rank 0 alone, and the other ranks only read the best one back.
    """
    partial = output_dir.with_name(output_dir.name + ".partial")
    if not _is_main_process():
        return partial
    if output_dir.exists() and (not output_dir.is_dir() or any(output_dir.iterdir())):
        raise FileExistsError(f"{output_dir} already exists and is not empty; each run needs its own directory.")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    return partial


def _training_arguments(config: TrainConfig, checkpoint_dir: Path, show_progress: bool) -> TrainingArguments:
    dtype = gpu_dtype()
    strategy = "steps" if config.eval_steps else "epoch"
    return TrainingArguments(
        output_dir=str(checkpoint_dir),
        num_train_epochs=config.epochs,
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=config.batch_size * 2,  # no gradients: twice the batch fits
        gradient_accumulation_steps=config.grad_accum,
        learning_rate=config.learning_rate,  # AdamW (the Trainer default) with linear decay
        weight_decay=config.weight_decay,
        warmup_ratio=config.warmup_ratio,
        eval_strategy=strategy,
        save_strategy=strategy,  # must match eval so the best checkpoint can be reloaded
        eval_steps=config.eval_steps,
        save_steps=config.eval_steps,
        load_best_model_at_end=True,
        metric_for_best_model="macro_f1",
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
        group_by_length=True,  # batches of similar length pad less: faster on CPU and GPU
        dataloader_num_workers=0,
        disable_tqdm=not show_progress,
    )


def train(
    config: TrainConfig,
    rows: Iterable[Mapping[str, Any]],
    *,
    on_progress: ProgressHook | None = None,
    should_cancel: CancelHook | None = None,
    show_progress: bool = False,
) -> TrainResult:
    """Fine-tune ``config.base_model`` on ``rows`` and write the artifact to ``config.output_dir``.

    Raises DataError for unusable rows (with the line), BaseModelError for an unavailable base
    model, FileExistsError for a non-empty output directory, TrainingCancelled when
    ``should_cancel()`` returned True (no artifact is left behind in either failure case).
    """
    started = time.monotonic()
    task_labels = TASK_LABELS[config.task]
    id2label, label2id = label_maps(config.task)
    examples, summary = build_examples(rows, config)
    split = split_examples(examples, shares=config.split, seed=config.seed)
    train_examples = cap_examples(split.train, config.max_train_samples, config.seed)
    for name, part in (("train", train_examples), ("validation", split.validation), ("test", split.test)):
        if not part:
            raise DataError(f"the {name} split is empty: {summary.rows_labelled} labelled rows are too few to split.")

    output_dir = Path(config.output_dir)
    partial = _prepare_output(output_dir)
    try:
        set_seed(config.seed)
        base = resolve_base_model(config.base_model)
        tokenizer = AutoTokenizer.from_pretrained(base.location, local_files_only=base.local_files_only)
        model = AutoModelForSequenceClassification.from_pretrained(
            base.location, num_labels=len(task_labels), id2label=id2label, label2id=label2id,
            local_files_only=base.local_files_only,
        )
        if config.lora:
            model = _apply_lora(model, config)
        weights = class_weights([e.label_id for e in train_examples], len(task_labels))
        hooks = HookCallback(on_progress, should_cancel)
        callbacks: list[Any] = [hooks]
        if config.early_stopping_patience:
            callbacks.append(EarlyStoppingCallback(early_stopping_patience=config.early_stopping_patience))
        trainer = WeightedLossTrainer(
            model=model,
            args=_training_arguments(config, partial / "checkpoints", show_progress),
            train_dataset=EncodedDataset(train_examples, tokenizer, config.max_length),
            eval_dataset=EncodedDataset(split.validation, tokenizer, config.max_length),
            data_collator=DataCollatorWithPadding(tokenizer),
            compute_metrics=_eval_metrics,
            callbacks=callbacks,
            class_weight=torch.tensor(weights) if config.use_class_weights else None,
        )
        if not show_progress:
            trainer.remove_callback(PrinterCallback)  # library callers get progress via on_progress, not stdout
        train_output = trainer.train()
        if hooks.cancelled:
            raise TrainingCancelled(f"training cancelled at step {trainer.state.global_step}")

        test_logits = trainer.predict(EncodedDataset(split.test, tokenizer, config.max_length)).predictions
        test_true = [e.label_id for e in split.test]
        train_texts = [e.text for e in train_examples]
        train_y = [e.label_id for e in train_examples]
        test_texts = [e.text for e in split.test]
        metrics = {
            "task": config.task,
            "labels": list(task_labels),
            "test_size": len(split.test),
            "test": {
                "finetuned": classification_metrics(test_true, np.argmax(test_logits, -1).tolist(), task_labels),
                "tfidf_logreg": classification_metrics(
                    test_true, tfidf_logreg_predictions(train_texts, train_y, test_texts, config.seed), task_labels
                ),
                "majority": classification_metrics(
                    test_true, majority_predictions(train_y, len(test_true)), task_labels
                ),
            },
            "best_validation_macro_f1": trainer.state.best_metric,
            "epochs_run": trainer.state.epoch,
            "steps_run": trainer.state.global_step,
            "train_loss": train_output.training_loss,
            "log_history": trainer.state.log_history,
        }

        if not _is_main_process():
            return TrainResult(output_dir, metrics, {})  # rank 0 writes the one artifact

        final_model = trainer.model.merge_and_unload() if config.lora else trainer.model
        final_model.save_pretrained(partial / "model", safe_serialization=True)
        tokenizer.save_pretrained(partial / "model")
        shutil.rmtree(partial / "checkpoints", ignore_errors=True)
        run_config = {
            "format_version": ARTIFACT_FORMAT_VERSION,
            "task": config.task,
            "created_at": datetime.now(UTC).isoformat(),
            "training": config.to_dict(),
            "max_length": config.max_length,
            "title_joined": bool(config.title_column),
            "base_model": base.to_dict(),
            "seed": config.seed,
            "data": {
                **summary.to_dict(),
                "split_strategy": split.strategy,
                **{f"{name}_rows": size for name, size in split.sizes().items()},
                "train_rows_used": len(train_examples),
            },
            "class_weights": dict(zip(task_labels, weights)) if config.use_class_weights else None,
            "device": str(trainer.args.device),
            "precision": "bf16" if trainer.args.bf16 else "fp16" if trainer.args.fp16 else "fp32",
            "duration_s": round(time.monotonic() - started, 1),
            "versions": _library_versions(config.lora),
        }
        _write_json(partial / "label_map.json", {"id2label": {str(k): v for k, v in id2label.items()}, "label2id": label2id})
        _write_json(partial / "metrics.json", metrics)
        _write_json(partial / "config.json", run_config)
        if output_dir.exists():
            output_dir.rmdir()  # checked empty above
        partial.rename(output_dir)
    except BaseException:
        if _is_main_process():
            shutil.rmtree(partial, ignore_errors=True)
        raise
    return TrainResult(output_dir, metrics, run_config)


def _write_json(path: Path, payload: Any) -> None:
    path.write_text(json.dumps(payload, indent=2, sort_keys=False, default=str) + "\n", encoding="utf-8")
