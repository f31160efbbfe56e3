"""Topic models earn their place like sentiment models: a trained candidate against the keyword rules.

Review topics start with the keyword rules (ml/topics.py: keywords and sentence-prototype
similarity), which need no labels. When people have judged topics on enough reviews (the Topics
labels on a review's page, ReviewTopicLabel), topic_model_train() trains TF-IDF + logistic
regression per topic (ml/topic_baseline.py) and compares it with the rules, and with an active
trained topic model, on the newest labelled reviews:

* test: the newest TOPIC_TEST_SHARE of the reviews people judged (at least MIN_TOPIC_TEST_REVIEWS),
  scored only on the judged (review, topic) cells;
* train: the other reviews (the newest TOPIC_TRAIN_MAX_REVIEWS), labelled by the keyword rules and
  corrected by people's verdicts, which weigh HUMAN_LABEL_WEIGHT times a rule label;
* served: the trained model only when its 95 % paired bootstrap interval is above zero against the
  rules and the active model (ml.topic_baseline.decide_topic_serving). Both candidates are stored as
  ModelVersion rows of task "topics" (kinds tfidf_logreg and keyword_rules) with their figures and
  the decision, shown on the Models page and by GET /api/v1/model-versions/.

When what is served changes, every scored review's topics are relabelled in place by the served
model (reviews_relabel_topics), so pages and the API show one model's topics. Entities have no such
comparison: people do not label entity spans, so the rule extractor serves (docs/ml.md).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection

from members.models import (
    MlTask,
    ModelVersion,
    ModelVersionKind,
    ModelVersionStatus,
    Review,
    ReviewTopicLabel,
    Topic,
)
from members.reviews.services.model_registry import (
    model_version_activate_if_unchanged,
    model_version_create,
    review_artifact_dir,
)
from members.reviews.services.scoring import served_topic_labeller, topic_labeller, trained_topic_model
from ml.data import compose_text

logger = logging.getLogger(__name__)

MIN_TOPIC_TEST_REVIEWS = 30  # fewer judged reviews give intervals too wide to ever promote anything
TOPIC_TEST_SHARE = 0.3
MIN_TOPIC_LABELLED_REVIEWS = int(np.ceil(MIN_TOPIC_TEST_REVIEWS / TOPIC_TEST_SHARE))
TOPIC_TRAIN_MAX_REVIEWS = 50_000  # TF-IDF + one regression per topic on these takes seconds
HUMAN_LABEL_WEIGHT = 5.0  # a person's verdict corrects the rules: it must outweigh the rule labels around it


@dataclass(frozen=True)
class TopicTrainingReport:
    served: str  # label of the served topic version, or "keyword rules" when no version exists
    reason: str  # what happened, in words
    version: ModelVersion | None = None  # the trained candidate, when one was trained
    relabelled: int = 0  # reviews whose topics were rewritten by a newly served model


def topic_labels_status() -> dict[str, int]:
    """How many reviews carry a person's topic verdict, and how many a comparison needs."""
    labelled = ReviewTopicLabel.objects.filter(topic__active=True).values("review_id").distinct().count()
    return {"labelled_reviews": labelled, "needed": MIN_TOPIC_LABELLED_REVIEWS}


