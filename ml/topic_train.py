"""Fine-tuning a multi-label topic head, and predicting topics with the result.

Rows are mappings with ``text`` (str), ``topics`` (list of topic codes; [] = none of them) and
optionally ``human`` (True when staff confirmed the labels). Weak labels come from
:func:`weak_rows` (ml.topics.WeakTopicLabeller); human-confirmed rows can be mixed in.

Training: AutoModelForSequenceClassification with ``problem_type="multi_label_classification"``
(BCEWithLogits, positives weighted by negatives/positives per topic, capped), the Hugging Face
Trainer (AdamW, warmup, weight decay, early stopping on validation macro-F1, bf16/fp16 on GPU).
Split: when at least ml.labels.MIN_HUMAN_TEST_ROWS rows are human-confirmed they are the test set
and the weak rest is split train/validation; otherwise a seeded random split by ``config.split``.
After training, a threshold per topic is tuned on validation (maximising that topic's F1), and
test metrics use those thresholds.

Artifact directory (written to ``<dir>.partial`` then renamed by ml.artifacts, like ml.train):

    model/            model.safetensors, config.json (id2label = topic codes), tokenizer files
    topics.json       the topic list the model was trained for (code, name, description, keywords)
    thresholds.json   {code: threshold in [0, 1]}
    metrics.json      per-topic precision/recall/F1/support, micro/macro F1 (test), validation F1
    config.json       training config, data sizes, split, base model, device
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
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
    set_seed,
)

from ml.artifacts import ArtifactWriter
from ml.base_model import apply_offline_default, resolve_base_model
from ml.callbacks import CancelHook, HookCallback, ProgressHook, TrainingCancelled
from ml.config import TopicTrainConfig
from ml.device import pick_device
from ml.labels import MIN_HUMAN_TEST_ROWS
from ml.ordered_trainer import OrderedEvalTrainer
from ml.scoring import DEFAULT_BATCH_SIZE, ArtifactError, _BatchRunner, model_input
from ml.topics import TopicSpec, WeakTopicLabeller, topics_from
from ml.trainer_args import training_arguments

THRESHOLD_GRID = np.round(np.arange(0.05, 0.951, 0.05), 2)
MAX_POS_WEIGHT = 10.0  # a topic seen twice in 500 rows must not dominate the loss
__all__ = ["TopicPredictor", "TopicTrainConfig", "TopicTrainResult", "TrainingCancelled", "train_topics", "weak_rows"]


@dataclass(frozen=True)
class TopicTrainResult:
    artifact_dir: Path
    thresholds: dict[str, float]
    metrics: dict[str, Any]


def weak_rows(texts: Sequence[str], labeller: WeakTopicLabeller) -> list[dict[str, Any]]:
    """Training rows from the weak labeller: ``{"text", "topics", "human": False}`` per text."""
    return [{"text": t, "topics": r.topics, "human": False} for t, r in zip(texts, labeller.label(texts))]


def _matrix(rows: Sequence[Mapping[str, Any]], codes: Sequence[str]) -> np.ndarray:
    index = {code: i for i, code in enumerate(codes)}
    y = np.zeros((len(rows), len(codes)), dtype=np.float32)
    for r, row in enumerate(rows):
        for code in row.get("topics") or ():
            if code not in index:
                raise ValueError(f"row {r}: unknown topic code {code!r}; known: {list(codes)}")
            y[r, index[code]] = 1.0
    return y


def _split(rows: list[Mapping[str, Any]], shares: Sequence[float], seed: int) -> tuple[list, list, list, str]:
    human = [r for r in rows if r.get("human")]
    if len(human) >= MIN_HUMAN_TEST_ROWS:
        weak = [r for r in rows if not r.get("human")]
        random.Random(seed).shuffle(weak)
        cut = round(len(weak) * shares[0] / (shares[0] + shares[1]))
        return weak[:cut], weak[cut:], human, f"human-confirmed rows ({len(human)}) as test; weak rows seeded random"
    shuffled = list(rows)
    random.Random(seed).shuffle(shuffled)
    a = round(len(shuffled) * shares[0])
    b = round(len(shuffled) * (shares[0] + shares[1]))
    return shuffled[:a], shuffled[a:b], shuffled[b:], f"seeded random (seed {seed})"


def per_topic_metrics(y_true: np.ndarray, y_pred: np.ndarray, codes: Sequence[str]) -> dict[str, Any]:
    """Precision/recall/F1/support per topic plus micro and macro F1 (0 where undefined)."""
    tp = (y_true * y_pred).sum(axis=0)
    fp = ((1 - y_true) * y_pred).sum(axis=0)
    fn = (y_true * (1 - y_pred)).sum(axis=0)
    per_topic, f1s = {}, []
    for i, code in enumerate(codes):
        precision = tp[i] / (tp[i] + fp[i]) if tp[i] + fp[i] else 0.0
        recall = tp[i] / (tp[i] + fn[i]) if tp[i] + fn[i] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        f1s.append(f1)
        per_topic[code] = {"precision": float(precision), "recall": float(recall), "f1": float(f1),
                           "support": int(y_true[:, i].sum())}
    denominator = 2 * tp.sum() + fp.sum() + fn.sum()
    return {"per_topic": per_topic, "micro_f1": float(2 * tp.sum() / denominator) if denominator else 0.0,
            "macro_f1": float(np.mean(f1s))}


def tune_thresholds(y_true: np.ndarray, probabilities: np.ndarray, codes: Sequence[str]) -> dict[str, float]:
    """Per topic, the grid threshold with the best validation F1 (ties: closest to 0.5);
    0.5 for a topic without positives in validation (nothing to tune on)."""
    thresholds = {}
    for i, code in enumerate(codes):
        if y_true[:, i].sum() == 0:
            thresholds[code] = 0.5
            continue
        best = max(
            THRESHOLD_GRID,
            key=lambda t: (per_topic_metrics(y_true[:, [i]], (probabilities[:, [i]] >= t).astype(np.float32),
                                             [code])["macro_f1"], -abs(t - 0.5)),
        )
        thresholds[code] = float(best)
    return thresholds


class _TopicDataset(torch.utils.data.Dataset):
    def __init__(self, texts: Sequence[str], y: np.ndarray, tokenizer: Any, max_length: int) -> None:
        self.encodings = tokenizer([model_input(t) for t in texts], truncation=True, max_length=max_length)
        self.y = y

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {**{k: v[i] for k, v in self.encodings.items()}, "labels": self.y[i].tolist()}


class _PosWeightTrainer(OrderedEvalTrainer):
    def __init__(self, *args: Any, pos_weight: torch.Tensor | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pos_weight = pos_weight
        self.model_accepts_loss_kwargs = False  # per-batch mean loss; no token-count rescaling

    def compute_loss(self, model, inputs, return_outputs=False, **kwargs):
        inputs = dict(inputs)
        labels = inputs.pop("labels").float()
        outputs = model(**inputs)
        weight = None if self.pos_weight is None else self.pos_weight.to(outputs.logits.device)
        loss = nn.functional.binary_cross_entropy_with_logits(outputs.logits.float(), labels, pos_weight=weight)
        return (loss, outputs) if return_outputs else loss


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _eval_metrics(prediction: Any) -> dict[str, float]:
    logits = prediction.predictions[0] if isinstance(prediction.predictions, tuple) else prediction.predictions
    report = per_topic_metrics(prediction.label_ids, (_sigmoid(logits) >= 0.5).astype(np.float32),
                               [str(i) for i in range(logits.shape[-1])])
    return {"macro_f1": report["macro_f1"], "micro_f1": report["micro_f1"]}


def train_topics(
    config: TopicTrainConfig, rows: Iterable[Mapping[str, Any]], topics: Iterable[Any] | None = None, *,
    on_progress: ProgressHook | None = None, should_cancel: CancelHook | None = None,
) -> TopicTrainResult:
    """Fine-tune a multi-label topic head on ``rows`` and write the artifact (see module docstring).

    Raises ValueError for unknown topic codes or too few rows to split, FileExistsError for a
    non-empty output directory, TrainingCancelled when ``should_cancel()`` returned True.
    """
    started = time.monotonic()
    specs = topics_from(topics)
    codes = [t.code for t in specs]
    rows = [r for r in rows if str(r.get("text") or "").strip()]
    train_rows, val_rows, test_rows, strategy = _split(rows, config.split, config.seed)
    if not (train_rows and val_rows and test_rows):
        raise ValueError(f"{len(rows)} rows with text are too few for a train/validation/test split.")
    y_train, y_val, y_test = (_matrix(part, codes) for part in (train_rows, val_rows, test_rows))

    with ArtifactWriter(config.output_dir) as artifact:
        set_seed(config.seed)
        base = resolve_base_model(config.base_model)
        tokenizer = AutoTokenizer.from_pretrained(base.location, local_files_only=base.local_files_only)
        model = AutoModelForSequenceClassification.from_pretrained(
            base.location, num_labels=len(codes), problem_type="multi_label_classification",
            id2label=dict(enumerate(codes)), label2id={c: i for i, c in enumerate(codes)},
            local_files_only=base.local_files_only,
        )
        positives = y_train.sum(axis=0)
        pos_weight = np.clip((len(y_train) - positives) / np.maximum(positives, 1.0), 1.0, MAX_POS_WEIGHT)
        args = training_arguments(config, artifact.checkpoint_dir, metric="macro_f1")
        hooks = HookCallback(on_progress, should_cancel)
        callbacks: list[Any] = [hooks]
        if config.early_stopping_patience:
            callbacks.append(EarlyStoppingCallback(early_stopping_patience=config.early_stopping_patience))
        trainer = _PosWeightTrainer(
            model=model, args=args,
            train_dataset=_TopicDataset([r["text"] for r in train_rows], y_train, tokenizer, config.max_length),
            eval_dataset=_TopicDataset([r["text"] for r in val_rows], y_val, tokenizer, config.max_length),
            data_collator=DataCollatorWithPadding(tokenizer), compute_metrics=_eval_metrics, callbacks=callbacks,
            pos_weight=torch.tensor(pos_weight, dtype=torch.float32) if config.use_pos_weight else None,
        )
        trainer.remove_callback(PrinterCallback)
        train_output = trainer.train()
        if hooks.cancelled:
            raise TrainingCancelled(f"training cancelled at step {trainer.state.global_step}")

        def probabilities(part: list, y: np.ndarray) -> np.ndarray:
            dataset = _TopicDataset([r["text"] for r in part], y, tokenizer, config.max_length)
            return _sigmoid(np.asarray(trainer.predict(dataset).predictions, dtype=np.float64))

        val_p, test_p = probabilities(val_rows, y_val), probabilities(test_rows, y_test)
        thresholds = tune_thresholds(y_val, val_p, codes)
        cut = np.asarray([thresholds[c] for c in codes])
        metrics = {
            "task": "topics", "topics": codes, "test_size": len(test_rows),
            "test": per_topic_metrics(y_test, (test_p >= cut).astype(np.float32), codes),
            "test_at_0_5": per_topic_metrics(y_test, (test_p >= 0.5).astype(np.float32), codes),
            "validation": per_topic_metrics(y_val, (val_p >= cut).astype(np.float32), codes),
            "thresholds": thresholds, "train_loss": train_output.training_loss,
            "epochs_run": trainer.state.epoch, "steps_run": trainer.state.global_step,
            "log_history": trainer.state.log_history,
        }
        artifact.save_model(trainer.model, tokenizer)
        run_config = {
            "task": "topics", "created_at": datetime.now(UTC).isoformat(), "training": config.to_dict(),
            "max_length": config.max_length, "base_model": base.to_dict(), "seed": config.seed,
            "data": {"rows": len(rows), "train_rows": len(train_rows), "validation_rows": len(val_rows),
                     "test_rows": len(test_rows), "human_rows": sum(1 for r in rows if r.get("human")),
                     "split_strategy": strategy,
                     "train_positives": dict(zip(codes, positives.astype(int).tolist()))},
            "pos_weight": dict(zip(codes, pos_weight.tolist())) if config.use_pos_weight else None,
            "device": str(trainer.args.device), "duration_s": round(time.monotonic() - started, 1),
        }
        for name, payload in (("topics.json", [t.to_dict() for t in specs]), ("thresholds.json", thresholds),
                              ("metrics.json", metrics), ("config.json", run_config)):
            artifact.write_json(name, payload)
        output_dir = artifact.commit()
    return TopicTrainResult(output_dir, thresholds, metrics)


@dataclass(frozen=True)
class TopicPrediction:
    topics: list[str]  # codes whose probability reaches their tuned threshold, most probable first
    scores: dict[str, float]  # every topic code -> sigmoid probability


class TopicPredictor(_BatchRunner):
    """Loads a topic artifact and predicts topics for texts (length-sorted batches, dynamic
    padding, inference_mode, autocast on GPU, results in input order)."""

    def __init__(self, artifact_dir: str | Path, *, device: str | None = None) -> None:
        apply_offline_default()
        self.artifact_dir = Path(artifact_dir)
        model_dir = self.artifact_dir / "model"
        if not (model_dir / "config.json").is_file() or not (self.artifact_dir / "thresholds.json").is_file():
            raise ArtifactError(f"{self.artifact_dir} is not a topic artifact (needs model/ and thresholds.json).")
        self.topics = [TopicSpec.from_value(t) for t in json.loads((self.artifact_dir / "topics.json").read_text())]
        self.thresholds = json.loads((self.artifact_dir / "thresholds.json").read_text())
        run_config = json.loads((self.artifact_dir / "config.json").read_text())
        self.device = pick_device(device)
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
        self.model = AutoModelForSequenceClassification.from_pretrained(model_dir, local_files_only=True)
        self.model.to(self.device).eval()
        self.codes = [self.model.config.id2label[i] for i in range(self.model.config.num_labels)]
        self.max_length = min(int(run_config.get("max_length", 128)),
                              int(getattr(self.model.config, "max_position_embeddings", 512)))

    def predict(self, texts: Sequence[str | None], *, batch_size: int = DEFAULT_BATCH_SIZE) -> list[TopicPrediction]:
        """One TopicPrediction per text, in input order; empty/None texts are scored as a blank."""
        return self._run([model_input(t) for t in texts], batch_size, False, self._predict_batch)

    def _predict_batch(self, indices: list[int], encoded: dict[str, torch.Tensor], mapping: torch.Tensor | None
                       ) -> list[TopicPrediction]:  # fmt: skip
        probabilities = torch.sigmoid(self.model(**encoded).logits.float()).cpu().numpy()
        results = []
        for row in probabilities:
            scores = {code: float(p) for code, p in zip(self.codes, row)}
            chosen = sorted((c for c in self.codes if scores[c] >= self.thresholds.get(c, 0.5)), key=lambda c: -scores[c])
            results.append(TopicPrediction(chosen, scores))
        return results
