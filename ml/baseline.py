"""The classical baseline as a real model: TF-IDF + logistic regression, trained, stored and
served like a fine-tune.

Every review model has to beat this to earn its cost, and when it does not, this is what is
served (see members/reviews/services/model_registry.py). It trains in seconds on a CPU, so it is also
the first model a new shop gets.

Artifact layout (written to ``<dir>.partial`` and renamed at the end by ml.artifacts, like ml.train):

    baseline.joblib    {"vectorizer": TfidfVectorizer, "model": LogisticRegression, "analyzer": ...}
    label_map.json     {"id2label": {...}, "label2id": {...}}
    metrics.json       test metrics of tfidf_logreg and majority, test labels and predictions
    config.json        kind "tfidf_logreg", training config, data sizes, split strategy, seed

Language: English is cut into word 1-2 grams. Chinese has no spaces, so a "word" there is a whole
clause ("很快，好吃" gives two tokens, each seen once or twice in a shop's reviews); when enough training
texts are Chinese (:func:`choose_analyzer`) the features are character 1-3 grams instead. The
choice is made once from the training texts and pickled with the fitted vectoriser, so scoring
always cuts text the same way as training did. On the waimai_10k reviews (80/20 split) words score
0.817 accuracy and character 1-3 grams 0.898 (bench/language_bench.py).
"""

from __future__ import annotations

import json
import platform
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

from ml.artifacts import ArtifactWriter, write_json
from ml.config import TrainConfig
from ml.data import DataError, Example, build_examples
from ml.labels import TASK_LABELS, label_maps
from ml.language import ZH, language_shares
from ml.metrics import classification_metrics, majority_predictions
from ml.score_result import ScoreResult, model_input
from ml.splits import cap_examples, split_examples

BASELINE_KIND = "tfidf_logreg"
FINETUNED_KIND = "finetuned"
BASELINE_FILE = "baseline.joblib"
ARTIFACT_FORMAT_VERSION = 1

WORD_ANALYZER = "word"  # word 1-2 grams: the English behaviour, unchanged
# "char_wb" (n-grams inside whitespace-separated chunks) rather than "char": on waimai_10k it
# scored 0.898 against 0.897 for "char", and it never glues the end of one English word to the next.
CHAR_ANALYZER = "char_wb"
ANALYZERS = (WORD_ANALYZER, CHAR_ANALYZER)
CHAR_NGRAM_RANGE = (1, 3)  # waimai_10k accuracy: 1-2 0.893, 1-3 0.897, 1-4 0.893 (analyzer "char")
# Character n-grams once this share of the training texts is Chinese. Not for every shop: on the
# English clothing reviews (80/20 split) character 1-3 grams score below words (accuracy 0.773 vs
# 0.812, macro-F1 0.603 vs 0.632). Above this share a sizeable group of reviews would otherwise be
# reduced to one-off clause tokens.
CHAR_MIN_ZH_SHARE = 0.2
__all__ = ["BASELINE_KIND", "FINETUNED_KIND", "BaselineModel", "BaselineScorer", "choose_analyzer", "fit_baseline",
           "make_vectorizer", "train_baseline"]


@dataclass
class BaselineModel:
    """A fitted TF-IDF vectoriser + logistic regression over label ids 0..k-1."""

    vectorizer: TfidfVectorizer | None
    model: LogisticRegression | None
    num_labels: int
    constant: int | None = None  # a single class in training: always predict it
    analyzer: str = WORD_ANALYZER  # how the vectoriser cuts text (one of ANALYZERS)

    @property
    def description(self) -> str:
        """For config.json's base_model.description."""
        return describe_features(self.analyzer)

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


def choose_analyzer(texts: Iterable[str | None]) -> str:
    """CHAR_ANALYZER when at least CHAR_MIN_ZH_SHARE of ``texts`` are Chinese, else WORD_ANALYZER."""
    return CHAR_ANALYZER if language_shares(texts)[ZH] >= CHAR_MIN_ZH_SHARE else WORD_ANALYZER