def topic_model_train(*, seed: int = 0) -> TopicTrainingReport:
    """Train, compare and decide what serves topics (module docstring). Idempotent in effect: a
    second call trains another candidate on the same data and reaches the same decision."""
    topics = list(Topic.objects.filter(active=True).order_by("code").values("code", "name", "description", "keywords"))
    codes = [t["code"] for t in topics]
    served = trained_topic_version()
    status = topic_labels_status()
    if not codes:
        return TopicTrainingReport(_served_label(served), "No active topics: nothing to train.")
    if status["labelled_reviews"] < MIN_TOPIC_LABELLED_REVIEWS:
        return TopicTrainingReport(
            _served_label(served),
            f"{status['labelled_reviews']} reviews carry a person's topic verdict; at least "
            f"{MIN_TOPIC_LABELLED_REVIEWS} are needed to compare a trained topic model with the keyword rules, "
            "so the rules keep serving.")
    verdicts = _verdicts()
    test_ids, truth, test_texts = _test_split(codes, verdicts)
    train_texts, train_labels, weights, human_train = _training_rows(codes, verdicts, exclude=set(test_ids))
    from ml.topic_baseline import (
        decide_topic_serving,
        fit_topic_baseline,
        judged_metrics,
        save_topic_baseline,
    )

    model = fit_topic_baseline(train_texts, train_labels, codes, seed=seed, sample_weight=weights)
    challenger = model.predict(test_texts)
    rules = _rules_predictions(test_texts, codes)
    active_model = trained_topic_model(version=served) if served is not None and served.is_baseline else None
    active = None if active_model is None else _aligned(active_model.predict(test_texts), active_model.codes, codes)
    decision = decide_topic_serving(truth, challenger, rules, active,
                                    active_name=served.label if active is not None else "", seed=seed)
    test = {ModelVersionKind.BASELINE: judged_metrics(truth, challenger, codes),
            ModelVersionKind.RULES: judged_metrics(truth, rules, codes)}
    metrics = {"test": test, "decision": decision.to_dict(), "test_size": len(test_ids), "topics": codes,
               "data": {"train_reviews": len(train_texts), "human_train_reviews": human_train,
                        "test_reviews": len(test_ids), "split_strategy": "time (newest labelled reviews)"}}
    artifact = save_topic_baseline(model, review_artifact_dir(task=MlTask.TOPICS, name="tfidf"), metrics=metrics)
    version = model_version_create(task=MlTask.TOPICS, kind=ModelVersionKind.BASELINE, artifact_dir=artifact,
                                  base_model=model.description, metrics=metrics, run=None)
    from ml.selection import BASELINE, CHALLENGER

    newly_served = None
    if decision.served == CHALLENGER:
        newly_served = version
    elif decision.served == BASELINE and served is not None and served.kind != ModelVersionKind.RULES:
        own = {**metrics, "decision": {**metrics["decision"], "vs_baseline": None,
                                       "vs_active": decision.baseline_vs_active}}
        newly_served = model_version_create(
            task=MlTask.TOPICS, kind=ModelVersionKind.RULES, artifact_dir=artifact,
            base_model="Keywords and sentence similarity (ml/topics.py)", metrics=own, run=None,
        )  # fmt: skip
    relabelled = 0
    if newly_served is not None:
        model_version_activate_if_unchanged(newly_served, expected_active=served)
        relabelled = reviews_relabel_topics()
    version.refresh_from_db()
    now_served = trained_topic_version()
    return TopicTrainingReport(_served_label(now_served), decision.reason, version, relabelled)


def trained_topic_version() -> ModelVersion | None:
    return ModelVersion.objects.filter(task=MlTask.TOPICS, status=ModelVersionStatus.ACTIVE).first()


def _served_label(version: ModelVersion | None) -> str:
    return version.label if version is not None else "keyword rules"


def _test_split(codes: list[str], verdicts: dict[int, dict[str, bool]]
                ) -> tuple[list[int], np.ndarray, list[str]]:  # fmt: skip
    """The newest TOPIC_TEST_SHARE of the judged reviews: ids, truth (1/0/-1 per topic) and texts."""
    from ml.topic_baseline import UNJUDGED

    reviews = list(Review.objects.filter(pk__in=verdicts).order_by("created_at", "id").values_list("id", "body", "title"))
    size = max(MIN_TOPIC_TEST_REVIEWS, round(TOPIC_TEST_SHARE * len(reviews)))
    test = reviews[-size:]
    column = {code: j for j, code in enumerate(codes)}
    truth = np.full((len(test), len(codes)), UNJUDGED, dtype=np.int8)
    for i, (review_id, _, _) in enumerate(test):
        for code, present in verdicts[review_id].items():
            truth[i, column[code]] = int(present)
    return [r[0] for r in test], truth, [compose_text(body, title) for _, body, title in test]


