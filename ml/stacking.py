"""A stacked head: logistic regression over [fine-tuned sentence embedding | TF-IDF features].

The encoder understands paraphrase and context; TF-IDF keeps the shop's exact vocabulary (sizes,
fabrics, product words) that a short CPU fine-tune has not learnt yet. One linear model over both
views is cheap to fit (seconds) and, on the clothing reviews, scores above either alone (numbers
in docs/ml.md). ml.train fits it after the fine-tune, keeps it only when it beats the fine-tuned
head on validation, and stores it as ``stack.joblib`` beside ``model/``; ml.scoring.Scorer then
serves its probabilities (the embedding it returns is unchanged).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from ml.baseline import choose_analyzer, make_vectorizer

STACK_FILE = "stack.joblib"
EMBEDDING_WEIGHT = 0.5  # scale of the (L2-normalised) embedding block next to the TF-IDF block (grid in docs/ml.md)
STACK_C = 1.0  # inverse regularisation of the stacked logistic regression (grid in docs/ml.md)


@dataclass
class StackedHead:
    vectorizer: TfidfVectorizer
    model: LogisticRegression
    num_labels: int
    embedding_weight: float = EMBEDDING_WEIGHT

    def features(self, texts: Sequence[str], embeddings: np.ndarray) -> sparse.csr_matrix:
        dense = sparse.csr_matrix(np.asarray(embeddings, dtype=np.float64) * self.embedding_weight)
        return sparse.hstack([self.vectorizer.transform(list(texts)), dense]).tocsr()

    def predict_proba(self, texts: Sequence[str], embeddings: np.ndarray) -> np.ndarray:
        out = np.zeros((len(texts), self.num_labels))
        if len(texts):
            out[:, self.model.classes_] = self.model.predict_proba(self.features(texts, embeddings))
        return out

    def predict(self, texts: Sequence[str], embeddings: np.ndarray) -> list[int]:
        return np.argmax(self.predict_proba(texts, embeddings), axis=-1).tolist()

    def save(self, directory: Path) -> None:
        joblib.dump(self, Path(directory) / STACK_FILE)


def fit_stacked_head(texts: Sequence[str], embeddings: np.ndarray, labels: Sequence[int], num_labels: int,
                     seed: int) -> StackedHead | None:
    """Fit on the train split; None when training holds a single class (nothing to separate)."""
    if len(set(labels)) < 2:
        return None
    # the same word or character n-grams as the baseline would use on these texts (ml.baseline)
    vectorizer = make_vectorizer(choose_analyzer(texts))
    vectorizer.fit(list(texts))
    model = LogisticRegression(class_weight="balanced", max_iter=3000, C=STACK_C, random_state=seed)
    head = StackedHead(vectorizer, model, num_labels)
    model.fit(head.features(texts, embeddings), list(labels))
    return head


def load_stacked_head(directory: Path) -> StackedHead | None:
    path = Path(directory) / STACK_FILE
    return joblib.load(path) if path.is_file() else None
