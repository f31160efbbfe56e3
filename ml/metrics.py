"""Classification metrics and the two baselines every fine-tune is compared against.

Baselines (trained on exactly the same train split as the fine-tune):
* majority: predicts the most frequent training label for everything -- the floor.
* tfidf_logreg: word 1-2 gram TF-IDF + logistic regression with ``class_weight="balanced"`` --
  the cheap model a fine-tuned transformer has to beat to earn its cost.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support


def classification_metrics(y_true: Sequence[int], y_pred: Sequence[int], labels: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class precision/recall/F1/support and the confusion matrix.

    Every label of the task is reported, even one absent from ``y_true`` (its scores are 0), so
    macro-F1 is always averaged over the same classes and runs stay comparable.
    """
    ids = list(range(len(labels)))
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=ids, zero_division=0
    )
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)) if len(y_true) else 0.0,
        "macro_f1": float(np.mean(f1)),
        "per_class": {
            label: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, label in enumerate(labels)
        },
        # rows = true label, columns = predicted label, both in ``labels`` order
        "confusion_matrix": {
            "labels": list(labels),
            "matrix": confusion_matrix(y_true, y_pred, labels=ids).tolist(),
        },
    }


def majority_predictions(train_y: Sequence[int], n: int) -> list[int]:
    most_common = Counter(train_y).most_common(1)[0][0]
    return [most_common] * n


def tfidf_logreg_predictions(
    train_texts: Sequence[str], train_y: Sequence[int], test_texts: Sequence[str], seed: int
) -> list[int]:
    """Fit TF-IDF + balanced logistic regression on the train split, predict the test texts.

    With a single class in training there is nothing to separate; it predicts that class.
    """
    if len(set(train_y)) < 2:
        return [train_y[0]] * len(test_texts)
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, max_features=100_000)
    features = vectorizer.fit_transform(train_texts)
    model = LogisticRegression(class_weight="balanced", max_iter=2000, random_state=seed)
    model.fit(features, train_y)
    return model.predict(vectorizer.transform(test_texts)).tolist()


def macro_f1(y_true: Sequence[int], y_pred: Sequence[int], num_labels: int) -> float:
    """Macro-F1 over all ``num_labels`` classes (absent ones count 0), as classification_metrics."""
    _, _, f1, _ = precision_recall_fscore_support(
        y_true, y_pred, labels=list(range(num_labels)), zero_division=0
    )
    return float(np.mean(f1))


BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_CONFIDENCE = 0.95


def paired_bootstrap_macro_f1(
    y_true: Sequence[int], pred_a: Sequence[int], pred_b: Sequence[int], num_labels: int, *,
    resamples: int = BOOTSTRAP_RESAMPLES, confidence: float = BOOTSTRAP_CONFIDENCE, seed: int = 0,
) -> dict[str, float]:
    """How much better A is than B on the same test rows: macro-F1(A) - macro-F1(B), with a paired
    bootstrap percentile interval (the same resampled rows score both models, so the interval
    reflects the difference, not each model's own noise).

    Returns {"delta", "low", "high", "a", "b", "n", "resamples", "confidence"}; A wins clearly only
    when ``low > 0``.
    """
    y = np.asarray(y_true)
    a, b = np.asarray(pred_a), np.asarray(pred_b)
    if not (len(y) == len(a) == len(b)):
        raise ValueError(f"paired bootstrap needs equal lengths, got {len(y)}, {len(a)}, {len(b)}")
    score_a, score_b = macro_f1(y, a, num_labels), macro_f1(y, b, num_labels)
    deltas = np.empty(resamples)
    rng = np.random.default_rng(seed)
    n = len(y)
    for i in range(resamples):
        rows = rng.integers(0, n, n) if n else np.zeros(0, dtype=int)
        deltas[i] = _fast_macro_f1(y[rows], a[rows], num_labels) - _fast_macro_f1(y[rows], b[rows], num_labels)
    tail = (1 - confidence) / 2 * 100
    low, high = (np.percentile(deltas, [tail, 100 - tail]) if n else (0.0, 0.0))
    return {"delta": score_a - score_b, "low": float(low), "high": float(high), "a": score_a, "b": score_b,
            "n": n, "resamples": resamples, "confidence": confidence}


def _fast_macro_f1(y: np.ndarray, p: np.ndarray, k: int) -> float:
    """Macro-F1 from a confusion matrix via bincount (the bootstrap calls this thousands of times)."""
    matrix = np.bincount(y * k + p, minlength=k * k).reshape(k, k)
    tp = np.diag(matrix).astype(float)
    predicted, actual = matrix.sum(axis=0), matrix.sum(axis=1)
    denominator = predicted + actual
    f1 = np.divide(2 * tp, denominator, out=np.zeros(k), where=denominator > 0)
    return float(f1.mean())