def _verdicts() -> dict[int, dict[str, bool]]:
    """People's verdicts on active topics: {review id: {topic code: present}} (hundreds of rows)."""
    verdicts: dict[int, dict[str, bool]] = {}
    for review_id, code, present in ReviewTopicLabel.objects.filter(topic__active=True).values_list(
            "review_id", "topic__code", "present"):
        verdicts.setdefault(review_id, {})[code] = present
    return verdicts


def _training_rows(codes: list[str], verdicts: dict[int, dict[str, bool]], *, exclude: set[int]
                   ) -> tuple[list[str], np.ndarray, np.ndarray, int]:  # fmt: skip
    """Texts, 0/1 labels, sample weights and the number of human-judged rows, for every review but
    the test ones: rule labels (keywords alone: milliseconds a batch, while the similarity pass
    would re-encode every sentence) with people's verdicts written over them."""
    verdicts = {k: v for k, v in verdicts.items() if k not in exclude}
    newest = (Review.objects.exclude(pk__in=exclude).order_by("-created_at", "-id")
              .values_list("id", "body", "title")[:TOPIC_TRAIN_MAX_REVIEWS])
    rows = {review_id: (body, title) for review_id, body, title in newest}
    missing = [review_id for review_id in verdicts if review_id not in rows]
    rows.update({review_id: (body, title) for review_id, body, title in
                 Review.objects.filter(pk__in=missing).values_list("id", "body", "title")})
    ids = sorted(rows)
    texts = [compose_text(*rows[review_id]) for review_id in ids]
    labels = _aligned(_predictions(topic_labeller(keywords_only=True), texts, codes), codes, codes).astype(np.int8)
    weights = np.ones(len(ids))
    column = {code: j for j, code in enumerate(codes)}
    for i, review_id in enumerate(ids):
        for code, present in verdicts.get(review_id, {}).items():
            labels[i, column[code]] = int(present)
            weights[i] = HUMAN_LABEL_WEIGHT
    return texts, labels, weights, sum(1 for review_id in ids if review_id in verdicts)


def _rules_predictions(texts: list[str], codes: list[str]) -> np.ndarray:
    """The keyword rules as scoring runs them (keywords and base-encoder similarity)."""
    return _predictions(topic_labeller(), texts, codes)


def _predictions(labeller: Any, texts: list[str], codes: list[str]) -> np.ndarray:
    column = {code: j for j, code in enumerate(codes)}
    out = np.zeros((len(texts), len(codes)), dtype=bool)
    for i, result in enumerate(labeller.label(texts)):
        for code in result.topics:
            if code in column:
                out[i, column[code]] = True
    return out


def _aligned(predicted: np.ndarray, model_codes: tuple[str, ...] | list[str], codes: list[str]) -> np.ndarray:
    """A model's prediction columns in ``codes`` order (a topic it does not know is never assigned)."""
    index = {code: j for j, code in enumerate(model_codes)}
    out = np.zeros((len(predicted), len(codes)), dtype=bool)
    for j, code in enumerate(codes):
        if code in index:
            out[:, j] = predicted[:, index[code]]
    return out


def reviews_relabel_topics(*, batch_size: int | None = None) -> int:
    """Rewrite every scored review's topics with the served topic model, batch by batch, one
    UPDATE per batch. Sentiment and the rest of the scores are left as they are, and no webhook is
    sent (docs/webhooks.md: review.scored is sent when a review is scored). Returns reviews written."""
    batch_size = batch_size or settings.REVIEW_SCORING_BATCH_SIZE
    written, after = 0, 0
    table = Review._meta.db_table
    while True:
        batch = list(Review.objects.filter(scored_at__isnull=False, pk__gt=after).order_by("id")
                     .values_list("id", "body", "title")[:batch_size])
        if not batch:
            return written
        texts = [compose_text(body, title) for _, body, title in batch]
        labeller = served_topic_labeller(texts)
        topics = [result.topics for result in labeller.label(texts)] if labeller is not None else [[] for _ in batch]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} r SET topics = v.topics::jsonb FROM unnest(%s::bigint[], %s::text[]) AS v(id, topics)"
                " WHERE r.id = v.id",
                [[row[0] for row in batch], [json.dumps(t) for t in topics]])
        written += len(batch)
        after = batch[-1][0]
