"""Nightly upkeep of the review models: score what is unscored, queue a retrain when people's
corrections or drift say the served sentiment model is out of date, and a topic model training
when people have judged enough new topics (members/reviews/services/topic_models.py)."""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from members.models import MlTask, ModelVersion, ReviewTopicLabel, TrainingRun, TrainingRunStatus
from members.reviews.selectors.review_intelligence import active_version, human_labels_since, rating_agreement
from members.reviews.services import scoring
from members.reviews.services.training import training_run_create
from members.task_queue import task_send

logger = logging.getLogger(__name__)

DRIFT_WINDOW = timedelta(days=7)
NIGHTLY_RUN_PARAMETERS = {"epochs": 3.0}  # what an automatic retrain asks for (TrainConfig defaults otherwise)


def retrain_reason() -> str:
    """Why the sentiment model should be retrained now, in words; "" when it should not.

    - no active model yet while reviews exist is NOT a reason: the first model is a person's call;
    - REVIEW_RETRAIN_MIN_NEW_LABELS corrections since the active version's run started;
    - drift: last week's agreement between predicted sentiment and stars fell more than
      REVIEW_DRIFT_TOLERANCE_PCT points below the active model's test accuracy.
    """
    version = active_version(task=MlTask.SENTIMENT)
    if version is None:
        return ""
    since = version.run.created_at if version.run_id and version.run else version.created_at
    new_labels = human_labels_since(since=since)
    if new_labels >= settings.REVIEW_RETRAIN_MIN_NEW_LABELS:
        return f"{new_labels} new human labels since {version.label} was trained"
    total, agreed = rating_agreement(since=timezone.now() - DRIFT_WINDOW)
    expected = version.test_metrics().get("accuracy")
    if total >= settings.REVIEW_DRIFT_MIN_REVIEWS and expected is not None:
        recent = agreed / total
        if (expected - recent) * 100 > settings.REVIEW_DRIFT_TOLERANCE_PCT:
            return (f"predicted sentiment agrees with stars on {recent:.0%} of last week's {total} reviews, "
                    f"against {expected:.0%} at test time")
    return ""


def review_intelligence_nightly_run() -> dict:
    """Score anything unscored, then queue a retrain when retrain_reason() gives one and no
    sentiment run is already queued or running."""
    scored, scoring_error = 0, ""
    try:
        scored = scoring.score_pending_reviews().scored
    except Exception as exc:  # a broken active artifact must not stop the retrain that can replace it
        logger.exception("Nightly scoring failed")
        scoring_error = f"{type(exc).__name__}: {exc}"
    reason = retrain_reason()
    run_id = None
    busy = TrainingRun.objects.filter(
        task=MlTask.SENTIMENT, status__in=(TrainingRunStatus.QUEUED, TrainingRunStatus.RUNNING)
    ).exists()
    if reason and not busy:
        run = training_run_create(task=MlTask.SENTIMENT, parameters=dict(NIGHTLY_RUN_PARAMETERS))
        run_id = run.pk
        logger.info("Retraining sentiment (run %s): %s", run_id, reason)
    topics_reason = topic_retrain_reason()
    if topics_reason:
        task_send("members.reviews.topics_train")
        logger.info("Retraining topics: %s", topics_reason)
    return {"scored": scored, "scoring_error": scoring_error, "retrain_reason": reason, "run_id": run_id,
            "topics_retrain_reason": topics_reason}


def topic_retrain_reason() -> str:
    """Why a topic model should be trained now, in words; "" when not: REVIEW_RETRAIN_MIN_NEW_LABELS
    topic verdicts since the last topic version (or ever, before the first), and enough judged
    reviews for the comparison (topic_models.MIN_TOPIC_LABELLED_REVIEWS)."""
    from members.reviews.services.topic_models import topic_labels_status

    status = topic_labels_status()
    if status["labelled_reviews"] < status["needed"]:
        return ""
    last = ModelVersion.objects.filter(task=MlTask.TOPICS).order_by("-created_at").values_list("created_at",
                                                                                              flat=True).first()
    verdicts = ReviewTopicLabel.objects.filter(topic__active=True)
    new = (verdicts.filter(labelled_at__gt=last) if last else verdicts).count()
    if new < settings.REVIEW_RETRAIN_MIN_NEW_LABELS:
        return ""
    return f"{new} new topic verdicts since {'the last topic model' if last else 'the start'}"