def make_vectorizer(analyzer: str = WORD_ANALYZER) -> TfidfVectorizer:
    """An unfitted TF-IDF vectoriser (sublinear tf, at most 100,000 features) for ``analyzer``."""
    if analyzer == WORD_ANALYZER:
        return TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, max_features=100_000)
    if analyzer == CHAR_ANALYZER:
        return TfidfVectorizer(analyzer=CHAR_ANALYZER, ngram_range=CHAR_NGRAM_RANGE, sublinear_tf=True,
                               max_features=100_000)
    raise ValueError(f"analyzer must be one of {ANALYZERS}, got {analyzer!r}")


def describe_features(analyzer: str) -> str:
    if analyzer == CHAR_ANALYZER:
        low, high = CHAR_NGRAM_RANGE
        return f"TF-IDF (character {low}-{high} grams) + logistic regression"
    return "TF-IDF (word 1-2 grams) + logistic regression"


def fit_baseline(train_texts: Sequence[str], train_y: Sequence[int], num_labels: int, seed: int, *,
                 analyzer: str | None = None) -> BaselineModel:
    """TF-IDF (sublinear tf) + logistic regression with balanced class weights.

    ``analyzer`` None picks word or character n-grams from the training texts (:func:`choose_analyzer`).
    """
    analyzer = choose_analyzer(train_texts) if analyzer is None else analyzer
    if len(set(train_y)) < 2:
        return BaselineModel(None, None, num_labels, constant=int(train_y[0]), analyzer=analyzer)
    vectorizer = make_vectorizer(analyzer)
    features = vectorizer.fit_transform(list(train_texts))
    model = LogisticRegression(class_weight="balanced", max_iter=2000, random_state=seed)
    model.fit(features, list(train_y))
    return BaselineModel(vectorizer, model, num_labels, analyzer=analyzer)


def save_baseline(model: BaselineModel, directory: Path, *, task: str, metrics: dict[str, Any],
                  run_config: dict[str, Any]) -> None:
    """Write a complete baseline artifact into ``directory`` (which must exist and be empty)."""
    id2label, label2id = label_maps(task)
    joblib.dump({"vectorizer": model.vectorizer, "model": model.model, "num_labels": model.num_labels,
                 "constant": model.constant, "analyzer": model.analyzer}, directory / BASELINE_FILE)
    write_json(directory / "label_map.json", {"id2label": {str(k): v for k, v in id2label.items()},
                                               "label2id": label2id})
    write_json(directory / "metrics.json", metrics)
    write_json(directory / "config.json", {"format_version": ARTIFACT_FORMAT_VERSION, "kind": BASELINE_KIND,
                                            **run_config})


def load_baseline(directory: Path) -> BaselineModel:
    stored = joblib.load(Path(directory) / BASELINE_FILE)
    # Artifacts written before the analyzer was stored are word n-gram models.
    return BaselineModel(stored["vectorizer"], stored["model"], stored["num_labels"], stored["constant"],
                         stored.get("analyzer", WORD_ANALYZER))


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
    with ArtifactWriter(config.output_dir) as artifact:
        train_y = [e.label_id for e in train_examples]
        model = fit_baseline([e.text for e in train_examples], train_y, len(labels), config.seed)
        metrics = baseline_test_metrics(model, train_y, split.test, config.task)
        run_config = {
            "task": config.task,
            "created_at": datetime.now(UTC).isoformat(),
            "training": config.to_dict(),
            "title_joined": bool(config.title_column),
            "base_model": {"description": model.description},
            "text_features": model.analyzer,
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
        save_baseline(model, artifact.partial, task=config.task, metrics=metrics, run_config=run_config)
        output_dir = artifact.commit()
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
        "text_features": model.analyzer,  # WORD_ANALYZER or CHAR_ANALYZER
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
