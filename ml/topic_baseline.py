"""A trained topic model to put against the keyword rules: TF-IDF + one logistic regression per topic.

The keyword rules (ml.topics.WeakTopicLabeller) are the topic baseline every shop starts with. Once
people have confirmed or rejected topics on enough reviews, a classifier trained on the rules'
labels, corrected by people, can learn the phrasings the keywords miss ("runs small" for size_fit)
and drop the hits people reject. Whether it does is measured, never assumed: both are scored on
the newest human-labelled reviews, and the classifier is served only when it is clearly better
(members/reviews/services/topic_models.py).

Evaluation works on the (review, topic) cells a person judged, since a person usually confirms or
rejects one topic of a review, not all of them: a topic's F1 counts only its judged cells, and
macro-F1 averages the topics that have a positive among them. Cells nobody judged are -1 in the
truth matrix and never counted.

Artifact layout (written to ``<dir>.partial`` and renamed at the end by ml.artifacts):

    topic_baseline.joblib  {"vectorizer", "models": {code: LogisticRegression | None}, "constants", ...}
    topics.json            the topic codes the model predicts, in column order
    metrics.json           what it was compared with, and the decision
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from sklearn.linear_model import LogisticRegression

from ml.artifacts import ArtifactWriter, write_json
from ml.baseline import choose_analyzer, describe_features, make_vectorizer
from ml.bootstrap import paired_bootstrap_statistic
from ml.selection import ACTIVE, BASELINE, CHALLENGER, ServingDecision, clearly_better
from ml.topics import TopicEvidence, WeakTopics

TOPIC_BASELINE_KIND = "tfidf_logreg"
TOPIC_BASELINE_FILE = "topic_baseline.joblib"
UNJUDGED = -1  # truth matrix cell nobody judged
THRESHOLD = 0.5  # balanced class weights put the decision boundary of each topic's regression here


@dataclass
class TopicBaseline:
    """Fitted TF-IDF features and one logistic regression per topic code (None: the topic had a
    single class in training, predicted as ``constants[code]``)."""

    codes: tuple[str, ...]
    vectorizer: Any
    models: dict[str, LogisticRegression | None]
    constants: dict[str, bool] = field(default_factory=dict)
    analyzer: str = "word"
    encoder: None = None  # scoring asks a labeller for its encoder: this one has none

    @property
    def description(self) -> str:
        return f"TF-IDF ({describe_features(self.analyzer)}) + logistic regression per topic"

    def probabilities(self, texts: Sequence[str | None]) -> np.ndarray:
        """(len(texts), len(codes)) probability that each topic is present."""
        texts = ["" if t is None else str(t) for t in texts]
        out = np.zeros((len(texts), len(self.codes)), dtype=np.float64)
        if not texts:
            return out
        features = self.vectorizer.transform(texts)
        for j, code in enumerate(self.codes):
            model = self.models.get(code)
            out[:, j] = model.predict_proba(features)[:, 1] if model is not None else float(self.constants[code])
        return out

    def predict(self, texts: Sequence[str | None]) -> np.ndarray:
        """(len(texts), len(codes)) booleans: topic assigned."""
        return self.probabilities(texts) >= THRESHOLD

    def label(self, texts: Sequence[str | None], *, sentence_embeddings: Any = None) -> list[WeakTopics]:
        """The labeller interface scoring uses (ml.review_analysis): one WeakTopics per text, the
        assigned codes best first and each topic's probability as its evidence score."""
        probabilities = self.probabilities(texts)
        results = []
        for row in probabilities:
            evidence = {code: TopicEvidence(code, float(p), bool(p >= THRESHOLD), (), None)
                        for code, p in zip(self.codes, row)}
            assigned = sorted((e for e in evidence.values() if e.assigned), key=lambda e: -e.score)
            results.append(WeakTopics([e.code for e in assigned], evidence))
        return results


def fit_topic_baseline(texts: Sequence[str], labels: np.ndarray, codes: Sequence[str], *, seed: int = 0,
                       sample_weight: np.ndarray | None = None) -> TopicBaseline:
    """Fit on ``texts`` with ``labels`` a (len(texts), len(codes)) 0/1 matrix. ``sample_weight``
    lets people's labels count more than the rules' (see topic_models)."""
    labels = np.asarray(labels)
    if labels.shape != (len(texts), len(codes)):
        raise ValueError(f"labels must be {len(texts)} x {len(codes)}, got {labels.shape}")
    if not len(texts):
        raise ValueError("no training texts")
    analyzer = choose_analyzer(texts)
    vectorizer = make_vectorizer(analyzer)
    features = vectorizer.fit_transform(list(texts))
    models: dict[str, LogisticRegression | None] = {}
    constants: dict[str, bool] = {}
    for j, code in enumerate(codes):
        column = labels[:, j].astype(int)
        if column.min() == column.max():
            models[code], constants[code] = None, bool(column[0])
            continue
        model = LogisticRegression(class_weight="balanced", max_iter=2000, random_state=seed)
        model.fit(features, column, sample_weight=sample_weight)
        models[code] = model
    return TopicBaseline(tuple(codes), vectorizer, models, constants, analyzer)


