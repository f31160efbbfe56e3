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

    Every label of the task is reported, even one absent from ``y_true`` (its scores are 0). Macro-F1
    is averaged over the classes the test rows hold: a shop whose reviews are only positive or
    negative (a two-class data set) is not marked down for a "neutral" class it never had. Models
    compared on the same test rows are averaged over the same classes.
    """
    ids = list(range(len(labels)))
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=ids, zero_division=0
    )
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)) if len(y_true) else 0.0,
        "macro_f1": float(np.mean(f1[support > 0])) if support.any() else 0.0,
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
    """Macro-F1 over the classes ``y_true`` holds, as classification_metrics."""
    _, _, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=list(range(num_labels)), zero_division=0
    )
    return float(np.mean(f1[support > 0])) if support.any() else 0.0

