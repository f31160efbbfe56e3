"""Fine-tune an encoder for a review task and write one self-contained artifact directory.

Artifact layout (``config.output_dir``; written to ``<dir>.partial`` and renamed at the end, so a
failed or cancelled run never leaves a half-written artifact):

    model/             model.safetensors + config.json (id2label/label2id) + tokenizer files
    stack.joblib       only when the stacked head won on validation (ml.stacking): the served head
    baseline/          the TF-IDF + LR baseline trained on the same split, a complete artifact (ml.baseline)
    label_map.json     {"id2label": {...}, "label2id": {...}}
    metrics.json       test metrics for the fine-tune and both baselines, the serving decision
                       (ml.selection), test labels and predictions, best validation metrics
    config.json        kind "finetuned", training config, data sizes, split strategy, base model, versions, seed
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
from ml.baseline import BASELINE_KIND, FINETUNED_KIND, baseline_test_metrics, fit_baseline, save_baseline
from ml.budget import ProgressBarCallback, TimeBudget, TimeBudgetCallback
from ml.callbacks import CancelHook, HookCallback, ProgressHook, TrainingCancelled
from ml.config import TrainConfig
from ml.data import DataError, Example, build_examples
from ml.device import autocast_for, gpu_dtype
from ml.labels import TASK_LABELS, class_weights, label_maps
from ml.metrics import classification_metrics, macro_f1
from ml.ordered_trainer import OrderedEvalTrainer
from ml.scoring import mean_pool
from ml.selection import decide_serving
from ml.splits import cap_examples, split_examples
from ml.stacking import fit_stacked_head

STACK_MAX_TRAIN_ROWS = 2000  # train rows embedded for the stacked head (bounded: it runs inside the budget)
STACK_MIN_TRAIN_ROWS = 100  # fewer rows than this left by the budget: no stacked head
FORWARD_BATCH_SIZE = 64  # texts per forward pass when predicting validation/test after training

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
    """Trainer whose loss is class-weighted cross-entropy (weights None = plain cross-entropy) and
    whose learning rate follows the time budget when there is one (ml.budget)."""

    def __init__(self, *args: Any, class_weight: torch.Tensor | None = None, budget: TimeBudget | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.class_weight = class_weight
        self.budget = budget
        # The loss is a per-micro-batch mean, so the Trainer must not rescale it by item counts.
        self.model_accepts_loss_kwargs = False

    def compute_loss(self, model, inputs, return_outputs=False, **kwargs):
        inputs = dict(inputs)  # the Trainer reads the batch again after this call
        labels = inputs.pop("labels")
        outputs = model(**inputs)
        weight = None if self.class_weight is None else self.class_weight.to(outputs.logits.device)
        loss = nn.functional.cross_entropy(outputs.logits.float(), labels, weight=weight)
        return (loss, outputs) if return_outputs else loss

    def create_scheduler(self, num_training_steps: int, optimizer: torch.optim.Optimizer = None):
        if self.budget is None:
            return super().create_scheduler(num_training_steps, optimizer)
        if self.lr_scheduler is None:
            self.lr_scheduler = torch.optim.lr_scheduler.LambdaLR(
                self.optimizer if optimizer is None else optimizer, self.budget.lr_factor)
        return self.lr_scheduler


CALIBRATION_ROWS = 64  # rows timed (after a warm-up batch) to plan the budget's forward passes


def _time_forward(model: Any, tokenizer: Any, texts: Sequence[str], max_length: int) -> float:
    """Seconds per row of _predict_with_embeddings on a sample of texts (a warm-up pass first)."""
    sample = list(texts[: CALIBRATION_ROWS + 8])
    _predict_with_embeddings(model, tokenizer, sample[:8], max_length)
    started = time.monotonic()
    _predict_with_embeddings(model, tokenizer, sample[8:], max_length)
    model.train()
    return (time.monotonic() - started) / max(len(sample) - 8, 1)


@torch.inference_mode()
def _predict_with_embeddings(model: Any, tokenizer: Any, texts: Sequence[str], max_length: int) -> tuple[np.ndarray, np.ndarray]:
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
    """Under a time budget nothing is evaluated or checkpointed while training: the learning rate
    decays to zero by the deadline, so the last weights are the ones to keep, and one pass over the
    validation split after training (needed anyway for the stacked head) measures them."""
    dtype = gpu_dtype()
    budgeted = config.max_minutes is not None
    strategy = "no" if budgeted else "steps" if config.eval_steps else "epoch"
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
        load_best_model_at_end=not budgeted,
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

    Also trains the TF-IDF + LR baseline on the same train split (saved as a complete artifact in
    ``<output_dir>/baseline``) and, with ``stack_tfidf``, a stacked head (ml.stacking) kept when it
    beats the fine-tuned head on validation. ``metrics["decision"]`` says whether the fine-tune
    clearly beats the baseline on the test split (ml.selection); ``metrics["test_predictions"]``
    holds both models' test predictions for a registry to compare row by row.

    With ``max_minutes`` the whole call fits that wall-clock budget (ml.budget).

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
    eval_examples = cap_examples(split.validation, config.max_eval_samples, config.seed)
    for name, part in (("train", train_examples), ("validation", split.validation), ("test", split.test)):
        if not part:
            raise DataError(f"the {name} split is empty: {summary.rows_labelled} labelled rows are too few to split.")
    stack_examples = cap_examples(train_examples, STACK_MAX_TRAIN_ROWS, config.seed) if config.stack_tfidf else []
    budget = None
    if config.max_minutes:
        budget = TimeBudget(
            deadline=started + 60 * config.max_minutes, batch_size=config.batch_size, grad_accum=config.grad_accum,
            warmup_ratio=config.warmup_ratio,
            # after training: one forward pass over validation, test and the stack rows
            rows_after_training=len(eval_examples) + len(split.test), optional_rows=len(stack_examples),
        )

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
        hooks = HookCallback(on_progress, should_cancel, progress=budget.progress if budget else None)
        callbacks: list[Any] = [hooks]
        if budget is not None:
            callbacks.append(TimeBudgetCallback(budget))
            if show_progress:
                callbacks.append(ProgressBarCallback(budget))
        if config.early_stopping_patience and budget is None:
            callbacks.append(EarlyStoppingCallback(early_stopping_patience=config.early_stopping_patience))
        trainer = WeightedLossTrainer(
            model=model,
            args=_training_arguments(config, partial / "checkpoints", show_progress and budget is None),
            train_dataset=EncodedDataset(train_examples, tokenizer, config.max_length),
            eval_dataset=EncodedDataset(eval_examples, tokenizer, config.max_length),
            data_collator=DataCollatorWithPadding(tokenizer),
            compute_metrics=_eval_metrics,
            callbacks=callbacks,
            class_weight=torch.tensor(weights) if config.use_class_weights else None,
            budget=budget,
        )
        if not show_progress or budget is not None:
            trainer.remove_callback(PrinterCallback)  # library callers get progress via on_progress, not stdout
        if budget is not None:
            budget.calibrate(_time_forward(trainer.model, tokenizer, [e.text for e in eval_examples], config.max_length))
        train_output = trainer.train()
        if hooks.cancelled:
            raise TrainingCancelled(f"training cancelled at step {trainer.state.global_step}")

        num_labels = len(task_labels)
        def forward(part: Sequence[Example]) -> tuple[np.ndarray, np.ndarray]:
            return _predict_with_embeddings(trainer.model, tokenizer, [e.text for e in part], config.max_length)

        val_logits, val_embeddings = forward(eval_examples)
        test_logits, test_embeddings = forward(split.test)
        val_true = [e.label_id for e in eval_examples]
        test_true = [e.label_id for e in split.test]
        head_val = np.argmax(val_logits, -1).tolist()
        head_test = np.argmax(test_logits, -1).tolist()
        validation = {"head_macro_f1": macro_f1(val_true, head_val, num_labels)}
        stack = None
        if budget is not None:  # as many stacked-head rows as the budget still allows (ml.budget)
            stack_examples = cap_examples(stack_examples, max(budget.optional_rows_allowed(), 1), config.seed)
            if len(stack_examples) < STACK_MIN_TRAIN_ROWS:
                stack_examples = []
        if stack_examples:
            _, stack_embeddings = forward(stack_examples)
            stack = fit_stacked_head([e.text for e in stack_examples], stack_embeddings,
                                     [e.label_id for e in stack_examples], num_labels, config.seed)
        if stack is not None:
            validation["stacked_macro_f1"] = macro_f1(
                val_true, stack.predict([e.text for e in eval_examples], val_embeddings), num_labels)
            if validation["stacked_macro_f1"] <= validation["head_macro_f1"]:
                stack = None  # the head alone is at least as good: keep the simpler model
        finetuned_test = stack.predict([e.text for e in split.test], test_embeddings) if stack else head_test

        train_texts = [e.text for e in train_examples]
        train_y = [e.label_id for e in train_examples]
        baseline = fit_baseline(train_texts, train_y, num_labels, config.seed)
        baseline_metrics = baseline_test_metrics(baseline, train_y, split.test, config.task)
        baseline_test = baseline_metrics["test_predictions"][BASELINE_KIND]
        decision = decide_serving(test_true, finetuned_test, num_labels=num_labels, baseline=baseline_test,
                                  seed=config.seed)
        metrics = {
            "task": config.task,
            "labels": list(task_labels),
            "test_size": len(split.test),
            "test": {
                FINETUNED_KIND: classification_metrics(test_true, finetuned_test, task_labels),
                BASELINE_KIND: baseline_metrics["test"][BASELINE_KIND],
                "majority": baseline_metrics["test"]["majority"],
                **({"finetuned_head": classification_metrics(test_true, head_test, task_labels)} if stack else {}),
            },
            "finetuned_recipe": (f"stacked head over [fine-tuned embedding | TF-IDF] ({len(stack_examples)} rows)"
                                 if stack else "fine-tuned head"),
            "validation": validation,
            "served": FINETUNED_KIND if decision.challenger_wins else BASELINE_KIND,
            "decision": decision.to_dict(),
            "best_validation_macro_f1": trainer.state.best_metric if budget is None else max(validation.values()),
            "epochs_run": trainer.state.epoch,
            "steps_run": trainer.state.global_step,
            "stopped_by_budget": bool(budget and budget.stopped_by_budget),
            "train_loss": train_output.training_loss,
            "train_seconds": round(train_output.metrics.get("train_runtime", 0.0), 1),
            # from the steps actually run (the Trainer's own figure assumes every planned epoch ran)
            "train_samples_per_second": round(trainer.state.global_step * config.batch_size * config.grad_accum
                                              / max(train_output.metrics.get("train_runtime", 0.0), 1e-9), 2),
            "log_history": trainer.state.log_history,
            "test_labels": test_true,
            "test_predictions": {FINETUNED_KIND: finetuned_test, BASELINE_KIND: baseline_test},
        }

        if not _is_main_process():
            return TrainResult(output_dir, metrics, {})  # rank 0 writes the one artifact

        final_model = trainer.model.merge_and_unload() if config.lora else trainer.model
        final_model.save_pretrained(partial / "model", safe_serialization=True)
        tokenizer.save_pretrained(partial / "model")
        if stack is not None:
            stack.save(partial)
        shutil.rmtree(partial / "checkpoints", ignore_errors=True)
        data = {
            **summary.to_dict(),
            "split_strategy": split.strategy,
            **{f"{name}_rows": size for name, size in split.sizes().items()},
            "train_rows_used": len(train_examples),
            "validation_rows_used": len(eval_examples),
        }
        run_config = {
            "format_version": ARTIFACT_FORMAT_VERSION,
            "kind": FINETUNED_KIND,
            "task": config.task,
            "created_at": datetime.now(UTC).isoformat(),
            "training": config.to_dict(),
            "max_length": config.max_length,
            "title_joined": bool(config.title_column),
            "stacked": stack is not None,
            "base_model": base.to_dict(),
            "seed": config.seed,
            "data": data,
            "class_weights": dict(zip(task_labels, weights)) if config.use_class_weights else None,
            "device": str(trainer.args.device),
            "precision": "bf16" if trainer.args.bf16 else "fp16" if trainer.args.fp16 else "fp32",
            "duration_s": round(time.monotonic() - started, 1),
            "versions": _library_versions(config.lora),
        }
        (partial / "baseline").mkdir()
        save_baseline(baseline, partial / "baseline", task=config.task, metrics=baseline_metrics, run_config={
            "task": config.task, "created_at": run_config["created_at"], "training": config.to_dict(),
            "title_joined": bool(config.title_column), "seed": config.seed, "data": data,
            "base_model": {"description": "TF-IDF (word 1-2 grams) + logistic regression"},
        })
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