def save_topic_baseline(model: TopicBaseline, directory: Path, *, metrics: dict[str, Any]) -> Path:
    """Write the artifact atomically into ``directory`` (which must not exist yet)."""
    with ArtifactWriter(directory) as artifact:
        joblib.dump({"codes": list(model.codes), "vectorizer": model.vectorizer, "models": model.models,
                     "constants": model.constants, "analyzer": model.analyzer},
                    artifact.partial / TOPIC_BASELINE_FILE)
        write_json(artifact.partial / "topics.json", list(model.codes))
        write_json(artifact.partial / "metrics.json", metrics)
        return artifact.commit()


def load_topic_baseline(directory: str | Path) -> TopicBaseline:
    stored = joblib.load(Path(directory) / TOPIC_BASELINE_FILE)
    return TopicBaseline(tuple(stored["codes"]), stored["vectorizer"], stored["models"], stored["constants"],
                         stored["analyzer"])


def judged_macro_f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    """Macro-F1 over the topics with at least one judged positive cell, counting judged cells only.
    Raises ValueError when no topic has one (the statistic is undefined)."""
    truth, predicted = np.asarray(truth), np.asarray(predicted).astype(bool)
    judged = truth != UNJUDGED
    positive = truth == 1
    tp = (positive & predicted).sum(axis=0)
    fp = (judged & ~positive & predicted).sum(axis=0)
    fn = (positive & ~predicted).sum(axis=0)
    scored = positive.sum(axis=0) > 0
    if not scored.any():
        raise ValueError("no topic has a judged positive")
    f1 = np.where(tp > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1), 0.0)
    return float(f1[scored].mean())


def judged_metrics(truth: np.ndarray, predicted: np.ndarray, codes: Sequence[str]) -> dict[str, Any]:
    """macro_f1 plus per-topic precision, recall, F1 and judged/positive cell counts."""
    truth, predicted = np.asarray(truth), np.asarray(predicted).astype(bool)
    per_topic = {}
    for j, code in enumerate(codes):
        judged = truth[:, j] != UNJUDGED
        positive = truth[:, j] == 1
        tp = int((positive & predicted[:, j]).sum())
        fp = int((judged & ~positive & predicted[:, j]).sum())
        fn = int((positive & ~predicted[:, j]).sum())
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        per_topic[code] = {"precision": round(precision, 4), "recall": round(recall, 4),
                           "f1": round(2 * precision * recall / (precision + recall), 4) if tp else 0.0,
                           "judged": int(judged.sum()), "positive": int(positive.sum())}
    return {"macro_f1": round(judged_macro_f1(truth, predicted), 6), "per_topic": per_topic}


def compare(truth: np.ndarray, a: np.ndarray, b: np.ndarray, *, seed: int = 0) -> dict[str, float]:
    """judged_macro_f1(a) - judged_macro_f1(b) with the 95 % paired bootstrap interval, resampling
    reviews; the form ml.selection.describe prints."""
    interval = paired_bootstrap_statistic(judged_macro_f1, truth, np.asarray(a, dtype=bool),
                                          np.asarray(b, dtype=bool), seed=seed)
    score_a, score_b = judged_macro_f1(truth, a), judged_macro_f1(truth, b)
    return {"delta": score_a - score_b, "low": interval.low, "high": interval.high, "a": score_a, "b": score_b,
            "n": len(truth), "resamples": interval.resamples, "confidence": interval.confidence}


def decide_topic_serving(truth: np.ndarray, challenger: np.ndarray, rules: np.ndarray,
                         active: np.ndarray | None = None, *, active_name: str = "the active topic model",
                         seed: int = 0) -> ServingDecision:
    """The review models' rule (ml.selection) for topics: the trained challenger is served only when
    its interval against the keyword rules, and against an active trained model if there is one,
    is above zero. Otherwise the keyword rules serve when nothing trained is active or they clearly
    beat it; else the active model stays. ``active`` None: the rules are what is served now."""
    vs_rules = compare(truth, challenger, rules, seed=seed)
    vs_active = None if active is None else compare(truth, challenger, active, seed=seed)
    margins = f"vs keyword rules {_describe(vs_rules)}" + (
        f"; vs {active_name} {_describe(vs_active)}" if vs_active else "")
    if clearly_better(vs_rules) and (active is None or clearly_better(vs_active)):
        return ServingDecision(CHALLENGER, f"The trained topic model is clearly better: serving it ({margins}).",
                               vs_rules, vs_active)
    if active is None:
        return ServingDecision(BASELINE, "The trained topic model is not yet clearly better than the keyword rules "
                                         f"on the reviews people labelled: the rules keep serving ({margins}).",
                               vs_rules, None)
    rules_vs_active = compare(truth, rules, active, seed=seed)
    if clearly_better(rules_vs_active):
        return ServingDecision(BASELINE, f"The keyword rules beat {active_name} ({_describe(rules_vs_active)}): "
                                         f"serving the rules ({margins}).", vs_rules, vs_active, rules_vs_active)
    return ServingDecision(ACTIVE, f"The new topic model is not clearly better than both the keyword rules and "
                                   f"{active_name} ({margins}): keeping {active_name}.", vs_rules, vs_active,
                           rules_vs_active)


def _describe(comparison: dict[str, float]) -> str:
    return (f"{comparison['delta']:+.3f} macro-F1 ({comparison['confidence']:.0%} interval "
            f"{comparison['low']:+.3f} to {comparison['high']:+.3f}, {comparison['n']} labelled reviews)")
