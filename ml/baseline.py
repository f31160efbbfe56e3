"""The classical baseline as a real model: TF-IDF + logistic regression, trained, stored and
served like a fine-tune.

Every review model has to beat this to earn its cost, and when it does not, this is what is
served (see members/services/model_registry.py). It trains in seconds on a CPU, so it is also
the first model a new shop gets.

Artifact layout (written to ``<dir>.partial`` and renamed at the end, like ml.train):

    baseline.joblib    {"vectorizer": TfidfVectorizer, "model": LogisticRegression}
    label_map.json     {"id2label": {...}, "label2id": {...}}
    metrics.json       test metrics of tfidf_logreg and majority, test labels and predictions
    config.json        kind "tfidf_logreg", training config, data sizes, split strategy, seed
"""

from __future__ import annotations

import json
import platform
import shutil
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from ml.config import TrainConfig
from ml.data import DataError, Example, build_examples
from ml.labels import TASK_LABELS, label_maps
from ml.metrics import classification_metrics, majority_predictions
from ml.splits import cap_examples, split_examples

BASELINE_KIND = "tfidf_logreg"
FINETUNED_KIND = "finetuned"
BASELINE_FILE = "baseline.joblib"
ARTIFACT_FORMAT_VERSION = 1
__all__ = ["BASELINE_KIND", "FINETUNED_KIND", "BaselineModel", "BaselineScorer", "fit_baseline", "train_baseline"]


