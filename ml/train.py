"""Fine-tune an encoder for a review task and write one self-contained artifact directory.

Artifact layout (``config.output_dir``; written to ``<dir>.partial`` and renamed at the end by
ml.artifacts, so a failed or cancelled run never leaves a half-written artifact):

    model/             model.safetensors + config.json (id2label/label2id) + tokenizer files
    stack.joblib       only when the stacked head won on validation (ml.stacking): the served head
    baseline/          the TF-IDF + LR baseline trained on the same split, a complete artifact (ml.baseline)
    label_map.json     {"id2label": {...}, "label2id": {...}}
    metrics.json       test metrics for the fine-tune and both baselines, the serving decision
                       (ml.selection), test labels and predictions, best validation metrics
    config.json        kind "finetuned", training config, data sizes, split strategy, base model, versions, seed

Both JSON files hold "language" (ml.language.check_language on the train texts, measured with the
base model's tokenizer before the model is loaded). When the base model cannot read the texts
(too many unknown tokens, e.g. Chinese reviews and the packaged English MiniLM) a fine-tune would
learn from a sequence of [UNK]s: unless ``language_check`` is off, no model is fine-tuned, the
artifact holds no ``model/`` (config.json says ``"fine_tuned": false``) and the baseline is served,
with the language verdict as the decision's reason.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    DataCollatorWithPadding,
    EarlyStoppingCallback,
    PrinterCallback,
    TrainingArguments,
    set_seed,
)

from ml.artifacts import ArtifactWriter, is_main_process, library_versions
from ml.base_model import resolve_base_model
from ml.baseline import (
    BASELINE_KIND,
    CHAR_ANALYZER,
    FINETUNED_KIND,
    BaselineModel,
    baseline_test_metrics,
    fit_baseline,
    save_baseline,
)
from ml.budget import ProgressBarCallback, TimeBudget, TimeBudgetCallback
from ml.callbacks import CancelHook, HookCallback, ProgressHook, TrainingCancelled
from ml.classifier_trainer import EncodedDataset, WeightedLossTrainer, apply_lora, eval_metrics
from ml.config import TrainConfig
from ml.data import DataError, Example, build_examples
from ml.forward import predict_with_embeddings, time_forward
from ml.labels import TASK_LABELS, class_weights, label_maps
from ml.language import LanguageCheck, check_language
from ml.metrics import classification_metrics, macro_f1
from ml.selection import BASELINE, ServingDecision, decide_serving
from ml.splits import cap_examples, split_examples
from ml.stacking import StackedHead, fit_stacked_head
from ml.trainer_args import training_arguments

STACK_MAX_TRAIN_ROWS = 2000  # train rows embedded for the stacked head (bounded: it runs inside the budget)
STACK_MIN_TRAIN_ROWS = 100  # fewer rows than this left by the budget: no stacked head

ARTIFACT_FORMAT_VERSION = 1
__all__ = ["TrainResult", "TrainingCancelled", "train"]


@dataclass(frozen=True)
class TrainResult:
    artifact_dir: Path
    metrics: dict[str, Any]  # the content of metrics.json
    run_config: dict[str, Any]  # the content of config.json


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

    Before the model is loaded, the base model's tokenizer is checked against the train texts
    (ml.language); when it cannot read them and ``config.language_check`` is on, only the baseline
    is trained and served, and ``metrics["decision"]["reason"]`` says why (module docstring).

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

    with ArtifactWriter(config.output_dir) as artifact:
        set_seed(config.seed)
        base = resolve_base_model(config.base_model)
        tokenizer = AutoTokenizer.from_pretrained(base.location, local_files_only=base.local_files_only)
        language = check_language(tokenizer, [e.text for e in train_examples])
        if config.language_check and not language.readable:
            return _baseline_only(config, artifact, language, base.to_dict(), summary.to_dict(), split,
                                  train_examples, started)
        model = AutoModelForSequenceClassification.from_pretrained(
            base.location, num_labels=len(task_labels), id2label=id2label, label2id=label2id,
            local_files_only=base.local_files_only,
        )
        if config.lora:
            model = apply_lora(model, config)
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
            args=_training_arguments(config, artifact.checkpoint_dir, show_progress and budget is None),
            train_dataset=EncodedDataset(train_examples, tokenizer, config.max_length),
            eval_dataset=EncodedDataset(eval_examples, tokenizer, config.max_length),
            data_collator=DataCollatorWithPadding(tokenizer),
            compute_metrics=eval_metrics,
            callbacks=callbacks,
            class_weight=torch.tensor(weights) if config.use_class_weights else None,
            budget=budget,
        )
        if not show_progress or budget is not None:
            trainer.remove_callback(PrinterCallback)  # library callers get progress via on_progress, not stdout
        if budget is not None:
            budget.calibrate(time_forward(trainer.model, tokenizer, [e.text for e in eval_examples], config.max_length))
        train_output = trainer.train()
        if hooks.cancelled:
            raise TrainingCancelled(f"training cancelled at step {trainer.state.global_step}")

        num_labels = len(task_labels)
        def forward(part: Sequence[Example]) -> tuple[np.ndarray, np.ndarray]:
            return predict_with_embeddings(trainer.model, tokenizer, [e.text for e in part], config.max_length)

        val_logits, val_embeddings = forward(eval_examples)
        test_logits, test_embeddings = forward(split.test)
        val_true = [e.label_id for e in eval_examples]
        test_true = [e.label_id for e in split.test]
        head_test = np.argmax(test_logits, -1).tolist()
        validation = {"head_macro_f1": macro_f1(val_true, np.argmax(val_logits, -1).tolist(), num_labels)}
        if budget is not None:  # as many stacked-head rows as the budget still allows (ml.budget)
            stack_examples = cap_examples(stack_examples, max(budget.optional_rows_allowed(), 1), config.seed)
            if len(stack_examples) < STACK_MIN_TRAIN_ROWS:
                stack_examples = []
        stack = None
        if stack_examples:
            _, stack_embeddings = forward(stack_examples)
            stack = _stacked_head_if_better(stack_examples, stack_embeddings, eval_examples, val_embeddings,
                                            validation, num_labels, config.seed)
        finetuned_test = stack.predict([e.text for e in split.test], test_embeddings) if stack else head_test

        train_y = [e.label_id for e in train_examples]
        baseline = fit_baseline([e.text for e in train_examples], train_y, num_labels, config.seed)
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
            "language": language.to_dict(),
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

        if not is_main_process():
            return TrainResult(Path(config.output_dir), metrics, {})  # rank 0 writes the one artifact

        artifact.save_model(trainer.model.merge_and_unload() if config.lora else trainer.model, tokenizer)
        if stack is not None:
            stack.save(artifact.partial)
        data = _data_sizes(summary.to_dict(), split, train_examples, len(eval_examples))
        run_config = {
            "format_version": ARTIFACT_FORMAT_VERSION,
            "kind": FINETUNED_KIND,
            "task": config.task,
            "created_at": datetime.now(UTC).isoformat(),
            "training": config.to_dict(),
            "max_length": config.max_length,
            "title_joined": bool(config.title_column),
            "stacked": stack is not None,
            "fine_tuned": True,
            "language": language.to_dict(),
            "base_model": base.to_dict(),
            "seed": config.seed,
            "data": data,
            "class_weights": dict(zip(task_labels, weights)) if config.use_class_weights else None,
            "device": str(trainer.args.device),
            "precision": "bf16" if trainer.args.bf16 else "fp16" if trainer.args.fp16 else "fp32",
            "duration_s": round(time.monotonic() - started, 1),
            "versions": library_versions(config.lora),
        }
        _write_run(artifact, config, baseline, baseline_metrics, metrics, run_config)
        output_dir = artifact.commit()
    return TrainResult(output_dir, metrics, run_config)


def _data_sizes(summary: dict[str, Any], split: Any, train_examples: Sequence[Example],
                validation_rows_used: int) -> dict[str, Any]:
    return {
        **summary,
        "split_strategy": split.strategy,
        **{f"{name}_rows": size for name, size in split.sizes().items()},
        "train_rows_used": len(train_examples),
        "validation_rows_used": validation_rows_used,
    }


def _write_run(artifact: ArtifactWriter, config: TrainConfig, baseline: BaselineModel,
               baseline_metrics: dict[str, Any], metrics: dict[str, Any], run_config: dict[str, Any]) -> None:
    """Everything but ``model/`` and the stacked head: ``baseline/``, the label map, metrics and config."""
    id2label, label2id = label_maps(config.task)
    (artifact.partial / "baseline").mkdir()
    save_baseline(baseline, artifact.partial / "baseline", task=config.task, metrics=baseline_metrics, run_config={
        "task": config.task, "created_at": run_config["created_at"], "training": config.to_dict(),
        "title_joined": bool(config.title_column), "seed": config.seed, "data": run_config["data"],
        "base_model": {"description": baseline.description}, "text_features": baseline.analyzer,
        "language": run_config["language"],
    })
    artifact.write_json("label_map.json", {"id2label": {str(k): v for k, v in id2label.items()},
                                           "label2id": label2id})
    artifact.write_json("metrics.json", metrics)
    artifact.write_json("config.json", run_config)


def _baseline_only(config: TrainConfig, artifact: ArtifactWriter, language: LanguageCheck, base: dict[str, Any],
                   summary: dict[str, Any], split: Any, train_examples: Sequence[Example],
                   started: float) -> TrainResult:
    """The base model cannot read the train texts: fit and serve the baseline alone (no Trainer, no
    stacked head), and say why in the decision. Same artifact layout, without ``model/``."""
    task_labels = TASK_LABELS[config.task]
    # Nothing is early-stopped, so the validation rows train too; the test rows only measure it
    # (never trained on: a later run compares its challenger with this model on its own test rows).
    learn = [*train_examples, *split.validation]
    learn_y = [e.label_id for e in learn]
    baseline = fit_baseline([e.text for e in learn], learn_y, len(task_labels), config.seed)
    baseline_metrics = baseline_test_metrics(baseline, learn_y, split.test, config.task)
    features = "character n-gram" if baseline.analyzer == CHAR_ANALYZER else "word n-gram"
    reason = (f"{language.reason()[:1].upper()}{language.reason()[1:]}: serving the {features} baseline "
              f"({baseline.description}) without fine-tuning; --no-language-check forces a fine-tune.")
    metrics = {
        "task": config.task,
        "labels": list(task_labels),
        "test_size": len(split.test),
        "test": baseline_metrics["test"],
        "finetuned_recipe": "none: the base model cannot read the texts",
        "baseline_train_rows": len(learn),
        "validation": {},
        "text_features": baseline.analyzer,
        "served": BASELINE_KIND,
        "decision": ServingDecision(BASELINE, reason, None, None).to_dict(),
        "language": language.to_dict(),
        "epochs_run": 0.0,
        "steps_run": 0,
        "stopped_by_budget": False,
        "train_seconds": 0.0,
        "train_samples_per_second": 0.0,
        "log_history": [],
        "test_labels": baseline_metrics["test_labels"],
        "test_predictions": baseline_metrics["test_predictions"],
    }
    if not is_main_process():
        return TrainResult(Path(config.output_dir), metrics, {})
    run_config = {
        "format_version": ARTIFACT_FORMAT_VERSION,
        "kind": FINETUNED_KIND,
        "task": config.task,
        "created_at": datetime.now(UTC).isoformat(),
        "training": config.to_dict(),
        "max_length": config.max_length,
        "title_joined": bool(config.title_column),
        "stacked": False,
        "fine_tuned": False,
        "language": language.to_dict(),
        "base_model": base,
        "seed": config.seed,
        "data": _data_sizes(summary, split, train_examples, 0),
        "class_weights": None,
        "device": "cpu",
        "precision": "fp64",
        "duration_s": round(time.monotonic() - started, 1),
        "versions": library_versions(config.lora),
    }
    _write_run(artifact, config, baseline, baseline_metrics, metrics, run_config)
    return TrainResult(artifact.commit(), metrics, run_config)


def _training_arguments(config: TrainConfig, checkpoint_dir: Path, show_progress: bool) -> TrainingArguments:
    """Under a time budget nothing is evaluated or checkpointed while training: the learning rate
    decays to zero by the deadline, so the last weights are the ones to keep, and one pass over the
    validation split after training (needed anyway for the stacked head) measures them."""
    strategy = "no" if config.max_minutes is not None else "steps" if config.eval_steps else "epoch"
    return training_arguments(config, checkpoint_dir, metric="macro_f1", strategy=strategy,
                              eval_steps=config.eval_steps, grad_accum=config.grad_accum,
                              show_progress=show_progress)


def _stacked_head_if_better(
    stack_examples: Sequence[Example], stack_embeddings: np.ndarray, eval_examples: Sequence[Example],
    val_embeddings: np.ndarray, validation: dict[str, float], num_labels: int, seed: int,
) -> StackedHead | None:
    """Fit the stacked head (ml.stacking) on the stack rows; record its validation macro-F1 in
    ``validation`` and keep it only when it beats the fine-tuned head's ``head_macro_f1``."""
    stack = fit_stacked_head([e.text for e in stack_examples], stack_embeddings,
                             [e.label_id for e in stack_examples], num_labels, seed)
    if stack is None:
        return None
    validation["stacked_macro_f1"] = macro_f1(
        [e.label_id for e in eval_examples], stack.predict([e.text for e in eval_examples], val_embeddings), num_labels)
    if validation["stacked_macro_f1"] <= validation["head_macro_f1"]:
        return None  # the head alone is at least as good: keep the simpler model
    return stack