@dataclass
class BaselineModel:
    """A fitted TF-IDF vectoriser + logistic regression over label ids 0..k-1."""

    vectorizer: TfidfVectorizer | None
    model: LogisticRegression | None
    num_labels: int
    constant: int | None = None  # a single class in training: always predict it

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), num_labels) probabilities; classes absent from training get 0."""
        out = np.zeros((len(texts), self.num_labels), dtype=np.float64)
        if not len(texts):
            return out
        if self.constant is not None:
            out[:, self.constant] = 1.0
            return out
        probs = self.model.predict_proba(self.vectorizer.transform(list(texts)))
        out[:, self.model.classes_] = probs
        return out

    def predict(self, texts: Sequence[str]) -> list[int]:
        return np.argmax(self.predict_proba(texts), axis=-1).tolist()


def fit_baseline(train_texts: Sequence[str], train_y: Sequence[int], num_labels: int, seed: int) -> BaselineModel:
    """Word 1-2 gram TF-IDF (sublinear tf) + logistic regression with balanced class weights."""
    if len(set(train_y)) < 2:
        return BaselineModel(None, None, num_labels, constant=int(train_y[0]))
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, max_features=100_000)
    features = vectorizer.fit_transform(list(train_texts))
    model = LogisticRegression(class_weight="balanced", max_iter=2000, random_state=seed)
    model.fit(features, list(train_y))
    return BaselineModel(vectorizer, model, num_labels)


def save_baseline(model: BaselineModel, directory: Path, *, task: str, metrics: dict[str, Any],
                  run_config: dict[str, Any]) -> None:
    """Write a complete baseline artifact into ``directory`` (which must exist and be empty)."""
    id2label, label2id = label_maps(task)
    joblib.dump({"vectorizer": model.vectorizer, "model": model.model, "num_labels": model.num_labels,
                 "constant": model.constant}, directory / BASELINE_FILE)
    _write_json(directory / "label_map.json", {"id2label": {str(k): v for k, v in id2label.items()},
                                               "label2id": label2id})
    _write_json(directory / "metrics.json", metrics)
    _write_json(directory / "config.json", {"format_version": ARTIFACT_FORMAT_VERSION, "kind": BASELINE_KIND,
                                            **run_config})


def load_baseline(directory: Path) -> BaselineModel:
    stored = joblib.load(Path(directory) / BASELINE_FILE)
    return BaselineModel(stored["vectorizer"], stored["model"], stored["num_labels"], stored["constant"])


@dataclass(frozen=True)
class BaselineResult:
    artifact_dir: Path
    metrics: dict[str, Any]
    run_config: dict[str, Any]


def train_baseline(config: TrainConfig, rows: Iterable[Mapping[str, Any]]) -> BaselineResult:
    """Train TF-IDF + LR on the same split ml.train would make and write its artifact to
    ``config.output_dir``. Seconds on a CPU. Raises DataError / FileExistsError like ml.train."""
    started = time.monotonic()
    labels = TASK_LABELS[config.task]
    examples, summary = build_examples(rows, config)
    split = split_examples(examples, shares=config.split, seed=config.seed)
    train_examples = cap_examples(split.train, config.max_train_samples, config.seed)
    for name, part in (("train", train_examples), ("test", split.test)):
        if not part:
            raise DataError(f"the {name} split is empty: {summary.rows_labelled} labelled rows are too few to split.")
    output_dir = Path(config.output_dir)
    partial = _prepare(output_dir)
    try:
        train_y = [e.label_id for e in train_examples]
        model = fit_baseline([e.text for e in train_examples], train_y, len(labels), config.seed)
        metrics = baseline_test_metrics(model, train_y, split.test, config.task)
        run_config = {
            "task": config.task,
            "created_at": datetime.now(UTC).isoformat(),
            "training": config.to_dict(),
            "title_joined": bool(config.title_column),
            "base_model": {"description": "TF-IDF (word 1-2 grams) + logistic regression"},
            "seed": config.seed,
            "data": {**summary.to_dict(), "split_strategy": split.strategy,
                     **{f"{name}_rows": size for name, size in split.sizes().items()},
                     "train_rows_used": len(train_examples)},
            "device": "cpu",
            "precision": "fp64",
            "duration_s": round(time.monotonic() - started, 1),
            "versions": {name: metadata.version(name) for name in ("scikit-learn", "numpy")}
            | {"python": platform.python_version()},
        }
        save_baseline(model, partial, task=config.task, metrics=metrics, run_config=run_config)
        if output_dir.exists():
            output_dir.rmdir()
        partial.rename(output_dir)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return BaselineResult(output_dir, metrics, {"kind": BASELINE_KIND, **run_config})


def baseline_test_metrics(model: BaselineModel, train_y: Sequence[int], test: Sequence[Example],
                          task: str) -> dict[str, Any]:
    """metrics.json of a baseline artifact: its test metrics, the majority floor, and the test
    labels/predictions (so a registry can compare it with another model row by row)."""
    labels = TASK_LABELS[task]
    test_true = [e.label_id for e in test]
    predicted = model.predict([e.text for e in test])
    return {
        "task": task,
        "kind": BASELINE_KIND,
        "labels": list(labels),
        "test_size": len(test),
        "test": {
            BASELINE_KIND: classification_metrics(test_true, predicted, labels),
            "majority": classification_metrics(test_true, majority_predictions(train_y, len(test_true)), labels),
        },
        "test_labels": test_true,
        "test_predictions": {BASELINE_KIND: predicted},
    }


class BaselineScorer:
    """Scores texts with a baseline artifact through the same interface as ml.scoring.Scorer
    (``labels``, ``run_config``, ``score(texts, titles)``). It has no encoder, so
    ``ScoreResult.embedding`` is None."""

    def __init__(self, artifact_dir: str | Path) -> None:
        self.artifact_dir = Path(artifact_dir)
        self.run_config = json.loads((self.artifact_dir / "config.json").read_text(encoding="utf-8"))
        self.model = load_baseline(self.artifact_dir)
        id2label, _ = label_maps(self.run_config["task"])
        self.labels = [id2label[i] for i in range(self.model.num_labels)]
        self.join_title = bool(self.run_config.get("title_joined", False))

    def score(self, texts: Sequence[str | None], titles: Sequence[str | None] | None = None, *,
              batch_size: int = 0, show_progress: bool = False) -> list:
        from ml.scoring import ScoreResult, model_input

        if titles is not None and len(titles) != len(texts):
            raise ValueError(f"got {len(texts)} texts but {len(titles)} titles")
        inputs = [model_input(text, None if titles is None else titles[i], join_title=self.join_title)
                  for i, text in enumerate(texts)]
        probabilities = self.model.predict_proba(inputs)
        return [
            ScoreResult(label=self.labels[int(np.argmax(row))],
                        probabilities={label: float(p) for label, p in zip(self.labels, row)}, embedding=None)
            for row in probabilities
        ]


def _prepare(output_dir: Path) -> Path:
    if output_dir.exists() and (not output_dir.is_dir() or any(output_dir.iterdir())):
        raise FileExistsError(f"{output_dir} already exists and is not empty; each run needs its own directory.")
    partial = output_dir.with_name(output_dir.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    return partial


def _write_json(path: Path, payload: Any) -> None:
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
